import * as kplus from "cdk8s-plus-27";
import { MeshNamespace } from "../../constructs";
import { meshProblems, synth, testChart } from "./synth";

describe("MeshNamespace", () => {
  it("labels a new namespace for injection by default, and nothing else", () => {
    const chart = testChart();
    new MeshNamespace(chart, "ns", { name: "shop" });
    expect(synth(chart)).toEqual([
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "shop", labels: { "istio-injection": "enabled" } },
        spec: {},
      },
    ]);
  });

  it("makes the mesh mandatory and mTLS strict when asked", () => {
    const chart = testChart();
    new MeshNamespace(chart, "ns", { name: "shop", meshRequired: true, strictMtls: true });
    const out = synth(chart);
    expect(out[0]!.metadata).toEqual({
      name: "shop",
      labels: { "istio-injection": "enabled", "rigging.dev/mesh": "required" },
    });
    expect(out[1]).toEqual({
      apiVersion: "security.istio.io/v1",
      kind: "PeerAuthentication",
      metadata: { name: "default", namespace: "shop" },
      spec: { mtls: { mode: "STRICT" } },
    });
    expect(meshProblems(out)).toEqual([]);
  });

  it("enrolls an existing cdk8s-plus Namespace; injection can be left off", () => {
    const chart = testChart();
    const ns = new kplus.Namespace(chart, "existing", { metadata: { name: "legacy" } });
    const mesh = new MeshNamespace(chart, "ns", {
      namespace: ns,
      injection: false,
      meshRequired: true,
    });
    expect(mesh.name).toBe("legacy");
    expect(synth(chart)).toEqual([
      {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "legacy", labels: { "rigging.dev/mesh": "required" } },
        spec: {},
      },
    ]);
  });

  it.each([
    [{ name: "Shop" }, 'test/ns: props.name: "Shop" is not a DNS-1123 label'],
    [
      { name: "a", namespace: "ns" as unknown as kplus.Namespace },
      "test/ns: props.name: set either name or namespace, not both",
    ],
  ])("refuses %j: %s", (props, message) => {
    expect(() => new MeshNamespace(testChart(), "ns", props)).toThrow(message);
  });
});
