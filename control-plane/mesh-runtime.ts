import { isDeepStrictEqual } from "node:util";
import type { MeshConfig } from "../mesh/meshconfig/mesh-config";
import type { JwksLookup, RequestAuthenticationInput } from "../mesh/authn/request-authentication";
import {
  createStore,
  applyEvent,
  CONFIG_KINDS,
  sortedValues,
  type MeshStore,
  type StoreEvent,
  type StoreOptions,
} from "../mesh/store";
import { validate } from "../mesh/validation/validate";
import { createDebouncer, type Debouncer, type Timers } from "../xds/cache/debouncer";
import {
  absorbPushRequest,
  configChange,
  endpointChange,
  type PushRequest,
} from "../xds/cache/push-request";
import { EncodeCache } from "../xds/cache/encode-cache";
import { planPush, type ProxyPushPlan } from "../xds/cache/push-scope";
import {
  createSnapshot,
  updateResources,
  type Snapshot,
  type SnapshotResult,
} from "../xds/cache/snapshot";
import type { SnapshotCache } from "../xds/cache/snapshot-cache";
import { allResources, compile, parseProxy, type MeshOptions, type Proxy } from "../xds/compile";
import { meshConfigOf } from "../xds/compile/scope";
import { entryListsAddress } from "../xds/compile/listeners/inbound";
import { proxyView, type ProxyView } from "../xds/compile/proxy-view";
import { compileEndpointUpdate } from "../xds/compile/endpoint-update";
import type { NodeInfo } from "../xds/server/messages";
import type { ConnectionHooks } from "../xds/server/xds-session";
import { jwksUrisOf } from "./jwks-fetcher";
import type { ControlPlaneLogger } from "./logger";
import type { MeshMetrics } from "./mesh-metrics";

/**
 * Where fetched JWKS come from (the control plane's {@link JwksFetcher}): the runtime tells it
 * which RequestAuthentications exist, hands its lookup to the compiler, and pushes again when
 * a key set arrives or rotates.
 */
export interface JwksSource {
  /** The key set fetched for a rule, or undefined (the compiler then fails closed). */
  readonly lookup: JwksLookup;
  /** Follow these policies: fetch new URIs, forget unnamed ones. May reject; never awaited. */
  sync(policies: readonly RequestAuthenticationInput[]): Promise<unknown>;
  /** Called with a URI whenever its key set changes. */
  onChange(listener: (jwksUri: string) => void): void;
}

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
  /** Mesh-wide settings passed to every compile. @default Istio's defaults */
  readonly meshOptions?: MeshOptions;
  /** Fetched JWKS for RequestAuthentication `jwksUri`s. @default none (JWT rules fail closed) */
  readonly jwks?: JwksSource;
  /** Push metrics. @default none */
  readonly metrics?: Pick<MeshMetrics, "pushDuration" | "proxyPushes">;
  /** How the store reads what it is fed (pods' host addresses under `rig dev`). @default none */
  readonly storeOptions?: StoreOptions;
  /**
   * Compile, encode and check one snapshot per view (see `xds/compile/proxy-view.ts`) and
   * publish it to every proxy of the view. Off compiles per proxy (the benchmark's baseline).
   * @default true
   */
  readonly shareViews?: boolean;
}

interface ConnectedNode {
  node: NodeInfo;
  /** The parsed node, or undefined when it cannot be parsed (every compile then fails). */
  proxy?: Proxy;
  /** What it is compiled as: its view, or (sharing off) a view of its own. */
  view?: ProxyView;
  /**
   * Whether the published snapshot may lag the store by more than the next batch's changes
   * (its last compile or publish failed, or none succeeded): the next push recompiles it fully.
   */
  stale: boolean;
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
  /** The store of the last push: every change since is in the pending batch. */
  #pushed: MeshStore = this.#store;
  readonly #nodes = new Map<string, ConnectedNode>();
  readonly #debouncer: Debouncer<PushRequest>;
  readonly #key: (node: NodeInfo) => string;
  #meshOptions: MeshOptions;
  /** Resources identical across proxies are encoded once per push. */
  readonly #encoded = new EncodeCache();
  /**
   * Snapshots compiled from the current store, by view key: every proxy of a view gets the
   * same one. Emptied whenever what a compile reads changes (store, mesh config, key sets).
   */
  #compiled = new Map<string, { result: SnapshotResult; warnings: readonly string[] }>();
  #compiledFrom: MeshStore | undefined;
  /** This push's endpoint updates, by view key and the snapshot they were applied to. */
  #updated = new Map<string, Map<Snapshot, SnapshotResult | "unchanged">>();

