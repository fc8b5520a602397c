/**
 * Whether a pod gets a sidecar, and what decided it. Two stages, as in Istio:
 * 1. the MutatingWebhookConfiguration's namespace/object selectors (namespace label
 *    `istio-injection`, revision label `istio.io/rev`, pod label `sidecar.istio.io/inject`) —
 *    manifests/charts/istio-control/istio-discovery/templates/mutatingwebhook.yaml;
 * 2. the injector's own policy check (`injectRequired` in
 *    https://github.com/istio/istio/blob/master/pkg/kube/inject/inject.go): host networking,
 *    system namespaces, the pod's `sidecar.istio.io/inject` label or annotation, never/always
 *    selectors, and the `autoInject` policy.
 * Rigging adds one rule: its own control-plane namespace is never injected.
 */
import { A, L } from "./annotations";
import type { LabelSelector, InjectionValues, MeshSettings } from "./settings";
import type { Namespace, Pod } from "./types";

/** Namespaces Istio never injects (`IgnoredNamespaces` in initializer.go). */
export const IGNORED_NAMESPACES: readonly string[] = [
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "local-path-storage",
];

/** Why a pod is or is not injected. */
export type DecisionReason =
  | "namespace-label"
  | "namespace-revision"
  | "pod-revision"
  | "pod-label"
  | "namespaces-by-default"
  | "no-selector-matched"
  | "host-network"
  | "ignored-namespace"
  | "control-plane-namespace"
  | "already-injected"
  | "pod-opt-out"
  | "pod-opt-in"
  | "never-inject-selector"
  | "always-inject-selector"
  | "policy-enabled"
  | "policy-disabled";

/** The outcome of the injection decision, for `rig check-inject` and for logs. */
export interface InjectionDecision {
  readonly inject: boolean;
  readonly reason: DecisionReason;
  /** A sentence naming the label, annotation or rule that decided. */
  readonly message: string;
}

/** Does a label set match a selector? (`metav1.LabelSelectorAsSelector`; empty never matches.) */
export function selectorMatches(sel: LabelSelector, labels: Record<string, string>): boolean {
  const exprs = sel.matchExpressions ?? [];
  const match = Object.entries(sel.matchLabels ?? {});
  if (match.length === 0 && exprs.length === 0) return false;
  if (!match.every(([k, v]) => labels[k] === v)) return false;
  return exprs.every(e => {
    const has = Object.hasOwn(labels, e.key);
    const v = labels[e.key];
    switch (e.operator) {
      case "In":
        return has && (e.values ?? []).includes(v ?? "");
      case "NotIn":
        return !has || !(e.values ?? []).includes(v ?? "");
      case "Exists":
        return has;
      case "DoesNotExist":
        return !has;
      default:
        return false;
    }
  });
}

/** `ns/name` of a pod, or `ns/<generateName>*****` before the API server names it. */
export function podRef(pod: Pod, namespace?: string): string {
  const m = pod.metadata ?? {};
  const name = m.name || (m.generateName ? `${m.generateName}*****` : "");
  return `Pod ${m.namespace || namespace || "default"}/${name}`;
}

const yes = (reason: DecisionReason, message: string) => ({ inject: true, reason, message });
const no = (reason: DecisionReason, message: string) => ({ inject: false, reason, message });

/**
 * Stage 1: would the API server call the webhook for this pod, given the namespace's labels?
 * Returns the selector that matched, or undefined.
 */
