/**
 * A fixture for compiler tests about one reviews ServiceEntry (two endpoints, v1 and v2, one
 * with a locality) seen by a proxyless gRPC client or an Envoy sidecar, with the rules for it
 * and the decoded routes of its gRPC route config; and Services like bookinfo's for sidecars.
 */
import { storeOf, type StoreObject } from "../../../mesh/store";
import { compile, type CompiledResources } from "../../../xds/compile";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import { checkedSnapshot, decoded, grpcNode, named, sidecarNode, istioObject } from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
export type Json = Record<string, any>;
export type JsonList = any[];
/* eslint-enable @typescript-eslint/no-explicit-any */

/** A resource decoded from its encoded bytes. */
export const dec = (r: ResourceObject): Json => decoded(r);

export const cfg = (
  kind: string,
  name: string,
  spec: Json,
  namespace = "default",
  extra: Json = {},
) => istioObject(kind, name, namespace, spec, extra);

export const SE = (name: string, ns = "default", extra: Json = {}) =>
  cfg(
    "ServiceEntry",
    name,
    {
      hosts: [`${name}.${ns}.svc.cluster.local`],
      ports: [{ number: 9080, name: "grpc", protocol: "GRPC" }],
      location: "MESH_INTERNAL",
      resolution: "STATIC",
      endpoints: [
        { address: "10.0.0.1", labels: { version: "v1" } },
        { address: "10.0.0.2", labels: { version: "v2" }, locality: "us/east/a" },
      ],
      ...extra,
    },
    ns,
  );

export const DR = (spec: Json) => cfg("DestinationRule", "reviews", { host: "reviews", ...spec });
export const VS = (http: Json[]) => cfg("VirtualService", "reviews", { hosts: ["reviews"], http });
export const HOST = "reviews.default.svc.cluster.local";
export const GRPC = grpcNode("10.1.2.3", "client-abc", "default", { app: "client", team: "a" });
export const SIDECAR = sidecarNode("10.1.2.3", "client-abc", "default", { app: "client" });

export function build(
  objects: StoreObject[],
  node: { id: string; metadata: Json } = GRPC,
): CompiledResources {
  const result = compile(storeOf(objects), node);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  checkedSnapshot(result.value); // every resource passes the encoder check, every reference resolves
  return result.value;
}

export function grpcRoutes(objects: StoreObject[], node = GRPC): JsonList {
  const rc = dec(named(build(objects, node).routes, `${HOST}:9080`));
  return rc.virtual_hosts[0].routes ?? []; // an empty repeated field decodes as absent
}

/** Services like bookinfo's: reviews (HTTP) and mysql (TCP), each with a VIP. */
export const bookinfoLike: StoreObject[] = [
  {
    kind: "Service",
    metadata: { name: "reviews", namespace: "default" },
    spec: {
      clusterIP: "10.96.0.10",
      selector: { app: "reviews" },
      ports: [{ name: "http", port: 9080 }],
    },
  } as StoreObject,
  {
    kind: "Service",
    metadata: { name: "mysql", namespace: "default" },
    spec: {
      clusterIP: "10.96.0.11",
      selector: { app: "mysql" },
      ports: [{ name: "tcp", port: 3306 }],
    },
  } as StoreObject,
];
