/**
 * Encodes a resource once per push, however many proxies get it. Most of a mesh's resources are
 * identical across the proxies that see them (the same service's Cluster, its endpoints), and
 * encoding — with the decode-and-compare check that proves the bytes say what was written — is
 * the costliest step of a push after compiling. A resource is "the same again" when an encoded
 * one of its type and name has the same content (`same-content.ts`), compared in place: no
 * string key per resource (JSON keys were 6.7 MB per proxy view in `bench/push.bench.ts`, and
 * building them cost a third of a full push).
 *
 * Bounded by generations: what was encoded in this push or the previous one is kept; `rotate`
 * (after each push) forgets the rest, so resources of departed proxies and old versions go.
 */
import { encodeResource, type EncodeResult, type ResourceObject } from "../encode/encode-resource";
import { sameContent } from "./same-content";

/** An encoder of one resource: {@link encodeResource}, or a cache in front of it. */
export type ResourceEncoder = (object: ResourceObject) => EncodeResult;

/** Counts, for tests and the benchmark. */
export interface EncodeCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
}

type Encoded = Extract<EncodeResult, { ok: true }>;

/** Encoded variants of one type and name (proxies in different namespaces may differ). */
type Generation = Map<string, Encoded[]>;

/** `@type` and name (`cluster_name` for a ClusterLoadAssignment), or undefined if either lacks. */
function keyOf(object: ResourceObject): string | undefined {
  const type = object["@type"];
  const name = object.name ?? object.cluster_name;
  return typeof type === "string" && typeof name === "string" ? `${type}\0${name}` : undefined;
}

function find(generation: Generation, key: string, object: ResourceObject): Encoded | undefined {
  const variants = generation.get(key);
  if (!variants) return undefined;
  for (const encoded of variants) if (sameContent(encoded.value.object, object)) return encoded;
  return undefined;
}

function add(generation: Generation, key: string, encoded: Encoded): void {
  const variants = generation.get(key);
  if (variants) variants.push(encoded);
  else generation.set(key, [encoded]);
}

/** A two-generation cache of encoded resources, by type, name and content. */
export class EncodeCache {
  #current: Generation = new Map();
  #previous: Generation = new Map();
  #hits = 0;
  #misses = 0;

  /** Encodes `object`, or returns the result for an equal one encoded this or last push. */
  readonly encode: ResourceEncoder = object => {
    const key = keyOf(object);
    if (key === undefined) return encodeResource(object);
    let result = find(this.#current, key, object);
    if (!result) {
      result = find(this.#previous, key, object);
      if (result) add(this.#current, key, result);
    }
    if (result) {
      this.#hits++;
      return result;
    }
    this.#misses++;
    const encoded = encodeResource(object);
    // Failures are not kept: they are rare, and their messages should be recomputed.
    if (encoded.ok) add(this.#current, key, encoded);
    return encoded;
  };

  /** Starts a new generation: what neither this nor the next push encodes is forgotten. */
  rotate(): void {
    this.#previous = this.#current;
    this.#current = new Map();
  }

  /** Hits, misses and entries held. */
  stats(): EncodeCacheStats {
    const count = (g: Generation) => {
      let n = 0;
      for (const variants of g.values()) n += variants.length;
      return n;
    };
    return {
      hits: this.#hits,
      misses: this.#misses,
      size: count(this.#current) + count(this.#previous),
    };
  }
}
