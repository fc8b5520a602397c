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
  return sameFields(a as Plain, b as Plain);
}

// The defined keys of `x`, in order, against those of `y`. `for…in` allocates nothing on plain
// objects (it walks V8's enum cache) and lists own keys in `Object.keys` order, so only `y`'s
// keys are copied: key arrays for both sides were as much garbage as the compile itself.
function sameFields(x: Plain, y: Plain): boolean {
  const keys = Object.keys(y);
  let j = 0;
  for (const key in x) {
    const value = x[key];
    if (value === undefined) continue;
    while (j < keys.length && y[keys[j]!] === undefined) j++;
    if (keys[j] !== key || !sameContent(value, y[key])) return false;
    j++;
  }
  while (j < keys.length && y[keys[j]!] === undefined) j++;
  return j === keys.length;
}
