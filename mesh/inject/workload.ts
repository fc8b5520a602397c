/**
 * The workload a pod belongs to, guessed from its controller reference the way Istio's webhook
 * does (`kube.GetDeployMetaFromPod`,
 * https://github.com/istio/istio/blob/master/pkg/kube/util.go): a ReplicaSet named
 * `<deployment>-<pod-template-hash>` is a Deployment, a Job named `<cronjob>-<8..10 digits>` a
 * CronJob, and so on.
 */
import type { Pod, WorkloadMeta } from "./types";

const CRONJOB_JOB = /^(.+)-\d{8,10}$/;

/** The workload metadata for a pod created by a controller, or the pod itself. */
export function workloadOf(pod: Pod, namespace: string): WorkloadMeta {
  const meta = pod.metadata ?? {};
  const labels = meta.labels ?? {};
  const out: WorkloadMeta = {
    name: meta.name ?? "",
    namespace: meta.namespace || namespace,
    kind: "Pod",
    apiVersion: "v1",
  };
  if (meta.generateName) {
    const ref = (meta.ownerReferences ?? []).find(r => r.controller === true);
    if (ref) {
      out.apiVersion = ref.apiVersion ?? "";
      out.kind = ref.kind ?? "";
      out.name = ref.name ?? "";
      const hash = labels["pod-template-hash"];
      const rolloutHash = labels["rollouts-pod-template-hash"];
      if (out.kind === "ReplicaSet" && hash && out.name.endsWith(hash)) {
        out.name = trimSuffix(out.name, `-${hash}`);
        out.kind = "Deployment";
      } else if (out.kind === "ReplicaSet" && rolloutHash && out.name.endsWith(rolloutHash)) {
        out.name = trimSuffix(out.name, `-${rolloutHash}`);
        out.kind = "Rollout";
        out.apiVersion = "v1alpha1";
      } else if (out.kind === "ReplicationController" && labels.deploymentconfig) {
        out.name = labels.deploymentconfig;
        out.kind = "DeploymentConfig";
      } else if (out.kind === "Job") {
        const m = CRONJOB_JOB.exec(out.name);
        if (m?.[1]) {
          out.name = m[1];
          out.kind = "CronJob";
          out.apiVersion = "batch/v1";
        }
      }
    }
  }
  if (out.name === "") out.name = meta.name ?? "";
  return out;
}

function trimSuffix(s: string, suffix: string): string {
  return s.endsWith(suffix) ? s.slice(0, -suffix.length) : s;
}
