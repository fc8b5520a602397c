/**
 * The endpoints of one outbound cluster: the service port's (at the port the workload listens
 * on), and for a subset only those whose labels include the subset's, as Istio selects them.
 */
import { clusterEndpoints } from "../../../../xds/compile/clusters/cluster-endpoints";
import { outboundCluster, scopeOf } from "../fixtures";
import { cfg, CLUSTER, echo, MESHED } from "../grpc-echo";
import { CLIENT_SIDECAR } from "../mesh-authz";

const HOST = "echo.default.svc.cluster.local";
/** echo:9080 → 8080: 10.0.0.5 (v1, meshed), 10.0.0.6 (v2), 10.0.0.7 (v1, canary). */
const PODS = echo([
  { labels: { version: "v1", ...MESHED } },
  { labels: { version: "v2" } },
  { labels: { version: "v1", track: "canary" } },
]);
const SUBSETS = cfg("DestinationRule", "echo", "default", {
  host: "echo",
  subsets: [
    { name: "v1", labels: { version: "v1" } },
    { name: "v1-canary", labels: { version: "v1", track: "canary" } },
    { name: "v3", labels: { version: "v3" } },
    { name: "all" },
  ],
});

describe("clusterEndpoints", () => {
  it.each([
    ["the service's cluster: every endpoint", "", ["10.0.0.5", "10.0.0.6", "10.0.0.7"]],
    ["a subset: the endpoints carrying its labels", "v1", ["10.0.0.5", "10.0.0.7"]],
    ["a subset with two labels: endpoints with both", "v1-canary", ["10.0.0.7"]],
    ["a subset no endpoint matches: none", "v3", []],
    ["a subset without labels: every endpoint", "all", ["10.0.0.5", "10.0.0.6", "10.0.0.7"]],
  ])("%s", (_, subset, want) => {
    const scope = scopeOf([...PODS, SUBSETS], CLIENT_SIDECAR);
    const endpoints = clusterEndpoints(
      scope,
      outboundCluster(scope, `outbound|9080|${subset}|${HOST}`),
    );
    expect(endpoints.map(e => e.address).sort()).toEqual(want);
  });

  it("each endpoint at the port its workload listens on (the targetPort), with its labels", () => {
    const scope = scopeOf(PODS, CLIENT_SIDECAR);
    const [first] = clusterEndpoints(scope, outboundCluster(scope, CLUSTER)).filter(
      e => e.address === "10.0.0.5",
    );
    expect(first).toMatchObject({ port: 8080, labels: { version: "v1", ...MESHED } });
  });
});
