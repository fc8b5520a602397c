import { Telemetry } from "../../capabilities/telemetry";
import { meshRuntime } from "../../control-plane/instance";
import { getIn } from "../../mesh/store";

// The capability is a table of contents: Telemetry is watched into the mesh store on change and
// on delete, under the CRD's real plural.
describe("telemetry capability", () => {
  const watches = Telemetry.bindings.filter(b => b.isWatch);

  it("watches Telemetry under its plural, on change and on delete, and nothing else", () => {
    expect(
      watches.map(b => `${b.kind.group}/${b.kind.version} ${b.kind.plural} ${b.event}`).sort(),
    ).toEqual([
      "telemetry.istio.io/v1 telemetries CREATEORUPDATE",
      "telemetry.istio.io/v1 telemetries DELETE",
    ]);
    expect(Telemetry.bindings.filter(b => !b.isWatch)).toEqual([]);
  });

  it("folds a watched Telemetry into the mesh store, and its deletion out of it", async () => {
    const binding = (event: string) => watches.find(b => b.event === event)!;
    const telemetry = {
      apiVersion: "telemetry.istio.io/v1",
      metadata: { name: "logs", namespace: "shop" },
      spec: { accessLogging: [{ providers: [{ name: "envoy" }] }] },
    };
    try {
      await binding("CREATEORUPDATE").watchCallback!(telemetry as never, "ADDED" as never);
      expect(getIn(meshRuntime.store.config.Telemetry, "shop/logs")?.spec).toEqual(telemetry.spec);
      await binding("DELETE").watchCallback!(telemetry as never, "DELETED" as never);
      expect(getIn(meshRuntime.store.config.Telemetry, "shop/logs")).toBeUndefined();
    } finally {
      meshRuntime.stop();
    }
  });
});