export function webhookSelects(
  pod: Pod,
  namespace: Namespace,
  mesh: MeshSettings,
  values: InjectionValues,
): InjectionDecision | undefined {
  const nsLabels = namespace.metadata?.labels ?? {};
  const labels = pod.metadata?.labels ?? {};
  const rev = mesh.revision || "default";
  const has = (l: Record<string, string>, k: string) => Object.hasOwn(l, k);
  const notOptedOut = labels[L.inject] !== "false";
  const nsName = namespace.metadata?.name ?? "";
  if (nsLabels[L.rev] === rev && !has(nsLabels, L.injection) && notOptedOut) {
    return yes("namespace-revision", `namespace ${nsName} has label ${L.rev}=${rev}`);
  }
  if (
    !has(nsLabels, L.rev) &&
    !has(nsLabels, L.injection) &&
    notOptedOut &&
    labels[L.rev] === rev
  ) {
    return yes("pod-revision", `pod has label ${L.rev}=${rev}`);
  }
  if (mesh.revision !== "") return undefined;
  if (nsLabels[L.injection] === "enabled" && notOptedOut) {
    return yes("namespace-label", `namespace ${nsName} has label ${L.injection}=enabled`);
  }
  const unlabelledNs = !has(nsLabels, L.injection) && !has(nsLabels, L.rev);
  if (unlabelledNs && labels[L.inject] === "true" && !has(labels, L.rev)) {
    return yes("pod-label", `pod has label ${L.inject}=true`);
  }
  if (
    values.sidecarInjectorWebhook.enableNamespacesByDefault &&
    unlabelledNs &&
    !IGNORED_NAMESPACES.includes(nsName) &&
    !has(labels, L.inject) &&
    !has(labels, L.rev)
  ) {
    return yes("namespaces-by-default", "enableNamespacesByDefault is set and nothing opts out");
  }
  return undefined;
}

/**
 * Stage 2: the injector's own policy check, which `kube-inject` also runs. `namespace` is the
 * pod's namespace name.
 */
export function injectRequired(
  pod: Pod,
  namespace: string,
  mesh: MeshSettings,
  values: InjectionValues,
): InjectionDecision {
  const meta = pod.metadata ?? {};
  if (pod.spec.hostNetwork) {
    return no("host-network", "pod has spec.hostNetwork: true (iptables would change the node)");
  }
  if (IGNORED_NAMESPACES.includes(namespace)) {
    return no("ignored-namespace", `namespace ${namespace} is a Kubernetes system namespace`);
  }
  if (namespace !== "" && namespace === mesh.controlPlaneNamespace) {
    return no("control-plane-namespace", `namespace ${namespace} runs the control plane`);
  }
  const labels = meta.labels ?? {};
  const annotations = meta.annotations ?? {};
  // The label is the newer API; when both are present the label wins.
  const fromLabel = Object.hasOwn(labels, L.inject);
  const selector = fromLabel ? labels[L.inject] : annotations[A.inject];
  const where = `${fromLabel ? "label" : "annotation"} ${L.inject}=${selector}`;
  if (selector === "true") return yes("pod-opt-in", `pod has ${where}`);
  if (selector === "false") return no("pod-opt-out", `pod has ${where}`);
  // Any other value is ignored (Istio logs a warning) and the defaults apply.
  const hook = values.sidecarInjectorWebhook;
  if (hook.neverInjectSelector.some(s => selectorMatches(s, labels))) {
    return no("never-inject-selector", "pod labels match neverInjectSelector");
  }
  if (hook.alwaysInjectSelector.some(s => selectorMatches(s, labels))) {
    return yes("always-inject-selector", "pod labels match alwaysInjectSelector");
  }
  const policy = values.global.proxy.autoInject;
  if (policy === "enabled") return yes("policy-enabled", "autoInject policy is enabled");
  return no("policy-disabled", `autoInject policy is ${policy || "unset"}`);
}

/**
 * Would the webhook inject this pod, and why? The namespace labels select (or not) first, then
 * the injector's policy check; an already injected pod is left alone.
 */
export function decideInjection(
  pod: Pod,
  namespace: Namespace,
  mesh: MeshSettings,
  values: InjectionValues,
): InjectionDecision {
  const nsName = pod.metadata?.namespace || namespace.metadata?.name || "";
  if (Object.hasOwn(pod.metadata?.annotations ?? {}, A.status)) {
    return no("already-injected", `pod already has annotation ${A.status}`);
  }
  const selected = webhookSelects(pod, namespace, mesh, values);
  if (!selected) {
    return no(
      "no-selector-matched",
      `namespace ${nsName} has no ${L.injection}=enabled or ${L.rev} label and the pod does not opt in`,
    );
  }
  const required = injectRequired(pod, nsName, mesh, values);
  // When the policy merely defaults to inject, the selector that let the webhook run decided.
  return required.reason === "policy-enabled" ? selected : required;
}
