/**
 * Whether an admitted pod already went through injection: the mutating webhook sets Istio's
 * `sidecar.istio.io/status` annotation when it injects, so the validating webhook that follows
 * need not run the injector again to know the injection was acceptable. Pure.
 */
import { A } from "../inject/annotations";

/** True when the pod carries `sidecar.istio.io/status`. */
export function alreadyInjected(pod: { metadata?: { annotations?: Record<string, string> } }) {
  return Object.hasOwn(pod.metadata?.annotations ?? {}, A.status);
}
