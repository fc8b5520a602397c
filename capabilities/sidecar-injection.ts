import { a, Capability, K8s, kind, type PeprValidateRequest } from "pepr";
import { checkMeshRequired } from "../mesh/admission/mesh-required";
import type { KubeObject } from "../mesh/admission/workload";

/**
 * Sidecar injection: Pods that join the mesh get Istio's sidecar; namespaces labelled
 * `rigging.dev/mesh=required` refuse workloads that would run outside the mesh.
 */
export const SidecarInjection = new Capability({
  name: "sidecar-injection",
  description:
    "Injects the istio-proxy sidecar and keeps mesh-required namespaces inside the mesh.",
});

const { When } = SidecarInjection;

When(a.Pod).IsCreatedOrUpdated().Validate(refuseOutsideMesh);
When(a.Deployment).IsCreatedOrUpdated().Validate(refuseOutsideMesh);
When(a.StatefulSet).IsCreatedOrUpdated().Validate(refuseOutsideMesh);
When(a.DaemonSet).IsCreatedOrUpdated().Validate(refuseOutsideMesh);
When(a.ReplicaSet).IsCreatedOrUpdated().Validate(refuseOutsideMesh);
When(a.Job).IsCreatedOrUpdated().Validate(refuseOutsideMesh);
When(a.CronJob).IsCreatedOrUpdated().Validate(refuseOutsideMesh);

/** Reads the workload's namespace and applies the mesh-required rule to the workload. */
async function refuseOutsideMesh(req: PeprValidateRequest<KubeObject & object>) {
  const nsName = req.Request.namespace ?? req.Raw.metadata?.namespace ?? "default";
  const namespace = await K8s(kind.Namespace).Get(nsName);
  const verdict = checkMeshRequired({ ...req.Raw, kind: req.Request.kind.kind }, namespace);
  if (verdict.action === "deny") return req.Deny(verdict.message, 403);
  if (verdict.action === "warn") return req.Approve([verdict.message]);
  return req.Approve();
}
