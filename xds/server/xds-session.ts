/**
 * One xDS stream, transport-agnostic: requests in, response plans out. Used for ADS (all types)
 * and the per-type services (one type), in either protocol variant.
 *
 * Flow control follows go-control-plane: at most one unanswered response per type. A change
 * arriving while a response is unanswered waits for the ACK or NACK, then goes out as one
 * response with the latest state. So a proxy that never ACKs holds at most five responses, a
 * flood of requests cannot make the server queue more, and a slow proxy never delays others.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#ack-and-nack-semantics
 */
import type { SnapshotCache } from "../cache/snapshot-cache";
import type { Snapshot } from "../cache/snapshot";
import { ADS_ORDER, isXdsTypeUrl, TYPE_SHORT_NAME, type XdsTypeUrl } from "../encode/type-urls";
import { classifyRequest, type ClassifiableRequest } from "./classify-request";
import type { XdsLogger } from "./logger";
import type { DiscoveryRequest, NodeInfo, ResponsePlan } from "./messages";
import type { XdsMetrics } from "./metrics";
import { planResponse } from "./plan-response";
import {
  nodeRefusal,
  secretsWithheldMessage,
  visibleToCaller,
  type UnauthenticatedSecrets,
  type AuthenticatedCaller,
} from "./caller";
import { ConnectionStatus, type ProxyStatusRegistry } from "./proxy-status";

/** What every session of one server shares. */
export interface SessionContext {
  readonly cache: SnapshotCache;
  readonly status: ProxyStatusRegistry;
  readonly metrics: XdsMetrics;
  readonly logger: XdsLogger;
  /** Milliseconds since epoch. */
  readonly now: () => number;
  /** A nonce never used before by this server. */
  readonly nonce: () => string;
  /** A connection id for a proxy (unique per stream). */
  readonly connectionId: (node: NodeInfo) => string;
  /** The cache key a proxy's snapshot is stored under. */
  readonly nodeKey: (node: NodeInfo) => string;
  /** Per-client bounds. @default {@link DEFAULT_SESSION_LIMITS} */
  readonly limits?: SessionLimits;
  /** Told of every stream that identified its node, and of its end (see {@link ConnectionHooks}). */
  readonly hooks?: ConnectionHooks;
  /** Secrets for a caller no port authenticated. @default "serve" */
  readonly unauthenticatedSecrets?: UnauthenticatedSecrets;
}

/**
 * Who is connected, for whoever produces snapshots: a proxy's first stream is the moment to
 * compile its configuration, and its last stream's end the moment to forget it.
 */
export interface ConnectionHooks {
  /** A stream identified its node (called before the session looks for the node's snapshot). */
  onConnect?(node: NodeInfo): void;
  /** That stream ended. */
  onDisconnect?(node: NodeInfo): void;
}

/**
 * Per-client bounds, so that one misbehaving client cannot take the server's memory or CPU:
 * streams under one node id, and a token bucket of requests per stream. A healthy proxy sends
 * about one request per response (and responses are limited to one unanswered per type), so
 * the defaults leave it far below either bound.
 */
export interface SessionLimits {
  /** Live streams one node id may hold (ADS, per-type services and reconnect overlap). */
  readonly maxStreamsPerNode: number;
  /** Requests a stream may send at once. */
  readonly requestBurst: number;
  /** Requests per second a stream may sustain after the burst. */
  readonly requestsPerSecond: number;
}

/** The bounds used when the server is given none. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxStreamsPerNode: 16,
  requestBurst: 1_000,
  requestsPerSecond: 200,
};

/** How a session talks back to its stream. */
/** Why a session ended the stream (see {@link SessionTransport.fail}). */
export type FailureKind = "invalid" | "exhausted" | "denied";

export interface SessionTransport {
  /** Writes one response. */
  send(plan: ResponsePlan): void;
  /**
   * Ends the stream with an error the client can read: `invalid` for a request that is not
   * valid xDS, `exhausted` for a client over its bounds, `denied` for a node its caller may not
   * speak for (gRPC INVALID_ARGUMENT, RESOURCE_EXHAUSTED, PERMISSION_DENIED).
   */
  fail(reason: string, kind: FailureKind): void;
}

