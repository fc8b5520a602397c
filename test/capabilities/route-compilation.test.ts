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
});
