import { RouteCompilation } from "../../capabilities/route-compilation";

// The capability is a table of contents: every kind the mesh model is built from is watched for
// changes and for deletions.
describe("route-compilation capability", () => {
  it("watches every kind the mesh store holds, on change and on delete", () => {
    const watched = RouteCompilation.bindings
      .filter(b => b.isWatch)
      .map(b => `${b.kind.kind} ${b.event}`)
      .sort();
    const kinds = [
      "ConfigMap",
      "DestinationRule",
      "EndpointSlice",
      "Gateway",
      "Namespace",
      "Pod",
      "Secret",
      "Service",
      "ServiceEntry",
      "Sidecar",
      "VirtualService",
      "WorkloadEntry",
    ];
    expect(watched).toEqual(kinds.flatMap(k => [`${k} CREATEORUPDATE`, `${k} DELETE`]).sort());
  });

  it("watches only the mesh config ConfigMap: istio in istiod's namespace", () => {
    const configMaps = RouteCompilation.bindings.filter(
      b => b.isWatch && b.kind.kind === "ConfigMap",
    );
    expect(configMaps.map(b => [b.filters.name, b.filters.namespaces])).toEqual([
      ["istio", ["istio-system"]],
      ["istio", ["istio-system"]],
    ]);
  });
});