interface TypeState {
  seen: boolean;
  lastNonce?: string;
  /** The unanswered response, and when the change it carries became due. */
  outstanding?: { nonce: string; dueAt: number };
  /** The client is owed a response (initial request or new names). */
  owed: boolean;
  /** When the oldest unsent change became due. */
  dueAt?: number;
}

/** One stream's protocol state. */
export class XdsSession {
  #connection?: ConnectionStatus;
  #snapshot?: Snapshot;
  #unwatch?: () => void;
  #node?: NodeInfo;
  #closed = false;
  #warnedWithheld = false;
  #tokens: number;
  #refilledAt: number;
  readonly #limits: SessionLimits;
  readonly #types = new Map<XdsTypeUrl, TypeState>();

  /**
   * @param ctx shared server state
   * @param variant protocol variant of the stream
   * @param transport the stream
   * @param onlyType for per-type services: the one type served (requests may omit `type_url`)
   */
  constructor(
    private readonly ctx: SessionContext,
    private readonly variant: "sotw" | "delta",
    private readonly transport: SessionTransport,
    private readonly onlyType?: XdsTypeUrl,
    /**
     * The caller, when the port checked a token: it may speak only for nodes in its namespace,
     * and gets Secrets only if it may list them there. Undefined on a port that does not
     * authenticate (plaintext 15010, for tests and `rig dev` on loopback), which keeps serving
     * everything: istiod would serve no Secrets there, but that port is off in a cluster.
     */
    private readonly caller?: AuthenticatedCaller,
  ) {
    this.#limits = ctx.limits ?? DEFAULT_SESSION_LIMITS;
    this.#tokens = this.#limits.requestBurst;
    this.#refilledAt = ctx.now();
  }

  /** The stream's status record, once the first request named the node. */
  get connection(): ConnectionStatus | undefined {
    return this.#connection;
  }

