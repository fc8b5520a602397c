/**
 * The answer `rig check-inject` gives: would the webhook inject this pod (an existing one, or a
 * new one with given labels) in this namespace, and which label, annotation or rule decided —
 * Istio's `istioctl x check-inject`, from the same {@link decideInjection} the webhook runs.
 */
import { A, L } from "./annotations";
import {
  decideInjection,
  injectRequired,
  type DecisionReason,
  type InjectionDecision,
} from "./decision";
import type { InjectionValues, MeshSettings } from "./settings";
import type { Namespace, Pod } from "./types";
import { fail, ok, type Result } from "../result";

/** What `rig check-inject` reports for one pod. */
export interface InjectionCheck {
  readonly namespace: string;
  /** The pod's name, or a description of the hypothetical new pod. */
  readonly pod: string;
  /** Whether the webhook would inject the pod (or its replacement) if it were created now. */
  readonly inject: boolean;
  readonly reason: DecisionReason;
  /** A sentence naming the label, annotation or rule that decided. */
  readonly message: string;
  /** Whether the pod carries a sidecar already (always false for a new pod). */
  readonly hasSidecar: boolean;
}

/** What to check: an existing pod, or a new pod with these labels (none: a plain pod). */
export type CheckTarget = { readonly pod: Pod } | { readonly labels: Record<string, string> };

/**
 * Would the webhook inject the target in `namespace`? An existing pod is judged as if it were
 * created again (its replacement from the same template would be): its `sidecar.istio.io/status`
 * annotation is set aside, and reported as {@link InjectionCheck.hasSidecar} instead.
 */
export function checkInjection(
  target: CheckTarget,
  namespace: Namespace,
  mesh: MeshSettings,
  values: InjectionValues,
): InjectionCheck {
  const nsName = namespace.metadata?.name ?? "";
  let pod: Pod;
  let name: string;
  let hasSidecar = false;
  if ("pod" in target) {
    const annotations = { ...target.pod.metadata?.annotations };
    hasSidecar = Object.hasOwn(annotations, A.status);
    delete annotations[A.status];
    pod = { ...target.pod, metadata: { ...target.pod.metadata, annotations } };
    name = target.pod.metadata?.name ?? "";
  } else {
    pod = {
      metadata: { namespace: nsName, labels: { ...target.labels } },
      spec: { containers: [] },
    };
    const labels = Object.entries(target.labels).map(([k, v]) => `${k}=${v}`);
    name = labels.length ? `(new pod with ${labels.join(",")})` : "(new pod)";
  }
  const decision = explained(
    decideInjection(pod, namespace, mesh, values),
    pod,
    nsName,
    mesh,
    values,
  );
  return {
    namespace: pod.metadata?.namespace || nsName,
    pod: name,
    inject: decision.inject,
    reason: decision.reason,
    message: decision.message,
    hasSidecar,
  };
}

// A pod label `sidecar.istio.io/inject=false` keeps the webhook from being called at all (its
// objectSelector), so the decision says only that no selector matched; name the label instead.
function explained(
  decision: InjectionDecision,
  pod: Pod,
  namespace: string,
  mesh: MeshSettings,
  values: InjectionValues,
): InjectionDecision {
  if (decision.reason !== "no-selector-matched" || pod.metadata?.labels?.[L.inject] !== "false") {
    return decision;
  }
  const policy = injectRequired(pod, namespace, mesh, values);
  if (policy.reason !== "pod-opt-out") return decision;
  return { ...policy, message: `${policy.message}, which the webhook's object selector excludes` };
}

// A label key is an optional DNS-subdomain prefix and a name; a value is a name or empty
// (https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#syntax-and-character-set).
const NAME = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?";
const KEY = new RegExp(`^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?${NAME}$`);
const VALUE = new RegExp(`^(${NAME})?$`);

/**
 * Parses `-l app=web,version=v1` into labels. Only equality pairs make sense for a pod that does
 * not exist yet, so set-based selectors are refused with the rule.
 */
export function parseLabels(text: string): Result<Record<string, string>> {
  const labels: Record<string, string> = {};
  const errors: string[] = [];
  for (const pair of text.split(",").map(p => p.trim())) {
    if (pair === "") continue;
    const m = /^([^=!]+)==?([^=]*)$/.exec(pair);
    const key = m?.[1]?.trim() ?? "";
    const value = m?.[2]?.trim() ?? "";
    if (!m) errors.push(`--labels: "${pair}" is not key=value`);
    else if (!KEY.test(key)) errors.push(`--labels: "${key}" is not a valid label key`);
    else if (!VALUE.test(value)) errors.push(`--labels: "${value}" is not a valid label value`);
    else labels[key] = value;
  }
  return errors.length ? fail(...errors) : ok(labels);
}
