import { a, Capability, kind, type PeprMutateRequest, type PeprValidateRequest } from "pepr";
import { alreadyInjected } from "../mesh/admission/injected";
import { checkMeshRequired } from "../mesh/admission/mesh-required";
import type { KubeObject } from "../mesh/admission/workload";
import { injectPod, type Pod } from "../mesh/inject";
import { injectorSettings } from "../control-plane/injector-config-watch";
import { namespaces } from "../control-plane/namespace-cache";

/**
 * Sidecar injection: Pods that join the mesh get Istio's sidecar, rendered with the settings of
 * the `istio-sidecar-injector` and `istio` ConfigMaps in istiod's namespace (followed by every
 * admission process, see control-plane/injector-config-watch.ts); namespaces labelled
 * `rigging.dev/mesh=required` refuse workloads that would run outside the mesh.
 */
export const SidecarInjection = new Capability({
  name: "sidecar-injection",
  description:
    "Injects the istio-proxy sidecar and keeps mesh-required namespaces inside the mesh.",
});

const { When } = SidecarInjection;

When(a.Pod).IsCreated().Mutate(injectSidecar);
When(a.Pod).IsCreated().Validate(refuseMalformedInjection);

When(a.Pod).IsCreatedOrUpdated().Validate(refuseOutsideMesh);
When(a.Deployment).IsCreatedOrUpdated().Validate(refuseOutsideMesh);
When(a.StatefulSet).IsCreatedOrUpdated().Validate(refuseOutsideMesh);
When(a.DaemonSet).IsCreatedOrUpdated().Validate(refuseOutsideMesh);
When(a.ReplicaSet).IsCreatedOrUpdated().Validate(refuseOutsideMesh);
When(a.Job).IsCreatedOrUpdated().Validate(refuseOutsideMesh);
When(a.CronJob).IsCreatedOrUpdated().Validate(refuseOutsideMesh);

/** Runs the injector on an admitted pod, with its namespace from the watched cache. */
async function injectAdmitted(raw: kind.Pod, requestNamespace: string | undefined) {
  const nsName = requestNamespace ?? raw.metadata?.namespace ?? "default";
  const namespace = await namespaces.get(nsName);
  const pod = { ...raw, metadata: { ...raw.metadata, namespace: nsName } } as Pod;
  const { mesh, values } = await injectorSettings();
  return injectPod(pod, namespace as Parameters<typeof injectPod>[1], mesh, values);
}

/**
 * Adds the sidecar when the injector says so. A pod the injector refuses is left as it is here
 * and refused by {@link refuseMalformedInjection}, so that the user reads the reason in the
 * denial itself rather than in a warning beside a generic one.
 */
async function injectSidecar(req: PeprMutateRequest<kind.Pod>) {
  const result = await injectAdmitted(req.Raw, req.Request.namespace);
  if (!result.ok || !result.value.injected) return;
  const injected = result.value.pod as kind.Pod;
  req.Raw.metadata = injected.metadata;
  req.Raw.spec = injected.spec;
}

/**
 * Refuses a pod whose injection annotations the injector cannot honour, saying which and why.
 * A pod the mutating webhook injected was accepted by the injector already: not run twice.
 */
async function refuseMalformedInjection(req: PeprValidateRequest<kind.Pod>) {
  if (alreadyInjected(req.Raw)) return req.Approve();
  const result = await injectAdmitted(req.Raw, req.Request.namespace);
  return result.ok ? req.Approve() : req.Deny(result.errors.join("; "), 400);
}

/** Reads the workload's namespace and applies the mesh-required rule to the workload. */
async function refuseOutsideMesh(req: PeprValidateRequest<KubeObject & object>) {
  const nsName = req.Request.namespace ?? req.Raw.metadata?.namespace ?? "default";
  const namespace = await namespaces.get(nsName);
  const verdict = checkMeshRequired({ ...req.Raw, kind: req.Request.kind.kind }, namespace);
  if (verdict.action === "deny") return req.Deny(verdict.message, 403);
  if (verdict.action === "warn") return req.Approve([verdict.message]);
  return req.Approve();
}