  constructor(private readonly options: MeshRuntimeOptions) {
    this.#store = this.#pushed = createStore(options.storeOptions);
    this.#key = options.nodeKey ?? (node => node.id);
    this.#meshOptions = {
      ...options.meshOptions,
      jwks: options.jwks?.lookup ?? options.meshOptions?.jwks,
    };
    options.jwks?.onChange(uri => this.#jwksChanged(uri));
    this.#debouncer = createDebouncer<PushRequest>({
      timers: options.timers,
      quietMs: options.quietMs,
      maxDelayMs: options.maxDelayMs,
      // The runtime creates each request and hands it over: the batch may absorb in place.
      merge: absorbPushRequest,
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

  /** The mesh config every compile uses. */
  get meshConfig(): MeshConfig {
    return meshConfigOf(this.#meshOptions);
  }

  /**
   * Replaces the mesh config (the `istio` ConfigMap's MeshConfig, already validated) and, if it
   * differs, recompiles every proxy: trust domains, providers and defaults reach all of them.
   * `source` names where it came from, for the push's reasons.
   */
  setMeshConfig(config: MeshConfig, source: string): boolean {
    if (isDeepStrictEqual(config, this.meshConfig)) return false;
    this.#meshOptions = { ...config, jwks: this.#meshOptions.jwks };
    this.#compiled.clear();
    // A kind planPush does not know: every proxy is recompiled.
    this.#debouncer.push(configChange(`MeshConfig/${source}`, "MeshConfig"));
    return true;
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
    if (before.config.RequestAuthentication !== this.#store.config.RequestAuthentication)
      this.#syncJwks();
  }

  /** The RequestAuthentications of the store, as the JWKS source and the builder take them. */
  #requestAuthentications(): RequestAuthenticationInput[] {
    return sortedValues(this.#store.config.RequestAuthentication).map(ra => ({
      namespace: ra.metadata.namespace ?? "default",
      name: ra.metadata.name ?? "",
      spec: ra.spec,
    }));
  }

  // Fetching runs beside the pushes, never before them: a push compiles with whatever keys are
  // there (none: fail closed), and a key set's arrival schedules the push that carries it.
  #syncJwks(): void {
    const jwks = this.options.jwks;
    if (!jwks) return;
    let sync: Promise<unknown>;
    try {
      sync = jwks.sync(this.#requestAuthentications());
    } catch (err) {
      sync = Promise.reject(err);
    }
    sync.catch(err =>
      this.options.logger.warn(
        { err: err instanceof Error ? err.message : String(err) },
        "JWKS sync failed; JWT rules without fetched keys reject their tokens",
      ),
    );
  }

