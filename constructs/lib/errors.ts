/**
 * Eager prop checks. A construct throws as soon as a prop cannot work, naming the construct path
 * and the prop, so the stack trace points at the line that passed it: cdk8s-plus does the same.
 */
import type { IConstruct } from "constructs";

/** An error naming the construct path and the prop: `chart/canary: props.steps[1]: rule`. */
export function propError(scope: IConstruct, prop: string, rule: string): Error {
  return new Error(`${scope.node.path}: props.${prop}: ${rule}`);
}

/** Throws {@link propError} when `rule` is a string (check helpers return undefined when fine). */
export function checkProp(scope: IConstruct, prop: string, rule: string | undefined): void {
  if (rule !== undefined) throw propError(scope, prop, rule);
}

/** A rule for an integer in [min, max]; undefined when `value` is one. */
export function intInRange(value: number, min: number, max: number): string | undefined {
  return Number.isInteger(value) && value >= min && value <= max
    ? undefined
    : `${value} must be an integer from ${min} to ${max}`;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A rule for a Kubernetes name that must be a DNS-1123 label (namespaces, subset names). */
export function dnsLabel(value: string): string | undefined {
  return value.length <= 63 && DNS_LABEL.test(value)
    ? undefined
    : `${JSON.stringify(value)} is not a DNS-1123 label`;
}
