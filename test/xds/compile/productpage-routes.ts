/**
 * A fixture for the route tests that need a VirtualService for productpage, a delegate for it
 * in another namespace, and the decoded routes of productpage's sidecar virtual host.
 */
import type { IstioObject } from "../../../mesh/api";
import { storeOf, type StoreObject } from "../../../mesh/store";
import { compile, type CompiledResources } from "../../../xds/compile";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import { checkedSnapshot, decoded, grpcNode, named, sidecarNode, WITHOUT_STATS } from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
export type Json = Record<string, any>;
export type JsonList = any[];
/* eslint-enable @typescript-eslint/no-explicit-any */

export const dec = (r: ResourceObject): Json => decoded(r);

export function vs(name: string, spec: Json, namespace = "default"): StoreObject {
  return {
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name, namespace },
    spec,
  } as unknown as IstioObject as StoreObject;
}

export function service(name: string, ns: string, ip: string): StoreObject {
  return {
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: { clusterIP: ip, selector: { app: name }, ports: [{ name: "http", port: 9080 }] },
  } as unknown as StoreObject;
}

export const SERVICES = [
  service("productpage", "default", "10.96.0.10"),
  service("reviews", "team", "10.96.0.11"),
];
export const SIDECAR = sidecarNode("10.1.2.3", "client-abc", "default", { app: "client" });
export const GRPC = grpcNode("10.1.2.3", "client-abc", "default", { app: "client" });
export const PP = "productpage.default.svc.cluster.local";
export const REVIEWS_TEAM = "outbound|9080||reviews.team.svc.cluster.local";
export const PP_CLUSTER = `outbound|9080||${PP}`;

export const to = (host: string) => [{ destination: { host, port: { number: 9080 } } }];
/** A root for productpage whose first route delegates, then a catch-all to productpage. */
export const root = (delegating: Json, extra: Json = {}) =>
  vs("pp-root", {
    hosts: ["productpage"],
    http: [
      { name: "pp", ...delegating },
      { name: "rest", route: to("productpage") },
    ],
    ...extra,
  });
export const delegate = (http: Json[], ns = "team", extra: Json = {}) =>
  vs("pp-routes", { http, ...extra }, ns);
export const REF = { delegate: { name: "pp-routes", namespace: "team" } };

export function build(objects: StoreObject[], node: { id: string; metadata: Json } = SIDECAR) {
  const result = compile(storeOf([...SERVICES, ...objects]), node, WITHOUT_STATS);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  checkedSnapshot(result.value); // every resource encodes, every reference resolves
  return result.value;
}

/** The decoded routes of productpage's virtual host (sidecar route config `9080`). */
export function ppRoutes(r: CompiledResources): JsonList {
  const rc = dec(named(r.routes, "9080"));
  return rc.virtual_hosts.find((v: Json) => v.name === `${PP}:9080`).routes;
}

/** A match translated from a VirtualService: istiod writes case_sensitive on each. */
export const caseSensitive = (m: Json) => ({ ...m, case_sensitive: { value: true } });

/** Route name, match and cluster: what delegation decides. */
export const summary = (routes: Json[]) =>
  routes.map(r => ({ name: r.name, match: r.match, cluster: r.route?.cluster }));