  // A key set changed: recompile the workloads whose RequestAuthentications name it.
  #jwksChanged(uri: string): void {
    // The lookup the compiler reads now answers differently: nothing compiled before holds.
    this.#compiled.clear();
    for (const ra of this.#requestAuthentications()) {
      if (!jwksUrisOf(ra).includes(uri)) continue;
      this.#debouncer.push(
        configChange(`RequestAuthentication/${ra.namespace}/${ra.name}`, "jwks"),
      );
    }
  }

  /** A proxy stream identified itself: compile its snapshot now if it is the node's first. */
  onConnect(node: NodeInfo): void {
    const key = this.#key(node);
    const known = this.#nodes.get(key);
    if (known) {
      known.streams++;
      return;
    }
    const parsed = parseProxy({ id: node.id, metadata: node.metadata, locality: node.locality });
    this.#nodes.set(key, {
      node,
      proxy: parsed.ok ? parsed.value : undefined,
      view: parsed.ok ? this.#viewOf(key, parsed.value) : undefined,
      stale: true,
      streams: 1,
    });
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

  // Sharing off: a view of the node's own (its key is the node key, it compiles as itself).
  #viewOf(key: string, proxy: Proxy): ProxyView {
    if (this.options.shareViews === false) return { key: `node ${key}`, proxy };
    const store = this.#store;
    return proxyView(proxy, (ns, ip) => entryListsAddress(store, ns, ip));
  }

  // A view can depend on the store (a ServiceEntry listing a proxy's address): taken again for
  // the store about to be pushed. A node whose view changed is recompiled in full.
  #refreshViews(): void {
    for (const [key, known] of this.#nodes) {
      if (!known.proxy || !known.view) continue;
      const view = this.#viewOf(key, known.proxy);
      if (view.key === known.view.key) continue;
      known.view = view;
      known.stale = true;
    }
  }

  #push(request: PushRequest, events: number, waitedMs: number): void {
    const started = this.options.timers.now();
    this.#refreshViews();
    // Planning reads the batch against the stores; with nobody connected (start-up) it is moot.
    const plan =
      this.#nodes.size > 0
        ? this.#plan(request)
        : (): ProxyPushPlan => ({ action: "full", why: "first push" });
    this.#pushed = this.#store;
    this.#updated = new Map();
    const actions = { full: 0, endpoints: 0, unchanged: 0, failed: 0 };
    for (const [key, known] of this.#nodes) {
      // A throw for one proxy (a compiler bug) must not leave the others behind the store,
      // nor this one: it is marked stale and recompiled in full next time.
      try {
        actions[this.#pushOne(key, known, plan)]++;
      } catch (err) {
        known.stale = true;
        actions.failed++;
        this.options.logger.error(
          { proxy: known.node.id, err: err instanceof Error ? err.message : String(err) },
          "push failed for this proxy; it keeps its previous configuration",
        );
      }
    }
    this.#encoded.rotate();
    this.#updated = new Map();
    const elapsedMs = this.options.timers.now() - started;
    const metrics = this.options.metrics;
    if (metrics) {
      metrics.pushDuration.observe({ kind: request.full ? "full" : "endpoints" }, elapsedMs / 1000);
      for (const [action, n] of Object.entries(actions))
        if (n > 0) metrics.proxyPushes.inc({ action }, n);
    }
    this.options.logger.info(
      {
        full: request.full,
        reasons: [...request.reasons].slice(0, 10),
        events,
        debouncedMs: waitedMs,
        proxies: this.#nodes.size,
        published: actions.full + actions.endpoints,
        recompiled: actions.full,
        endpointsOnly: actions.endpoints,
        unchanged: actions.unchanged,
        failed: actions.failed,
        compileMs: elapsedMs,
      },
      "xDS push",
    );
  }

  // What each proxy needs, once per view (the plan reads only what the view holds); should
  // planning itself fail, everyone is recompiled (correct, slow).
  #plan(request: PushRequest): (view: ProxyView) => ProxyPushPlan {
    try {
      const plan = planPush(request, this.#pushed, this.#store, this.#meshOptions);
      const planned = new Map<string, ProxyPushPlan>();
      return view => {
        let step = planned.get(view.key);
        if (!step) planned.set(view.key, (step = plan(view.proxy)));
        return step;
      };
    } catch (err) {
      this.options.logger.error(
        { err: err instanceof Error ? err.message : String(err) },
        "push planning failed; recompiling every proxy",
      );
      return () => ({ action: "full", why: "planning failed" });
    }
  }

  #pushOne(
    key: string,
    known: ConnectedNode,
    plan: (view: ProxyView) => ProxyPushPlan,
  ): "full" | "endpoints" | "unchanged" | "failed" {
    const step = known.stale || !known.view ? { action: "full" as const } : plan(known.view);
    if (step.action === "unchanged") return "unchanged";
    if (step.action === "endpoints") return this.#publishEndpoints(key, known, step.hosts);
    return this.#publish(key, known.node) ? "full" : "failed";
  }

  // Recompiles only what an endpoint change reaches (those services' Clusters and EDS) and
  // republishes the node's last snapshot with them replaced; a node without one gets it whole.
  #publishEndpoints(
    key: string,
    known: ConnectedNode,
    hosts?: ReadonlySet<string>,
  ): "full" | "endpoints" | "unchanged" | "failed" {
    const previous = this.options.cache.get(key);
    const view = known.view;
    if (!previous || !view) return this.#publish(key, known.node) ? "full" : "failed";
    // Members of a view hold the same snapshot (unless one failed and was recompiled alone):
    // the update is compiled and applied once per snapshot they hold.
    let byBase = this.#updated.get(view.key);
    if (!byBase) this.#updated.set(view.key, (byBase = new Map()));
    let updated = byBase.get(previous);
    if (!updated) {
      const update = compileEndpointUpdate(this.#store, view.proxy, this.#meshOptions, hosts);
      updated =
        update.length === 0 ? "unchanged" : updateResources(previous, update, this.#encoded.encode);
      byBase.set(previous, updated);
    }
    if (updated === "unchanged") return "unchanged";
    return this.#check(key, known.node, updated) ? "endpoints" : "failed";
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

  // Compiles (once per view and store) and publishes one node's snapshot; false (and the old
  // snapshot kept) on any error.
  #publish(key: string, node: NodeInfo): boolean {
    const view = this.#nodes.get(key)?.view;
    if (!view) {
      const parsed = parseProxy({ id: node.id, metadata: node.metadata });
      this.#markStale(key);
      this.options.logger.warn(
        { proxy: node.id, errors: parsed.ok ? [] : parsed.errors },
        "cannot compile for this proxy",
      );
      return false;
    }
    if (this.#compiledFrom !== this.#store) {
      this.#compiled = new Map();
      this.#compiledFrom = this.#store;
    }
    let shared = this.#compiled.get(view.key);
    if (!shared) {
      const compiled = compile(this.#store, view.proxy, this.#meshOptions);
      // A view's proxy always parses: compile fails only for nodes parseProxy rejects.
      if (!compiled.ok) throw new Error(compiled.errors.join("; "));
      shared = {
        result: createSnapshot(allResources(compiled.value), this.#encoded.encode),
        warnings: compiled.value.warnings,
      };
      this.#compiled.set(view.key, shared);
    }
    this.#warn(key, node, shared.warnings);
    return this.#check(key, node, shared.result);
  }

  #markStale(key: string, stale = true): void {
    const known = this.#nodes.get(key);
    if (known) known.stale = stale;
  }

  // Publishes a built snapshot if it encoded and is consistent; false (old one kept) if not.
  #check(key: string, node: NodeInfo, snapshot: SnapshotResult): boolean {
    const published = this.options.cache.publish(key, snapshot);
    this.#markStale(key, !published.ok);
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
