/**
 * The pod-bearing kinds Kubernetes runs, and where each keeps its pod template. Admission checks
 * on workloads (mesh-required namespaces, injection previews) read pods through this one table.
 */

/** The minimal shape of a pod template (or a Pod) that mesh admission decisions read. */
export interface PodLike {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: { hostNetwork?: boolean };
}

/** Any Kubernetes object as it arrives at admission. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; generateName?: string; namespace?: string };
  spec?: unknown;
}

/** A pod template found inside a workload, with the field path users would edit. */
export interface PodTemplateRef {
  template: PodLike;
  /** Field path of the template's root, e.g. `spec.template` (empty for a bare Pod). */
  path: string;
}

const templatePaths: Record<string, string[]> = {
  Pod: [],
  Deployment: ["spec", "template"],
  StatefulSet: ["spec", "template"],
  DaemonSet: ["spec", "template"],
  ReplicaSet: ["spec", "template"],
  ReplicationController: ["spec", "template"],
  Job: ["spec", "template"],
  CronJob: ["spec", "jobTemplate", "spec", "template"],
};

/** The workload kinds whose pods mesh admission checks. */
export const workloadKinds = Object.keys(templatePaths);

/**
 * The pod template of a workload, or `undefined` when the kind runs no pods or the object has no
 * template yet (the API server's own validation reports a missing template).
 */
export function podTemplateOf(obj: KubeObject): PodTemplateRef | undefined {
  const path = obj.kind ? templatePaths[obj.kind] : undefined;
  if (!path) return undefined;
  let node: unknown = obj;
  for (const key of path) {
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node !== "object" || node === null) return undefined;
  return { template: node as PodLike, path: path.join(".") };
}

/** `Kind namespace/name` as users read it in kubectl output and Rigging's messages. */
export function objectRef(obj: KubeObject, fallbackNamespace = "default"): string {
  const ns = obj.metadata?.namespace ?? fallbackNamespace;
  const name =
    obj.metadata?.name ??
    (obj.metadata?.generateName ? `${obj.metadata.generateName}*` : "<unnamed>");
  return `${obj.kind ?? "Object"} ${ns}/${name}`;
}
