/**
 * The per-node snapshot store the xDS server reads from. Publishing replaces a node's snapshot
 * atomically and tells that node's watchers synchronously; the server decides what to push by
 * comparing content-hash versions, so republishing identical content pushes nothing.
 */
import type { Snapshot, SnapshotResult } from "./snapshot";

/** Called with the node's new snapshot each time one is published. */
export type SnapshotListener = (snapshot: Snapshot) => void;

/** Per-node snapshots with change notification. Pure: no clock, no I/O. */
export class SnapshotCache {
  readonly #snapshots = new Map<string, Snapshot>();
  readonly #listeners = new Map<string, Set<SnapshotListener>>();

  /** The node's current snapshot, if one was published. */
  get(nodeKey: string): Snapshot | undefined {
    return this.#snapshots.get(nodeKey);
  }

  /** Node keys with a published snapshot. */
  keys(): string[] {
    return [...this.#snapshots.keys()];
  }

  /**
   * Publishes `snapshot` for `nodeKey` and notifies its watchers. A listener that throws does not
   * stop the others (one broken stream must not block pushes to the rest).
   */
  set(nodeKey: string, snapshot: Snapshot): void {
    this.#snapshots.set(nodeKey, snapshot);
    for (const listener of [...(this.#listeners.get(nodeKey) ?? [])]) {
      try {
        listener(snapshot);
      } catch {
        // The listener's owner logs its own failures; publishing continues for everyone else.
      }
    }
  }

  /**
   * Publishes a freshly built snapshot only if it is valid; returns the build errors otherwise,
   * leaving the node's previous snapshot (and what proxies run) untouched.
   */
  publish(
    nodeKey: string,
    result: SnapshotResult,
  ): { ok: true } | { ok: false; errors: readonly string[] } {
    if (!result.ok) return result;
    this.set(nodeKey, result.value);
    return { ok: true };
  }

  /** Forgets the node's snapshot (its watchers stay registered). */
  delete(nodeKey: string): void {
    this.#snapshots.delete(nodeKey);
  }

  /** Registers `listener` for the node's future snapshots; returns the function that removes it. */
  watch(nodeKey: string, listener: SnapshotListener): () => void {
    let set = this.#listeners.get(nodeKey);
    if (!set) this.#listeners.set(nodeKey, (set = new Set()));
    set.add(listener);
    return () => {
      const current = this.#listeners.get(nodeKey);
      current?.delete(listener);
      if (current?.size === 0) this.#listeners.delete(nodeKey);
    };
  }

  /** Number of registered watchers, summed over nodes (for tests and leak checks). */
  watcherCount(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }
}
