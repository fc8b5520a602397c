/**
 * One xDS stream, transport-agnostic: requests in, response plans out. Used for ADS (all types)
 * and the per-type services (one type), in either protocol variant.
 *
 * The session keeps the protocol: it classifies each request (classify-request.ts), records
 * what the proxy holds (proxy-status.ts), and plans responses from the node's snapshot
 * (plan-response.ts). Per-type flow control and ADS order are response-queue.ts; who may open
 * and keep a stream (rate limit, stream cap, the caller's namespace) are the admission
 * callbacks of stream-callbacks.ts.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol
 */
import type { SnapshotCache } from "../cache/snapshot-cache";
import type { Snapshot } from "../cache/snapshot";
import { isXdsTypeUrl, TYPE_SHORT_NAME, type XdsTypeUrl } from "../encode/type-urls";
import { classifyRequest, type ClassifiableRequest } from "./classify-request";
import type { XdsLogger } from "./logger";
import type { DiscoveryRequest, NodeInfo, ResponsePlan } from "./messages";
import type { XdsMetrics } from "./metrics";
import { planResponse, type PlannedContent } from "./plan-response";
import {
  secretsWithheldMessage,
  visibleToCaller,
  type UnauthenticatedSecrets,
  type AuthenticatedCaller,
} from "./caller";
import { ConnectionStatus, type ProxyStatusRegistry } from "./proxy-status";
import { ResponseQueue } from "./response-queue";
import {
  admissionCallbacks,
  chainCallbacks,
  DEFAULT_SESSION_LIMITS,
  type FailureKind,
  type SessionLimits,
  type StreamCallbacks,
  type StreamInfo,
} from "./stream-callbacks";

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
  /** More stream callbacks, asked after the admission rules (see {@link admissionCallbacks}). */
  readonly callbacks?: StreamCallbacks;
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

/** How a session talks back to its stream. */
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

/** One stream's protocol state. */
export class XdsSession {
  #connection?: ConnectionStatus;
  #snapshot?: Snapshot;
  #unwatch?: () => void;
  #node?: NodeInfo;
  #closed = false;
  #warnedWithheld = false;
  readonly #queue = new ResponseQueue();
  readonly #stream: StreamInfo;
  readonly #callbacks: StreamCallbacks;

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
    this.#stream = { variant, onlyType, caller };
    const admission = admissionCallbacks(ctx.limits ?? DEFAULT_SESSION_LIMITS, ctx.now, id =>
      ctx.status.countNode(id),
    );
    this.#callbacks = ctx.callbacks ? chainCallbacks(admission, ctx.callbacks) : admission;
    this.#callbacks.onStreamOpen?.(this.#stream);
  }

  /** The stream's status record, once the first request named the node. */
  get connection(): ConnectionStatus | undefined {
    return this.#connection;
  }

  /** Handles one decoded request. Never throws: a bad request fails only this stream. */
  handle(request: DiscoveryRequest): void {
    if (this.#closed) return;
    try {
      const refusal = this.#callbacks.onStreamRequest?.(this.#stream, request);
      if (refusal) return this.#fail(refusal.reason, refusal.kind);
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
    this.#callbacks.onStreamClosed?.(this.#stream, this.#node);
  }

  #fail(reason: string, kind: FailureKind = "invalid"): void {
    this.ctx.metrics.rejectedRequests.inc({ reason: reason.split(":")[0] });
    this.close();
    this.transport.fail(reason, kind);
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
      const refusal = this.#callbacks.onStreamNode?.(this.#stream, request.node);
      if (refusal) return this.#fail(refusal.reason, refusal.kind);
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
      {
        subscription: this.#queue.seen(typeUrl) ? status.subscription : undefined,
        lastNonce: this.#queue.lastNonce(typeUrl),
      },
      classifiable,
    );
    const now = this.ctx.now();
    if (result.answersLatest) this.#answered(connection, typeUrl, request, now);
    if (result.kind !== "stale" || request.variant === "delta") {
      connection.recordSubscription(typeUrl, result.subscription);
      if (request.variant === "delta" && result.kind === "initial") {
        connection.recordReported(typeUrl, request.initialVersions);
      }
    }
    this.#queue.requested(typeUrl, result.respond, now);
    // An ACK may release this type and, behind it, later types held for ADS order.
    this.#release();
  }

  #answered(
    connection: ConnectionStatus,
    typeUrl: XdsTypeUrl,
    request: DiscoveryRequest,
    now: number,
  ): void {
    const type = TYPE_SHORT_NAME[typeUrl];
    connection.recordAnswer(typeUrl, request.nonce, now, request.errorDetail);
    const dueAt = this.#queue.answered(typeUrl);
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
    this.#queue.changed(this.ctx.now());
    this.#release();
  }

  /** Sends what the queue releases (in ADS order, one unanswered response per type). */
  #release(): void {
    const connection = this.#connection;
    const snapshot = this.#snapshot;
    if (this.#closed || !connection || !snapshot) return;
    this.#queue.release<PlannedContent>(
      (typeUrl, force) => {
        const status = connection.type(typeUrl);
        return planResponse(
          this.variant,
          typeUrl,
          status.subscription,
          status.resources,
          snapshot,
          force,
        );
      },
      (typeUrl, content, dueAt) => this.#send(connection, snapshot, typeUrl, content, dueAt),
      this.ctx.now(),
    );
  }

  /** Writes one response; returns its nonce, or undefined when the stream ended. */
  #send(
    connection: ConnectionStatus,
    snapshot: Snapshot,
    typeUrl: XdsTypeUrl,
    content: PlannedContent,
    dueAt: number,
  ): string | undefined {
    const now = this.ctx.now();
    const plan: ResponsePlan = {
      typeUrl,
      version: snapshot.versions.get(typeUrl) ?? "",
      nonce: this.ctx.nonce(),
      resources: content.resources,
      removed: content.removed,
    };
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
    if (this.#closed) return undefined;
    this.#callbacks.onStreamResponse?.(this.#stream, plan);
    return plan.nonce;
  }
}
