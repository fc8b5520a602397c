/**
 * A sidecar's outbound world for listener tests: Kubernetes Services (headless with
 * `clusterIP: "None"`), a client sidecar, a compile that passes the snapshot check, and readers
 * of decoded listeners (listener filters, tcp_proxy destinations).
 */
import { storeOf, type StoreObject } from "../../../mesh/store";
import { compile, type CompiledResources } from "../../../xds/compile";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import { checkedSnapshot, decoded, named, sidecarNode, istioObject } from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
export type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

export const dec = (r: ResourceObject): Json => decoded(r);
export const names = (list: readonly ResourceObject[]) => list.map(r => r.name ?? r.cluster_name);

export const cfg = (kind: string, name: string, spec: Json, namespace = "default") =>
  istioObject(kind, name, namespace, spec);

/** A Kubernetes Service; `clusterIP: "None"` makes it headless (no VIP). */
export function service(
  name: string,
  clusterIP: string,
  ports: { name?: string; port: number; appProtocol?: string }[],
  ns = "default",
): StoreObject {
  return {
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: { clusterIP, selector: { app: name }, ports },
  } as unknown as StoreObject;
}

export const host = (name: string, ns = "default") => `${name}.${ns}.svc.cluster.local`;
export const outbound = (port: number, subset: string, name: string) =>
  `outbound|${port}|${subset}|${host(name)}`;

export const MYSQL = service("mysql", "10.96.0.11", [{ name: "tcp-mysql", port: 3306 }]);
export const CLIENT = sidecarNode("10.1.2.3", "client-abc", "default", { app: "client" });

export function build(objects: StoreObject[], node: Json = CLIENT): CompiledResources {
  const result = compile(storeOf(objects), node as { id: string });
  if (!result.ok) throw new Error(result.errors.join("\n"));
  checkedSnapshot(result.value); // every resource encodes, every RDS/EDS reference resolves
  return result.value;
}

export const listener = (r: CompiledResources, name: string): Json => dec(named(r.listeners, name));
export const tcpProxyOf = (chain: Json): Json =>
  chain.filters.find((f: Json) => f.name === "envoy.filters.network.tcp_proxy").typed_config;
export const listenerFilterNames = (l: Json): string[] =>
  (l.listener_filters ?? []).map((f: Json) => f.name);
/** Where each chain of a listener sends TCP: its cluster, or its weighted clusters. */
export const destinations = (l: Json): unknown[] =>
  [...(l.filter_chains ?? []), ...(l.default_filter_chain ? [l.default_filter_chain] : [])].map(
    c => {
      const p = tcpProxyOf(c);
      return p.cluster ?? p.weighted_clusters.clusters.map((w: Json) => `${w.name}@${w.weight}`);
    },
  );
