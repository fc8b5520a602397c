/** Helpers for the validator table tests. */
import { KINDS, type KindName } from "../../../mesh/api/kinds";
import { validate, type ValidationResult } from "../../../mesh/validation";

/** An object of `kind` named `name` in `default` with the given spec. */
export function object(
  kind: KindName,
  spec: unknown,
  metadata: Record<string, unknown> = {},
): Record<string, unknown> {
  const version = KINDS[kind].storageVersion;
  return {
    apiVersion: `${KINDS[kind].group}/${version}`,
    kind,
    metadata: { name: "x", namespace: "default", ...metadata },
    spec,
  };
}

/** Validates an object built by {@link object}. */
export function check(
  kind: KindName,
  spec: unknown,
  metadata: Record<string, unknown> = {},
): ValidationResult {
  return validate(object(kind, spec, metadata));
}

/** Full error messages of a spec. */
export function errors(
  kind: KindName,
  spec: unknown,
  metadata: Record<string, unknown> = {},
): string[] {
  return check(kind, spec, metadata).errors.map(e => e.message);
}

/** Full warning messages of a spec. */
export function warnings(
  kind: KindName,
  spec: unknown,
  metadata: Record<string, unknown> = {},
): string[] {
  return check(kind, spec, metadata).warnings.map(e => e.message);
}

/** Prefixes each `path: rule` with the object reference, as the validator formats it. */
export function full(kind: KindName, expected: string | string[], name = "x"): string[] {
  return (Array.isArray(expected) ? expected : [expected]).map(
    e => `${kind} default/${name}: ${e}`,
  );
}

/** A table row: label, spec, expected `path: rule` message(s). */
export type Row = [label: string, spec: unknown, expected: string | string[]];
