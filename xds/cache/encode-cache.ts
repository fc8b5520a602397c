/**
 * Encodes a resource once per push, however many proxies get it. Most of a mesh's resources are
 * identical across the proxies that see them (the same service's Cluster, its endpoints), and
 * encoding — with the decode-and-compare check that proves the bytes say what was written — is
 * most of a push's cost (`bench/push.bench.ts`: ~75% of a full push, with 2–20% of the
 * resources distinct). The key is the resource's JSON: equal JSON, equal bytes (the compiler
 * writes no NaN, Infinity, bigint or typed arrays, which JSON would blur).
 *
 * Bounded by generations: what was encoded in this push or the previous one is kept; `rotate`
 * (after each push) forgets the rest, so resources of departed proxies and old versions go.
 */
import { encodeResource, type EncodeResult, type ResourceObject } from "../encode/encode-resource";

/** An encoder of one resource: {@link encodeResource}, or a cache in front of it. */
export type ResourceEncoder = (object: ResourceObject) => EncodeResult;

/** Counts, for tests and the benchmark. */
export interface EncodeCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly size: number;
}

/** A two-generation cache of encoded resources keyed by their JSON. */
export class EncodeCache {
  #current = new Map<string, EncodeResult>();
  #previous = new Map<string, EncodeResult>();
  #hits = 0;
  #misses = 0;

  /** Encodes `object`, or returns the result for an equal one encoded this or last push. */
  readonly encode: ResourceEncoder = object => {
    let key: string;
    try {
      key = JSON.stringify(object);
    } catch {
      return encodeResource(object);
    }
    let result = this.#current.get(key);
    if (!result) {
      result = this.#previous.get(key);
      if (result) this.#current.set(key, result);
    }
    if (result) {
      this.#hits++;
      return result;
    }
    this.#misses++;
    result = encodeResource(object);
    // Failures are not kept: they are rare, and their messages should be recomputed.
    if (result.ok) this.#current.set(key, result);
    return result;
  };

  /** Starts a new generation: what neither this nor the next push encodes is forgotten. */
  rotate(): void {
    this.#previous = this.#current;
    this.#current = new Map();
  }

  /** Hits, misses and entries held. */
  stats(): EncodeCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      size: this.#current.size + this.#previous.size,
    };
  }
}
