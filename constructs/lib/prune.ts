/**
 * Removes `undefined` members from plain objects and arrays, recursively, the way cdk8s drops
 * them when it renders an ApiObject, so a `manifest()` equals what `toJson()` renders.
 */
export function pruneUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(v => pruneUndefined(v)) as T;
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = pruneUndefined(v);
  return out as T;
}
