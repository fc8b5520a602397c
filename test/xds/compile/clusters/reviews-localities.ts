/**
 * A fixture for the cluster tests about outlier detection and locality load balancing: reviews
 * with one endpoint per locality relation to a client proxy in us-east/a/1, the proxy itself,
 * and readers for the priorities and weights of the decoded ClusterLoadAssignment.
 */
import { storeOf, type StoreObject } from "../../../../mesh/store";
import { compile, type CompiledResources, type MeshOptions } from "../../../../xds/compile";
import { checkedSnapshot, decoded, named, istioObject } from "../fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
export type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

export const HOST = "reviews.default.svc.cluster.local";
export const CLUSTER = `outbound|9080||${HOST}`;
export const HERE = {
  "topology.kubernetes.io/region": "us-east",
  "topology.kubernetes.io/zone": "a",
  "topology.istio.io/subzone": "1",
};

export const cfg = (kind: string, name: string, spec: Json) =>
  istioObject(kind, name, "default", spec);

/** reviews with one endpoint per locality relation to a proxy in us-east/a/1, and one without. */
export const REVIEWS = cfg("ServiceEntry", "reviews", {
  hosts: [HOST],
  ports: [{ number: 9080, name: "grpc", protocol: "GRPC" }],
  location: "MESH_INTERNAL",
  resolution: "STATIC",
  endpoints: [
    { address: "10.0.0.1", locality: "us-east/a/1", labels: { version: "v1" } },
    { address: "10.0.0.2", locality: "us-east/a/2", labels: { version: "v2" } },
    { address: "10.0.0.3", locality: "us-east/b", labels: { version: "v1" } },
    { address: "10.0.0.4", locality: "us-west/c", labels: { version: "v2" } },
    { address: "10.0.0.5", locality: "eu-west/d", labels: { version: "v1" } },
    { address: "10.0.0.6", labels: { version: "v2" } },
  ],
});

export const DR = (trafficPolicy: Json, subsets?: Json[]) =>
  cfg("DestinationRule", "reviews", { host: "reviews", trafficPolicy, subsets });

export function node(
  kind: "grpc" | "sidecar",
  labels: Record<string, string> = HERE,
  extra: Json = {},
) {
  return {
    id: "sidecar~10.1.2.3~client.default~default.svc.cluster.local",
    metadata: {
      NAMESPACE: "default",
      LABELS: { app: "client", version: "v1", ...labels },
      ...(kind === "grpc" ? { GENERATOR: "grpc" } : {}),
    },
    ...extra,
  };
}

export function build(
  objects: StoreObject[],
  n: Json = node("sidecar"),
  mesh: MeshOptions = {},
): CompiledResources {
  const result = compile(storeOf(objects), n as Parameters<typeof compile>[1], mesh);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  checkedSnapshot(result.value);
  return result.value;
}

export const cluster = (r: CompiledResources, name = CLUSTER): Json =>
  decoded(named(r.clusters, name));

/** Each endpoint address → the priority of its group (0 when the field is absent). */
export function priorities(r: CompiledResources, name = CLUSTER): Record<string, number> {
  const cla = decoded(named(r.endpoints, name));
  const out: Record<string, number> = {};
  for (const g of (cla.endpoints ?? []) as Json[])
    for (const e of (g.lb_endpoints ?? []) as Json[])
      out[e.endpoint.address.socket_address.address] = g.priority ?? 0;
  return out;
}

/** Each locality group → its weight. */
export function weights(r: CompiledResources): Record<string, number> {
  const cla = decoded(named(r.endpoints, CLUSTER));
  const out: Record<string, number> = {};
  for (const g of (cla.endpoints ?? []) as Json[]) {
    const l = g.locality ?? {};
    out[[l.region, l.zone, l.sub_zone].filter(Boolean).join("/")] = g.load_balancing_weight.value;
  }
  return out;
}

export const ALL_FIRST = {
  "10.0.0.1": 0,
  "10.0.0.2": 0,
  "10.0.0.3": 0,
  "10.0.0.4": 0,
  "10.0.0.5": 0,
  "10.0.0.6": 0,
};
