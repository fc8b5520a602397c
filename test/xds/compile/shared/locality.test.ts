/**
 * The proxy's locality, from its topology labels or its xDS node, as the locality load
 * balancing ranks endpoints against it.
 */
import { localityFromLabels, proxyLocality } from "../../../../xds/compile/shared/locality";
import { parseProxy } from "../../../../xds/compile/proxy";
import { HERE } from "../clusters/reviews-localities";

describe("the proxy's locality", () => {
  it.each([
    ["topology labels", HERE, undefined, "us-east/a/1"],
    ["region label only", { "topology.kubernetes.io/region": "r" }, undefined, "r"],
    [
      "Istio's locality label with dots",
      { "topology.istio.io/locality": "r.z.s" },
      undefined,
      "r/z/s",
    ],
    ["the legacy istio-locality label", { "istio-locality": "r/z" }, undefined, "r/z"],
    ["labels win over the node", HERE, { region: "x", zone: "y" }, "us-east/a/1"],
    ["the node's locality", {}, { region: "x", zone: "y", sub_zone: "z" }, "x/y/z"],
    ["the node's empty locality", {}, {}, undefined],
    ["nothing", {}, undefined, undefined],
  ])("from %s", (_name, labels: Record<string, string>, nodeLocality, want) => {
    expect(proxyLocality(labels, nodeLocality)).toBe(want);
    const parsed = parseProxy({
      id: "sidecar~10.0.0.9~p.default~default.svc.cluster.local",
      metadata: { LABELS: labels },
      locality: nodeLocality,
    });
    expect(parsed.ok && parsed.value.locality).toBe(want);
  });

  it("a locality label without parts is no locality", () => {
    expect(localityFromLabels({ app: "x" })).toBeUndefined();
  });
});
