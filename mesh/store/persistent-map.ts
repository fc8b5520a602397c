/**
 * A persistent (immutable, structurally shared) string-keyed map: a hash array mapped trie
 * with 32-way branching. `set` and `remove` copy only the path from the root to the changed
 * leaf (at most 7 small arrays), so a store update costs O(change), not O(store), and every
 * earlier snapshot stays valid and unchanged.
 *
 * Why not `Map` copies: a watch event must not cost a copy of every object in the cluster; why
 * not a library: none is installed, and this is the one structure the store needs.
 *
 * @see https://en.wikipedia.org/wiki/Hash_array_mapped_trie
 */

const BITS = 5;
const MASK = (1 << BITS) - 1;
/** Past this shift every bit of the 32-bit hash is used; keys collide into one leaf. */
const MAX_SHIFT = 30;

interface Leaf<V> {
  readonly leaf: true;
  readonly hash: number;
  /** Entries sharing `hash` (almost always one). */
  readonly entries: readonly (readonly [string, V])[];
}

interface Branch<V> {
  readonly leaf: false;
  readonly bitmap: number;
  readonly children: readonly Node<V>[];
}

type Node<V> = Leaf<V> | Branch<V>;

/** An immutable map from string keys to `V`. Treat it as opaque; use the functions below. */
export interface PMap<V> {
  readonly size: number;
  readonly root: Node<V> | undefined;
}

const EMPTY: PMap<never> = Object.freeze({ size: 0, root: undefined });

/** The empty map. */
export function emptyMap<V>(): PMap<V> {
  return EMPTY;
}

/** FNV-1a: fast, deterministic across processes (no seed), good enough spread for a trie. */
function hashOf(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

function fragment(hash: number, shift: number): number {
  return (hash >>> shift) & MASK;
}

/** The value stored under `key`, or undefined. */
export function getIn<V>(map: PMap<V>, key: string): V | undefined {
  const hash = hashOf(key);
  let node = map.root;
  let shift = 0;
  while (node) {
    if (node.leaf) {
      if (node.hash !== hash) return undefined;
      return node.entries.find(e => e[0] === key)?.[1];
    }
    const bit = 1 << fragment(hash, shift);
    if ((node.bitmap & bit) === 0) return undefined;
    node = node.children[popcount(node.bitmap & (bit - 1))];
    shift += BITS;
  }
  return undefined;
}

/** True when `key` is present. */
export function hasIn<V>(map: PMap<V>, key: string): boolean {
  return getIn(map, key) !== undefined;
}

function mergeLeaves<V>(a: Leaf<V>, b: Leaf<V>, shift: number): Node<V> {
  if (shift > MAX_SHIFT) return { leaf: true, hash: a.hash, entries: [...a.entries, ...b.entries] };
  const fa = fragment(a.hash, shift);
  const fb = fragment(b.hash, shift);
  if (fa === fb) {
    return { leaf: false, bitmap: 1 << fa, children: [mergeLeaves(a, b, shift + BITS)] };
  }
  return {
    leaf: false,
    bitmap: (1 << fa) | (1 << fb),
    children: fa < fb ? [a, b] : [b, a],
  };
}

function insert<V>(
  node: Node<V> | undefined,
  hash: number,
  key: string,
  value: V,
  shift: number,
  added: { value: boolean },
): Node<V> {
  if (!node) {
    added.value = true;
    return { leaf: true, hash, entries: [[key, value]] };
  }
  if (node.leaf) {
    if (node.hash === hash) {
      const i = node.entries.findIndex(e => e[0] === key);
      if (i >= 0 && node.entries[i]![1] === value) return node;
      const entries = [...node.entries];
      if (i >= 0) entries[i] = [key, value];
      else {
        entries.push([key, value]);
        added.value = true;
      }
      return { leaf: true, hash, entries };
    }
    added.value = true;
    return mergeLeaves(node, { leaf: true, hash, entries: [[key, value]] }, shift);
  }
  const bit = 1 << fragment(hash, shift);
  const index = popcount(node.bitmap & (bit - 1));
  const children = [...node.children];
  if ((node.bitmap & bit) === 0) {
    added.value = true;
    children.splice(index, 0, { leaf: true, hash, entries: [[key, value]] });
    return { leaf: false, bitmap: node.bitmap | bit, children };
  }
  const child = node.children[index]!;
  const next = insert(child, hash, key, value, shift + BITS, added);
  if (next === child) return node;
  children[index] = next;
  return { leaf: false, bitmap: node.bitmap, children };
}

/** A map equal to `map` with `key` set to `value` (the same map if nothing changed). */
export function setIn<V>(map: PMap<V>, key: string, value: V): PMap<V> {
  const added = { value: false };
  const root = insert(map.root, hashOf(key), key, value, 0, added);
  if (root === map.root) return map;
  return { size: map.size + (added.value ? 1 : 0), root };
}

function remove<V>(node: Node<V>, hash: number, key: string, shift: number): Node<V> | undefined {
  if (node.leaf) {
    if (node.hash !== hash) return node;
    const entries = node.entries.filter(e => e[0] !== key);
    if (entries.length === node.entries.length) return node;
    return entries.length === 0 ? undefined : { leaf: true, hash, entries };
  }
  const bit = 1 << fragment(hash, shift);
  if ((node.bitmap & bit) === 0) return node;
  const index = popcount(node.bitmap & (bit - 1));
  const child = node.children[index]!;
  const next = remove(child, hash, key, shift + BITS);
  if (next === child) return node;
  const children = [...node.children];
  if (next) children[index] = next;
  else children.splice(index, 1);
  if (children.length === 0) return undefined;
  // A branch left holding a single leaf collapses into it, keeping lookups short.
  if (children.length === 1 && children[0]!.leaf) return children[0];
  return { leaf: false, bitmap: next ? node.bitmap : node.bitmap & ~bit, children };
}

/** A map equal to `map` without `key` (the same map if it was absent). */
export function removeIn<V>(map: PMap<V>, key: string): PMap<V> {
  if (!map.root) return map;
  const root = remove(map.root, hashOf(key), key, 0);
  if (root === map.root) return map;
  return { size: map.size - 1, root };
}

/** A map with `key` changed by `update` (given the current value or undefined); undefined removes. */
export function updateIn<V>(
  map: PMap<V>,
  key: string,
  update: (current: V | undefined) => V | undefined,
): PMap<V> {
  const next = update(getIn(map, key));
  return next === undefined ? removeIn(map, key) : setIn(map, key, next);
}

function* walk<V>(node: Node<V> | undefined): Generator<readonly [string, V]> {
  if (!node) return;
  if (node.leaf) {
    yield* node.entries;
    return;
  }
  for (const child of node.children) yield* walk(child);
}

/** Every entry, in hash order (stable for equal content, but not sorted). */
export function entriesOf<V>(map: PMap<V>): IterableIterator<readonly [string, V]> {
  return walk(map.root);
}

/** Every value, in hash order. */
export function* valuesOf<V>(map: PMap<V>): IterableIterator<V> {
  for (const [, v] of walk(map.root)) yield v;
}

/** Every value, sorted by key: what callers that need a deterministic order should use. */
export function sortedValues<V>(map: PMap<V>): V[] {
  return [...walk(map.root)]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(e => e[1]);
}
