/**
 * Whether two resources in protobufjs object form encode to the same bytes, decided by walking
 * both: the encode cache's test of "the same resource again". Comparing in place allocates
 * nothing per node and stops at the first difference; a JSON string of each resource as a key
 * (6.7 MB per proxy view of the push bench's mesh) cost more than the compile it saved.
 *
 * Stricter than JSON equality where bytes could differ: keys must come in the same order
 * (protobufjs writes a map field's entries in key order), `0` and `-0` differ, typed arrays
 * compare byte for byte, and objects must share a prototype. As in JSON, a key whose value is
 * `undefined` counts as absent (`fromObject` leaves such a field unset). Pure.
 */

type Plain = Record<string, unknown>;

function definedKeys(object: Plain): string[] {
  const keys = Object.keys(object);
  for (const key of keys)
    if (object[key] === undefined) return keys.filter(k => object[k] !== undefined);
  return keys;
}

function sameBytes(a: ArrayBufferView, b: ArrayBufferView): boolean {
  if (a.constructor !== b.constructor || a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** True when `a` and `b` are the same value for the encoder (see the module comment). */
export function sameContent(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  if (Array.isArray(a)) {
    const other = b as unknown[];
    if (a.length !== other.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameContent(a[i], other[i])) return false;
    return true;
  }
  if (ArrayBuffer.isView(a)) return ArrayBuffer.isView(b) && sameBytes(a, b);
  const x = a as Plain;
  const y = b as Plain;
  const keysA = definedKeys(x);
  const keysB = definedKeys(y);
  if (keysA.length !== keysB.length) return false;
  for (let i = 0; i < keysA.length; i++) {
    const key = keysA[i]!;
    if (key !== keysB[i] || !sameContent(x[key], y[key])) return false;
  }
  return true;
}
