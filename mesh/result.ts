/**
 * The outcome of an operation whose failure a user must read: either a value, or every error
 * found (not just the first), each already phrased for a person.
 */
export type Result<T, E = string> = { ok: true; value: T } | { ok: false; errors: E[] };

/** A successful {@link Result}. */
export function ok<T>(value: T): Result<T, never> {
  return { ok: true, value };
}

/** A failed {@link Result} carrying one or more errors. */
export function fail<E = string>(...errors: E[]): Result<never, E> {
  return { ok: false, errors };
}
