/**
 * Helpers for compiler tests: YAML from `../shared/istio` as store objects, proxies, a proxy's
 * scope and outbound clusters for the translators that take them, and the encoder check applied
 * to every compiled resource.
 */
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { KINDS } from "../../../mesh/api/kinds";
import { storeOf, type StoreObject } from "../../../mesh/store";
import {
  allResources,
  buildScope,
  outboundClusters,
  parseProxy,
  type CompiledResources,
  type MeshOptions,
  type NodeDescription,
  type ProxyScope,
} from "../../../xds/compile";
import type { OutboundCluster } from "../../../xds/compile/clusters/clusters";
import { createSnapshot, type Snapshot } from "../../../xds/cache/snapshot";
import {
  decodeResourceToJson,
  encodeResource,
  type ResourceObject,
} from "../../../xds/encode/encode-resource";
import { sharedPath } from "../../harness/shared";

/** Every document of a YAML file, skipping empty ones. */
export function loadYaml(path: string): Record<string, unknown>[] {
  return parseAllDocuments(readFileSync(path, "utf8"))
    .map(d => d.toJS() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null && typeof d === "object");
}

/** A file under `../shared/istio`. */
export function istioPath(...parts: string[]): string {
  return sharedPath("istio", ...parts);
}

const STORE_KINDS = new Set([
  "Namespace",
  "Service",
  "EndpointSlice",
  "Pod",
  "VirtualService",
  "DestinationRule",
  "Gateway",
  "ServiceEntry",
  "Sidecar",
  "WorkloadEntry",
  "WorkloadGroup",
  "EnvoyFilter",
]);

/** The documents the store keeps, with `namespace` defaulted. */
export function storeObjects(
  docs: readonly Record<string, unknown>[],
  namespace = "default",
): StoreObject[] {
  return docs
    .filter(d => STORE_KINDS.has(String(d.kind)))
    .map(d => {
      const meta = (d.metadata ?? {}) as Record<string, unknown>;
      return {
        ...d,
        metadata: { ...meta, namespace: meta.namespace ?? namespace },
      } as unknown as StoreObject;
    });
}

/** A proxyless gRPC node in `ns`. */
export function grpcNode(
  ip: string,
  name: string,
  ns = "default",
  labels: Record<string, string> = {},
) {
  return {
    id: `sidecar~${ip}~${name}.${ns}~${ns}.svc.cluster.local`,
    metadata: { GENERATOR: "grpc", NAMESPACE: ns, LABELS: labels },
  };
}

/** An Envoy sidecar node in `ns`. */
export function sidecarNode(
  ip: string,
  name: string,
  ns = "default",
  labels: Record<string, string> = {},
) {
  return {
    id: `sidecar~${ip}~${name}.${ns}~${ns}.svc.cluster.local`,
    metadata: { NAMESPACE: ns, LABELS: labels, SERVICE_ACCOUNT: "default" },
  };
}

/** The scope of the proxy of `node` over a store of `objects`, as the compiler builds it. */
export function scopeOf(
  objects: readonly StoreObject[],
  node: NodeDescription,
  mesh: MeshOptions = {},
): ProxyScope {
  const proxy = parseProxy(node);
  if (!proxy.ok) throw new Error(proxy.errors.join("\n"));
  return buildScope(storeOf(objects), proxy.value, mesh);
}

/** The outbound cluster `name` of a scope, with its TLS report (`failClosed`, `notes`). */
export function outboundCluster(scope: ProxyScope, name: string): OutboundCluster {
  const all = outboundClusters(scope);
  const found = all.find(c => c.name === name);
  if (!found) throw new Error(`no cluster ${name} among ${all.map(c => c.name).join(", ")}`);
  return found;
}

/** Encodes every resource, throwing with every encoder error; returns the consistent snapshot. */
export function checkedSnapshot(resources: CompiledResources): Snapshot {
  const result = createSnapshot(allResources(resources));
  if (!result.ok) throw new Error(result.errors.slice(0, 20).join("\n"));
  return result.value;
}

/** A resource encoded and decoded back to JSON (enums and 64-bit ints as strings). */
export function decoded(resource: ResourceObject): Record<string, unknown> {
  const r = encodeResource(resource);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return decodeResourceToJson(r.value.typeUrl, r.value.value);
}

/** Finds a resource by name (`cluster_name` for endpoints). */
export function named(list: readonly ResourceObject[], name: string): ResourceObject {
  const found = list.find(r => (r.name ?? r.cluster_name) === name);
  if (!found)
    throw new Error(
      `no resource ${name} among ${list.map(r => r.name ?? r.cluster_name).join(", ")}`,
    );
  return found;
}

/**
 * An Istio config object for the store: `kind` in its own API group (networking or security),
 * v1, with `metadata` merged in (annotations, labels).
 */
export function istioObject(
  kind: string,
  name: string,
  namespace: string,
  spec: Record<string, unknown>,
  metadata: Record<string, unknown> = {},
): StoreObject {
  const group = (KINDS as Record<string, { group: string } | undefined>)[kind]?.group;
  if (!group) throw new Error(`istioObject: ${kind} is not an Istio kind Rigging serves`);
  return {
    apiVersion: `${group}/v1`,
    kind,
    metadata: { name, namespace, ...metadata },
    spec,
  } as unknown as StoreObject;
}

/**
 * Mesh options without the default `prometheus` metrics provider, for tests about authorization
 * and routing: their filter lists stay about that. The `istio.stats` filter every listener gets
 * by default is tested in telemetry/stats.test.ts.
 */
export const WITHOUT_STATS = {
  defaultProviders: { metrics: [], tracing: [], accessLogging: [] },
} as const;