  /** Handles one decoded request. Never throws: a bad request fails only this stream. */
  handle(request: DiscoveryRequest): void {
    if (this.#closed) return;
    if (!this.#takeToken()) {
      return this.#fail(
        `rate-limited: more than ${this.#limits.requestBurst} requests at once or ` +
          `${this.#limits.requestsPerSecond}/s on one stream`,
        "exhausted",
      );
    }
    try {
      this.#handle(request);
    } catch (err) {
      this.ctx.logger.warn(
        { proxy: this.#connection?.proxy.nodeId, err: String(err) },
        "xDS request failed",
      );
      this.#fail(`internal error: ${String(err)}`);
    }
  }

  /** Ends the session: stops watching the cache and drops the status record. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unwatch?.();
    if (this.#connection) {
      this.ctx.status.remove(this.#connection.id);
      this.ctx.metrics.connectedProxies.dec();
      if (this.#node) this.#callHook("onDisconnect", this.#node);
    }
  }

  #fail(reason: string, kind: FailureKind = "invalid"): void {
    this.ctx.metrics.rejectedRequests.inc({ reason: reason.split(":")[0] });
    this.close();
    this.transport.fail(reason, kind);
  }

  /** Takes one request token, refilling the bucket for the time passed. */
  #takeToken(): boolean {
    const now = this.ctx.now();
    const { requestBurst, requestsPerSecond } = this.#limits;
    this.#tokens = Math.min(
      requestBurst,
      this.#tokens + ((now - this.#refilledAt) / 1000) * requestsPerSecond,
    );
    this.#refilledAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  // A hook that throws must not take the stream down with it: the producer logs its own errors.
  #callHook(name: "onConnect" | "onDisconnect", node: NodeInfo): void {
    try {
      this.ctx.hooks?.[name]?.(node);
    } catch (err) {
      this.ctx.logger.warn({ proxy: node.id, err: String(err) }, `xDS ${name} hook failed`);
    }
  }

  #connect(node: NodeInfo): ConnectionStatus {
    const nodeKey = this.ctx.nodeKey(node);
    const connection = new ConnectionStatus(
      this.ctx.connectionId(node),
      {
        nodeId: node.id,
        nodeKey,
        cluster: node.cluster,
        metadata: node.metadata,
        userAgent: node.userAgent,
      },
      this.variant,
      this.ctx.now(),
    );
    this.#connection = connection;
    this.#node = node;
    this.ctx.status.add(connection);
    this.ctx.metrics.connectedProxies.inc();
    // The producer may publish the node's first snapshot synchronously from this hook.
    this.#callHook("onConnect", node);
    const first = this.ctx.cache.get(nodeKey);
    this.#snapshot = first && this.#visible(first);
    this.#unwatch = this.ctx.cache.watch(nodeKey, snapshot => this.#onSnapshot(snapshot));
    this.ctx.logger.debug(
      { proxy: node.id, connection: connection.id, variant: this.variant },
      "xDS stream connected",
    );
    return connection;
  }

  /**
   * The part of a snapshot this stream's caller may receive. Withholding is applied to the
   * snapshot rather than to each response, so SotW and Delta, forced and pushed responses all
   * see the same (empty) Secret type, and nothing withheld is ever recorded as held.
   */
  #visible(snapshot: Snapshot): Snapshot {
    const view = visibleToCaller(snapshot, this.caller, this.ctx.unauthenticatedSecrets);
    if (view.withheld > 0 && !this.#warnedWithheld) {
      // Once per stream: every push would repeat it, and the cause (RBAC) is the same each time.
      this.#warnedWithheld = true;
      this.ctx.logger.warn(
        {
          proxy: this.#node?.id,
          namespace: this.caller?.namespace,
          serviceAccount: this.caller?.serviceAccount,
          withheld: view.withheld,
        },
        secretsWithheldMessage(this.#node?.id ?? "(unknown)", this.caller),
      );
    }
    return view.snapshot;
  }

  #handle(request: DiscoveryRequest): void {
    let connection = this.#connection;
    if (!connection) {
      // The node is required on the first request of a stream and optional afterwards.
      if (!request.node || request.node.id === "")
        return this.#fail("no-node: the first request must carry node.id");
      if (this.ctx.status.countNode(request.node.id) >= this.#limits.maxStreamsPerNode) {
        return this.#fail(
          `too-many-streams: node ${request.node.id} already has ` +
            `${this.#limits.maxStreamsPerNode} streams open`,
          "exhausted",
        );
      }
      const refusal = nodeRefusal(request.node, this.caller);
      if (refusal !== undefined) return this.#fail(refusal, "denied");
      connection = this.#connect(request.node);
    }
    const typeUrl = request.typeUrl === "" && this.onlyType ? this.onlyType : request.typeUrl;
    if (!isXdsTypeUrl(typeUrl) || (this.onlyType && typeUrl !== this.onlyType)) {
      this.ctx.metrics.rejectedRequests.inc({ reason: "unknown-type" });
      this.ctx.logger.debug(
        { proxy: connection.proxy.nodeId, typeUrl },
        "xDS request for an unserved type ignored",
      );
      return;
    }
    let state = this.#types.get(typeUrl);
    if (!state) this.#types.set(typeUrl, (state = { seen: false, owed: false }));
    const status = connection.type(typeUrl);
    const classifiable: ClassifiableRequest =
      request.variant === "sotw"
        ? {
            variant: "sotw",
            typeUrl,
            nonce: request.nonce,
            errorDetail: request.errorDetail,
            names: request.names,
          }
        : {
            variant: "delta",
            typeUrl,
            nonce: request.nonce,
            errorDetail: request.errorDetail,
            subscribe: request.subscribe,
            unsubscribe: request.unsubscribe,
            held: Object.keys(request.initialVersions),
          };
    const result = classifyRequest(
      { subscription: state.seen ? status.subscription : undefined, lastNonce: state.lastNonce },
      classifiable,
    );
    const now = this.ctx.now();
    if (result.answersLatest) this.#answered(connection, typeUrl, state, request, now);
    if (result.kind !== "stale" || request.variant === "delta") {
      connection.recordSubscription(typeUrl, result.subscription);
      if (request.variant === "delta" && result.kind === "initial") {
        connection.recordReported(typeUrl, request.initialVersions);
      }
    }
    state.seen = true;
    if (result.respond) {
      state.owed = true;
      state.dueAt ??= now;
    }
    // An ACK may release this type and, behind it, later types held for ADS order.
    this.#pushInOrder();
  }

  #answered(
    connection: ConnectionStatus,
    typeUrl: XdsTypeUrl,
    state: TypeState,
    request: DiscoveryRequest,
    now: number,
  ): void {
    const type = TYPE_SHORT_NAME[typeUrl];
    connection.recordAnswer(typeUrl, request.nonce, now, request.errorDetail);
    const dueAt = state.outstanding?.dueAt;
    state.outstanding = undefined;
    if (request.errorDetail) {
      this.ctx.metrics.nacks.inc({ type });
      this.ctx.logger.warn(
        {
          proxy: connection.proxy.nodeId,
          connection: connection.id,
          type,
          typeUrl,
          nonce: request.nonce,
          version: connection.type(typeUrl).lastNack?.version,
          error_detail: request.errorDetail,
        },
        "xDS NACK: proxy rejected a response",
      );
    } else if (dueAt !== undefined) {
      this.ctx.metrics.convergence.observe({ type }, (now - dueAt) / 1000);
    }
  }

  #onSnapshot(snapshot: Snapshot): void {
    if (this.#closed) return;
    this.#snapshot = this.#visible(snapshot);
    const now = this.ctx.now();
    for (const state of this.#types.values()) if (state.seen) state.dueAt ??= now;
    this.#pushInOrder();
  }

  /**
   * Sends what is due in ADS order: clusters, endpoints, listeners, routes, secrets. When a
   * type's change cannot go out yet (its previous response is unanswered), the changes of every
   * later type wait too, so a proxy never receives a change's endpoints before its clusters, or
   * its routes before its listeners. Responses a client asked for (`owed`) are not held: the
   * names it asks for come from resources it already has.
   *
   * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#eventual-consistency-considerations
   */
  #pushInOrder(): void {
    let held = false;
    for (const typeUrl of ADS_ORDER) {
      const state = this.#types.get(typeUrl);
      if (!state?.seen || (state.dueAt === undefined && !state.owed)) continue;
      if (held && !state.owed) continue; // keeps dueAt: retried when the earlier type is answered
      this.#trySend(typeUrl, state);
      if (state.outstanding && state.dueAt !== undefined) held = true;
    }
  }

  #trySend(typeUrl: XdsTypeUrl, state: TypeState): void {
    const connection = this.#connection;
    const snapshot = this.#snapshot;
    if (this.#closed || !connection || !snapshot) return;
    const status = connection.type(typeUrl);
    if (state.outstanding) {
      // Wait for the answer; but if the snapshot holds nothing new for this type, drop the due
      // time so that it does not hold later types back (see #pushInOrder).
      const pending = planResponse(
        this.variant,
        typeUrl,
        status.subscription,
        status.resources,
        snapshot,
        false,
      );
      if (!state.owed && !pending) state.dueAt = undefined;
      return;
    }
    const content = planResponse(
      this.variant,
      typeUrl,
      status.subscription,
      status.resources,
      snapshot,
      state.owed,
    );
    state.owed = false;
    if (!content) {
      state.dueAt = undefined;
      return;
    }
    const now = this.ctx.now();
    const dueAt = state.dueAt ?? now;
    const plan: ResponsePlan = {
      typeUrl,
      version: snapshot.versions.get(typeUrl) ?? "",
      nonce: this.ctx.nonce(),
      resources: content.resources,
      removed: content.removed,
    };
    state.lastNonce = plan.nonce;
    state.outstanding = { nonce: plan.nonce, dueAt };
    state.dueAt = undefined;
    connection.recordSent(
      typeUrl,
      { nonce: plan.nonce, version: plan.version, at: now },
      plan.resources,
      plan.removed,
    );
    const type = TYPE_SHORT_NAME[typeUrl];
    this.ctx.metrics.pushes.inc({ type });
    this.ctx.metrics.pushLatency.observe({ type }, (now - dueAt) / 1000);
    try {
      this.transport.send(plan);
    } catch (err) {
      this.ctx.logger.warn(
        { proxy: connection.proxy.nodeId, err: String(err) },
        "xDS write failed; closing stream",
      );
      this.close();
    }
  }
}
