/**
 * Pods grouped into workloads as Kiali groups them: by the controller that made them (a
 * Deployment's ReplicaSet loses its pod-template hash), with the `app` and `version` labels that
 * route subsets pick. Proxies connected to the control plane with no pod in the cluster (a
 * proxyless process, or every proxy while the API server is unreachable) become workloads of
 * their own, named from their node metadata.
 */
import type { Resource } from "../../../mesh/analysis";
import type { ProxyReport } from "../../../xds/status/client-status";
import { proxyName } from "../../../xds/status/proxy-status-view";

/** A workload as the graph builder needs it. */
export interface WorkloadInfo {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  /** Labels its pods share (the first pod's, for selection). */
  readonly labels: Readonly<Record<string, string>>;
  readonly app?: string;
  readonly version?: string;
  readonly serviceAccount?: string;
  /** `pod.namespace` of each pod, as proxies are named. */
  readonly pods: readonly string[];
}

const record = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

const text = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" ? v : undefined;

/** The workload id of `name` in `namespace`. */
export const workloadId = (namespace: string, name: string) => `wl:${namespace}/${name}`;

/**
 * The name of the workload a pod belongs to: its controller's name, with a ReplicaSet's
 * pod-template hash dropped (`reviews-v1-7d9f8c` → `reviews-v1`); the pod's own name otherwise.
 */
export function workloadName(pod: Resource): string {
  const meta = record(pod.object.metadata);
  const owners = Array.isArray(meta.ownerReferences) ? meta.ownerReferences.map(record) : [];
  const owner = owners.find(o => o.controller === true) ?? owners[0];
  const ownerName = text(owner?.name);
  if (!ownerName) return pod.name;
  const hash = text(record(meta.labels)["pod-template-hash"]);
  if (owner?.kind === "ReplicaSet" && hash && ownerName.endsWith(`-${hash}`))
    return ownerName.slice(0, -hash.length - 1);
  return ownerName;
}

const appOf = (labels: Readonly<Record<string, string>>) =>
  labels.app ?? labels["app.kubernetes.io/name"];
const versionOf = (labels: Readonly<Record<string, string>>) =>
  labels.version ?? labels["app.kubernetes.io/version"];

/** Pods that still run or will (finished Jobs' pods are no workload to draw). */
function live(pod: Resource): boolean {
  const phase = text(record(pod.object.status).phase);
  return phase !== "Succeeded" && phase !== "Failed";
}

/** The cluster's pods, grouped by workload, in namespace then name order. */
export function workloadsFromPods(resources: readonly Resource[]): WorkloadInfo[] {
  const byId = new Map<string, WorkloadInfo>();
  for (const pod of resources) {
    if (pod.kind !== "Pod" || pod.apiVersion !== "v1" || !live(pod)) continue;
    const name = workloadName(pod);
    const id = workloadId(pod.namespace, name);
    const seen = byId.get(id);
    const podName = `${pod.name}.${pod.namespace}`;
    if (seen) {
      byId.set(id, { ...seen, pods: [...seen.pods, podName] });
      continue;
    }
    const sa = text(record(pod.object.spec).serviceAccountName);
    const app = appOf(pod.labels);
    const version = versionOf(pod.labels);
    byId.set(id, {
      id,
      namespace: pod.namespace,
      name,
      labels: pod.labels,
      pods: [podName],
      ...(app ? { app } : {}),
      ...(version ? { version } : {}),
      serviceAccount: sa ?? "default",
    });
  }
  return sortById([...byId.values()]);
}

/**
 * Workloads for proxies whose pod is not among `known`: grouped by namespace and the `app` and
 * `version` of their node metadata `LABELS`, else named after the proxy itself.
 */
export function workloadsFromProxies(
  reports: readonly ProxyReport[],
  known: readonly WorkloadInfo[],
): WorkloadInfo[] {
  const knownPods = new Set(known.flatMap(w => w.pods));
  const byId = new Map<string, WorkloadInfo>();
  for (const r of reports) {
    const pod = proxyName(r.nodeId);
    if (knownPods.has(pod)) continue;
    const labels = Object.fromEntries(
      Object.entries(record(r.metadata.LABELS)).filter(
        (e): e is [string, string] => typeof e[1] === "string",
      ),
    );
    const namespace =
      text(r.metadata.NAMESPACE) ?? (pod.includes(".") ? pod.slice(pod.lastIndexOf(".") + 1) : "");
    const app = appOf(labels);
    const version = versionOf(labels);
    const name = app ? (version ? `${app}-${version}` : app) : pod.split(".")[0] || pod;
    const id = workloadId(namespace || "unknown", name);
    const seen = byId.get(id);
    if (seen) {
      byId.set(id, { ...seen, pods: [...seen.pods, pod] });
      continue;
    }
    const sa = text(r.metadata.SERVICE_ACCOUNT);
    byId.set(id, {
      id,
      namespace: namespace || "unknown",
      name,
      labels,
      pods: [pod],
      ...(app ? { app } : {}),
      ...(version ? { version } : {}),
      ...(sa ? { serviceAccount: sa } : {}),
    });
  }
  return sortById([...byId.values()]);
}

function sortById(list: WorkloadInfo[]): WorkloadInfo[] {
  return list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** Whether `selector` (a Service's or a policy's matchLabels) selects `w`; empty selects all. */
export function selectsWorkload(
  selector: Readonly<Record<string, string>> | undefined,
  w: WorkloadInfo,
): boolean {
  return Object.entries(selector ?? {}).every(([k, v]) => w.labels[k] === v);
}
