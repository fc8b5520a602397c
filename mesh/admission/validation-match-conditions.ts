/**
 * The `matchConditions` of Rigging's validating webhook. A pod the mutating webhook injected is
 * one the validating webhook always admits: the injector accepted it already
 * ({@link alreadyInjected}) and it cannot run outside the mesh (no opt-out, no host network; see
 * mesh-required.ts). For such a pod the API server need not call the webhook at all, which
 * saves one of the two webhook round trips every injected pod costs (Kubernetes evaluates
 * matchConditions, CEL, before it calls a webhook; GA since 1.30). Every other object is sent
 * as before. Pure data.
 */
import { A } from "../inject/annotations";

/** One entry of a webhook's `matchConditions`: the webhook is called only if all are true. */
export interface MatchCondition {
  name: string;
  expression: string;
}

const injectKey = "sidecar.istio.io/inject";
/** strconv.ParseBool's false spellings, as mesh-required.ts reads them. */
const falseValues = `['0', 'f', 'F', 'false', 'FALSE', 'False']`;

const optsOut = (field: "labels" | "annotations") =>
  `(has(object.metadata.${field}) && '${injectKey}' in object.metadata.${field} && ` +
  `object.metadata.${field}['${injectKey}'] in ${falseValues})`;

/**
 * True (call the webhook) unless the object is a Pod carrying Istio's injection status
 * annotation, with no opt-out of injection as label or annotation and no host network. Errs on
 * the side of calling: any opt-out value the mesh-required rule might read sends the pod.
 */
export const notAnInjectedPod: MatchCondition = {
  name: "rigging.dev/not-an-injected-pod",
  expression:
    `!(request.kind.group == '' && request.kind.kind == 'Pod' && object != null && ` +
    `has(object.metadata.annotations) && '${A.status}' in object.metadata.annotations && ` +
    `!${optsOut("labels")} && !${optsOut("annotations")} && ` +
    `!(has(object.spec.hostNetwork) && object.spec.hostNetwork))`,
};

/** The conditions every webhook of Rigging's ValidatingWebhookConfiguration carries. */
export const validationMatchConditions: readonly MatchCondition[] = [notAnInjectedPod];

/**
 * The webhook with {@link validationMatchConditions} set, keeping any other condition it has
 * (idempotent: a condition of the same name is replaced).
 */
export function withValidationMatchConditions<W extends { matchConditions?: MatchCondition[] }>(
  webhook: W,
): W {
  const ours = new Set(validationMatchConditions.map(c => c.name));
  const others = (webhook.matchConditions ?? []).filter(c => !ours.has(c.name));
  return { ...webhook, matchConditions: [...others, ...validationMatchConditions] };
}
