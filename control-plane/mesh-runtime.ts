import {
  createStore,
  applyEvent,
  CONFIG_KINDS,
  type MeshStore,
  type StoreEvent,
} from "../mesh/store";
import { validate } from "../mesh/validation/validate";
import { createDebouncer, type Debouncer, type Timers } from "../xds/cache/debouncer";
import {
  configChange,
  endpointChange,
  mergePushRequests,
  type PushRequest,
} from "../xds/cache/push-request";
import { createSnapshot } from "../xds/cache/snapshot";
import type { SnapshotCache } from "../xds/cache/snapshot-cache";
import { allResources, compile } from "../xds/compile";
import type { NodeInfo } from "../xds/server/messages";
import type { ConnectionHooks } from "../xds/server/xds-session";
import type { ControlPlaneLogger } from "./logger";

/** What the runtime needs: where snapshots go, how to log, and the clock it debounces with. */
export interface MeshRuntimeOptions {
  readonly cache: SnapshotCache;
  readonly logger: ControlPlaneLogger;
  readonly timers: Timers;
  /** Quiet period before a push. @default 100 */
  readonly quietMs?: number;
  /** Longest a change waits for its push. @default 10000 */
  readonly maxDelayMs?: number;
  /** The cache key of a node; must match the discovery server's. @default the node id */
  readonly nodeKey?: (node: NodeInfo) => string;
}

interface ConnectedNode {
  node: NodeInfo;
  streams: number;
  /** The compile warnings last logged for this node, so each push does not repeat them. */
  warnings?: string;
}

const istioKinds: ReadonlySet<string> = new Set(CONFIG_KINDS);
const endpointKinds: ReadonlySet<string> = new Set(["EndpointSlice", "WorkloadEntry", "Pod"]);

/**
 * The mesh's moving part between the watches and the xDS server: it folds watch events into the
 * store, debounces them, and for every connected proxy compiles a snapshot and publishes it —
 * only if the whole snapshot encodes and is consistent, so nothing half-applied reaches a proxy.
 * A proxy that connects gets its snapshot compiled at once; one that leaves is forgotten.
 *
 * Istio config that fails validation (it slipped past an unreachable webhook) is reported and
 * ignored: the store keeps the last valid version of that object.
 */
export class MeshRuntime implements ConnectionHooks {
  #store: MeshStore = createStore();
  readonly #nodes = new Map<string, ConnectedNode>();
  readonly #debouncer: Debouncer<PushRequest>;
  readonly #key: (node: NodeInfo) => string;

  constructor(private readonly options: MeshRuntimeOptions) {
    this.#key = options.nodeKey ?? (node => node.id);
    this.#debouncer = createDebouncer<PushRequest>({
      timers: options.timers,
      quietMs: options.quietMs,
      maxDelayMs: options.maxDelayMs,
      merge: mergePushRequests,
      flush: (request, info) => this.#push(request, info.events, info.waitedMs),
    });
  }

  /** The current store (for tests and status). */
  get store(): MeshStore {
    return this.#store;
  }

  /** Node keys of the proxies this runtime compiles for. */
  connected(): string[] {
    return [...this.#nodes.keys()];
  }

  /** Folds one watch event into the store and schedules a push. */
  apply(event: StoreEvent): void {
    const { object } = event;
    if (event.type !== "DELETED" && istioKinds.has(object.kind)) {
      const { errors } = validate(object);
      if (errors.length > 0) {
        this.options.logger.warn(
          {
            kind: object.kind,
            name: object.metadata?.name,
            namespace: object.metadata?.namespace,
            errors: errors.map(e => e.message),
          },
          "invalid Istio config ignored: the last valid version (if any) stays in effect",
        );
        return;
      }
    }
    const before = this.#store;
    this.#store = applyEvent(this.#store, event);
    if (this.#store === before) return;
    const ref = `${object.kind}/${object.metadata?.namespace ?? ""}/${object.metadata?.name ?? ""}`;
    this.#debouncer.push(endpointKinds.has(object.kind) ? endpointChange(ref) : configChange(ref));
  }

  /** A proxy stream identified itself: compile its snapshot now if it is the node's first. */
  onConnect(node: NodeInfo): void {
    const key = this.#key(node);
    const known = this.#nodes.get(key);
    if (known) {
      known.streams++;
      return;
    }
    this.#nodes.set(key, { node, streams: 1 });
    this.#publish(key, node);
  }

  /** A proxy stream ended: forget the node with its last stream. */
  onDisconnect(node: NodeInfo): void {
    const key = this.#key(node);
    const known = this.#nodes.get(key);
    if (!known || --known.streams > 0) return;
    this.#nodes.delete(key);
    this.options.cache.delete(key);
  }

  /** Pushes whatever is pending now (on shutdown, or in tests). */
  flush(): Promise<void> {
    return this.#debouncer.flushNow();
  }

  /** Drops pending changes and timers. */
  stop(): void {
    this.#debouncer.cancel();
  }

  #push(request: PushRequest, events: number, waitedMs: number): void {
    const started = this.options.timers.now();
    let published = 0;
    for (const [key, { node }] of this.#nodes) if (this.#publish(key, node)) published++;
    this.options.logger.info(
      {
        full: request.full,
        reasons: [...request.reasons].slice(0, 10),
        events,
        debouncedMs: waitedMs,
        proxies: this.#nodes.size,
        published,
        compileMs: this.options.timers.now() - started,
      },
      "xDS push",
    );
  }

  // Logs what the compiler left out (e.g. a gateway server whose Secret is missing) when it
  // differs from what was last logged for the node. Messages name Secrets, never their data.
  #warn(key: string, node: NodeInfo, warnings: readonly string[]): void {
    const known = this.#nodes.get(key);
    const joined = warnings.join("\n");
    if (!known || known.warnings === joined) return;
    known.warnings = joined;
    if (warnings.length === 0) return;
    this.options.logger.warn(
      { proxy: node.id, warnings: warnings.slice(0, 20) },
      "configuration left out for this proxy; the rest is served",
    );
  }

  // Compiles and publishes one node's snapshot; false (and the old snapshot kept) on any error.
  #publish(key: string, node: NodeInfo): boolean {
    const compiled = compile(this.#store, { id: node.id, metadata: node.metadata });
    if (!compiled.ok) {
      this.options.logger.warn(
        { proxy: node.id, errors: compiled.errors },
        "cannot compile for this proxy",
      );
      return false;
    }
    this.#warn(key, node, compiled.value.warnings);
    const published = this.options.cache.publish(key, createSnapshot(allResources(compiled.value)));
    if (!published.ok) {
      this.options.logger.error(
        { proxy: node.id, errors: published.errors.slice(0, 20) },
        "compiled configuration failed the encoder or consistency check; the proxy keeps its previous configuration",
      );
      return false;
    }
    return true;
  }
}
