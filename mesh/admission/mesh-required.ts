import { objectRef, podTemplateOf, type KubeObject, type PodLike } from "./workload";

/** Namespace label that makes the mesh mandatory (`required`) or advisory (`warn`). */
export const meshRequiredLabel = "rigging.dev/mesh";

/** Istio's per-pod injection switch, honoured as a label (preferred) and as an annotation. */
const injectKey = "sidecar.istio.io/inject";

/** What admission should do with a workload in a namespace that may require the mesh. */
export type MeshRequiredVerdict =
  | { action: "allow" }
  | { action: "deny"; message: string }
  | { action: "warn"; message: string };

/** The namespace fields the decision reads. */
export interface NamespaceLike {
  metadata?: { name?: string; labels?: Record<string, string> };
}

/**
 * Decides whether a Pod or workload template may run in its namespace when that namespace is
 * labelled `rigging.dev/mesh=required` (refuse pods that would run outside the mesh) or `=warn`
 * (admit them with a warning). A pod runs outside the mesh when it opts out of injection
 * (`sidecar.istio.io/inject: "false"` as label or annotation) or uses the host network, which
 * Istio's injector never injects.
 */
export function checkMeshRequired(obj: KubeObject, namespace: NamespaceLike): MeshRequiredVerdict {
  const mode = namespace.metadata?.labels?.[meshRequiredLabel];
  if (mode !== "required" && mode !== "warn") return { action: "allow" };
  const ref = podTemplateOf(obj);
  if (!ref) return { action: "allow" };
  const reason = optOutReason(ref.template, ref.path);
  if (!reason) return { action: "allow" };
  const nsName = namespace.metadata?.name ?? obj.metadata?.namespace ?? "default";
  const message =
    `${objectRef(obj, nsName)}: ${reason.path}: ${reason.rule}, but namespace ${nsName} ` +
    `requires the mesh (${meshRequiredLabel}=${mode}); ${reason.fix}`;
  return mode === "required" ? { action: "deny", message } : { action: "warn", message };
}

interface OptOut {
  path: string;
  rule: string;
  fix: string;
}

function optOutReason(pod: PodLike, root: string): OptOut | undefined {
  const at = (field: string) => (root ? `${root}.${field}` : field);
  // Istio reads the label first and falls back to the annotation; report whichever decided.
  const label = pod.metadata?.labels?.[injectKey];
  const annotation = pod.metadata?.annotations?.[injectKey];
  if (label !== undefined && isFalse(label)) {
    return {
      path: at(`metadata.labels["${injectKey}"]`),
      rule: `is "${label}", which opts the pod out of sidecar injection`,
      fix: `remove the label or set it to "true"`,
    };
  }
  if (label === undefined && annotation !== undefined && isFalse(annotation)) {
    return {
      path: at(`metadata.annotations["${injectKey}"]`),
      rule: `is "${annotation}", which opts the pod out of sidecar injection`,
      fix: `remove the annotation or set it to "true"`,
    };
  }
  if (pod.spec?.hostNetwork === true) {
    return {
      path: at("spec.hostNetwork"),
      rule: "is true, and host-network pods are never injected",
      fix: "remove hostNetwork",
    };
  }
  return undefined;
}

// Istio parses the value with strconv.ParseBool, so "0", "f", "F", "FALSE" and "False" opt out too.
function isFalse(value: string): boolean {
  return ["0", "f", "F", "false", "FALSE", "False"].includes(value);
}
