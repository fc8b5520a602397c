/**
 * What the analyzers look at: every object read from files or the cluster, normalized (namespace
 * filled in, labels as a map), and indexed once by kind.
 */
import type { Origin } from "./message";

/** One Kubernetes object as read, with its identity resolved. */
export interface Resource {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The object as read (spec, metadata and all). */
  readonly object: Readonly<Record<string, unknown>>;
  /** Where it was read: `file.yaml:12`; absent for cluster objects. */
  readonly source?: string;
}

/** A workload's pod labels in a namespace: a Pod, or a controller's pod template. */
export interface Workload {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** Kinds whose pod template stands for the pods they will create. */
const POD_TEMPLATE_KINDS = new Set([
  "Deployment",
  "StatefulSet",
  "DaemonSet",
  "ReplicaSet",
  "Job",
  "ReplicationController",
]);

const record = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

const stringMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(record(v)).filter((e): e is [string, string] => typeof e[1] === "string"),
  );

/**
 * Normalizes an object; undefined for anything that is not a Kubernetes object (no kind or
 * apiVersion). A missing namespace becomes `defaultNamespace`, as kubectl would apply it.
 */
export function toResource(
  obj: unknown,
  defaultNamespace: string,
  source?: string,
): Resource | undefined {
  const o = record(obj);
  if (typeof o.kind !== "string" || typeof o.apiVersion !== "string") return undefined;
  const meta = record(o.metadata);
  const text = (v: unknown, fallback: string) => (typeof v === "string" && v !== "" ? v : fallback);
  return {
    apiVersion: o.apiVersion,
    kind: o.kind,
    namespace: text(meta.namespace, defaultNamespace),
    name: text(meta.name, "<unnamed>"),
    labels: stringMap(meta.labels),
    object: o,
    ...(source ? { source } : {}),
  };
}

/** The origin of messages about `r`. */
export function originOf(r: Resource): Origin {
  return {
    kind: r.kind,
    namespace: r.namespace,
    name: r.name,
    ...(r.source ? { source: r.source } : {}),
  };
}

/** The spec of a resource as a plain record (empty when missing). */
export function specOf(r: Resource): Record<string, unknown> {
  return record(r.object.spec);
}

/** The labels of the pods a resource stands for: a Pod's own, or a controller's template. */
function workloadOf(r: Resource): Workload | undefined {
  if (r.kind === "Pod" && r.apiVersion === "v1")
    return { namespace: r.namespace, labels: r.labels };
  if (!POD_TEMPLATE_KINDS.has(r.kind)) return undefined;
  const template = record(specOf(r).template);
  return { namespace: r.namespace, labels: stringMap(record(template.metadata).labels) };
}

/** Everything the analyzers read, indexed. */
export interface Inventory {
  readonly resources: readonly Resource[];
  /** Istio config and other objects, by kind. */
  readonly byKind: ReadonlyMap<string, readonly Resource[]>;
  /** Kubernetes Services (`v1`). */
  readonly services: readonly Resource[];
  /** Pods and controllers' pod templates. */
  readonly workloads: readonly Workload[];
  /** Whether the workloads are known, so that "selects nothing" can be told. */
  readonly workloadsKnown: boolean;
  /** The mesh root namespace, whose policies apply mesh-wide. */
  readonly rootNamespace: string;
}

/** Options for {@link buildInventory}. */
export interface InventoryOptions {
  /**
   * Whether the workloads are known: true for a live cluster (its Pods); otherwise true only when
   * the input has Pods or controllers. @default inferred from the input
   */
  readonly workloadsKnown?: boolean;
  /** @default "istio-system" */
  readonly rootNamespace?: string;
}

/** Indexes resources for the analyzers. */
export function buildInventory(
  resources: readonly Resource[],
  options: InventoryOptions = {},
): Inventory {
  const byKind = new Map<string, Resource[]>();
  for (const r of resources) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r]);
  const workloads = resources.map(workloadOf).filter((w): w is Workload => w !== undefined);
  return {
    resources,
    byKind,
    services: (byKind.get("Service") ?? []).filter(r => r.apiVersion === "v1"),
    workloads,
    workloadsKnown: options.workloadsKnown ?? workloads.length > 0,
    rootNamespace: options.rootNamespace ?? "istio-system",
  };
}

/** The Istio objects of one kind (any served version of its group). */
export function ofKind(inv: Inventory, kind: string, group: string): readonly Resource[] {
  return (inv.byKind.get(kind) ?? []).filter(r => r.apiVersion.startsWith(`${group}/`));
}
