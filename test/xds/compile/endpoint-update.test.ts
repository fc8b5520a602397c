/**
 * What an endpoint-only change recompiles for one proxy: the Clusters and ClusterLoadAssignments
 * of the changed services, each identical to the resource of the same name a full compile of
 * the new store writes, so the runtime can swap them into the proxy's last snapshot.
 */
import { storeOf, type StoreObject } from "../../../mesh/store";
import {
  compile,
  parseProxy,
  type CompiledResources,
  type NodeDescription,
  type Proxy,
} from "../../../xds/compile";
import { compileEndpointUpdate } from "../../../xds/compile/endpoint-update";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import { istioObject } from "./fixtures";
import { CLUSTER, echo, MESHED } from "./grpc-echo";
import { CLIENT_GRPC, CLIENT_SIDECAR, GW_SELECTOR, ROUTER } from "./mesh-authz";
import { MYSQL } from "./tcp-services";
import { EXTERNAL } from "./web-service";

const ECHO_HOST = "echo.default.svc.cluster.local";
const EXTERNAL_HOST = "api.example.com";
const SUBSETS = istioObject("DestinationRule", "echo", "default", {
  host: "echo",
  subsets: [{ name: "v1", labels: { version: "v1" } }],
});
/** echo with one pod (v1), then with a second (v2): an endpoint-only change. */
const BEFORE = [...echo([{ labels: { version: "v1", ...MESHED } }]), SUBSETS, EXTERNAL, MYSQL];
const AFTER = [
  ...echo([{ labels: { version: "v1", ...MESHED } }, { labels: { version: "v2" } }]),
  SUBSETS,
  EXTERNAL,
  MYSQL,
];

const proxyOf = (node: NodeDescription): Proxy => {
  const p = parseProxy(node);
  if (!p.ok) throw new Error(p.errors.join("\n"));
  return p.value;
};
function full(objects: StoreObject[], node: NodeDescription): CompiledResources {
  const r = compile(storeOf(objects), node);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.value;
}
const update = (objects: StoreObject[], node: NodeDescription, hosts?: string[]) =>
  compileEndpointUpdate(storeOf(objects), proxyOf(node), {}, hosts && new Set(hosts));
/** `Cluster name` / `ClusterLoadAssignment name` of each resource, in order. */
const kinds = (list: readonly ResourceObject[]) =>
  list.map(r => (r.cluster_name ? `CLA ${r.cluster_name}` : `Cluster ${r.name}`));
/** The resource of the same name and type in a full compile. */
const sameIn = (r: CompiledResources, x: ResourceObject) =>
  x.cluster_name
    ? r.endpoints.find(e => e.cluster_name === x.cluster_name)
    : r.clusters.find(c => c.name === x.name);

describe("compileEndpointUpdate", () => {
  it("a sidecar, one service changed: its Clusters and assignments, as a full compile writes them", () => {
    const got = update(AFTER, CLIENT_SIDECAR, [ECHO_HOST]);
    const subset = `outbound|9080|v1|${ECHO_HOST}`;
    expect(kinds(got)).toEqual([
      `Cluster ${CLUSTER}`,
      `CLA ${CLUSTER}`,
      `Cluster ${subset}`,
      `CLA ${subset}`,
    ]);
    const now = full(AFTER, CLIENT_SIDECAR);
    for (const r of got) expect(r).toEqual(sameIn(now, r));
    // The new endpoint is there, and was not before: the update is not the old snapshot's.
    const addresses = (list: readonly ResourceObject[]) =>
      JSON.stringify(list.find(r => r.cluster_name === CLUSTER)).match(/10\.0\.0\.\d+/g);
    expect(addresses(got)).toEqual(["10.0.0.5", "10.0.0.6"]);
    expect(addresses(update(BEFORE, CLIENT_SIDECAR, [ECHO_HOST]))).toEqual(["10.0.0.5"]);
  });

  it("a DNS service: its Cluster, which inlines the endpoints, and no assignment", () => {
    const got = update(AFTER, CLIENT_SIDECAR, [EXTERNAL_HOST]);
    expect(kinds(got)).toEqual([`Cluster outbound|443||${EXTERNAL_HOST}`]);
    expect(got[0]).toEqual(sameIn(full(AFTER, CLIENT_SIDECAR), got[0]!));
  });

  it("no hosts: every outbound Cluster and every assignment of the full compile", () => {
    const now = full(AFTER, CLIENT_SIDECAR);
    const got = update(AFTER, CLIENT_SIDECAR);
    const outbound = now.clusters.filter(c => String(c.name).startsWith("outbound|"));
    expect(kinds(got).sort()).toEqual(kinds([...outbound, ...now.endpoints]).sort());
    for (const r of got) expect(r).toEqual(sameIn(now, r));
  });

  it("a host the proxy has no cluster for: nothing to push", () => {
    expect(update(AFTER, CLIENT_SIDECAR, ["unknown.default.svc.cluster.local"])).toEqual([]);
  });

  it("proxyless gRPC: every cluster is EDS, so each comes with its assignment", () => {
    const got = update(AFTER, CLIENT_GRPC, [EXTERNAL_HOST, ECHO_HOST]);
    expect(kinds(got)).toEqual(
      expect.arrayContaining([
        `Cluster outbound|443||${EXTERNAL_HOST}`,
        `CLA outbound|443||${EXTERNAL_HOST}`,
        `Cluster ${CLUSTER}`,
        `CLA ${CLUSTER}`,
      ]),
    );
    const now = full(AFTER, CLIENT_GRPC);
    for (const r of got) expect(r).toEqual(sameIn(now, r));
  });

  it("a gateway: only the clusters its routes reach", () => {
    const routes = [
      istioObject("Gateway", "gw", "default", {
        selector: GW_SELECTOR,
        servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
      }),
      istioObject("VirtualService", "echo", "default", {
        hosts: ["*"],
        gateways: ["gw"],
        http: [{ route: [{ destination: { host: "echo", port: { number: 9080 } } }] }],
      }),
    ];
    const objects = [...AFTER, ...routes];
    const got = update(objects, ROUTER, [ECHO_HOST, "mysql.default.svc.cluster.local"]);
    expect(kinds(got)).toEqual([`Cluster ${CLUSTER}`, `CLA ${CLUSTER}`]);
    const now = full(objects, ROUTER);
    for (const r of got) expect(r).toEqual(sameIn(now, r));
  });
});
