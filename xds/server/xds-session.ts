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
}

/** How a session talks back to its stream. */
export interface SessionTransport {
  /** Writes one response. */
  send(plan: ResponsePlan): void;
  /** Ends the stream with an error the client can read. */
  fail(reason: string): void;
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
  #closed = false;
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
  ) {}

  /** The stream's status record, once the first request named the node. */
  get connection(): ConnectionStatus | undefined {
    return this.#connection;
  }

  /** Handles one decoded request. Never throws: a bad request fails only this stream. */
  handle(request: DiscoveryRequest): void {
    if (this.#closed) return;
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
    }
  }

  #fail(reason: string): void {
    this.ctx.metrics.rejectedRequests.inc({ reason: reason.split(":")[0] });
    this.close();
    this.transport.fail(reason);
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
    this.ctx.status.add(connection);
    this.ctx.metrics.connectedProxies.inc();
    this.#snapshot = this.ctx.cache.get(nodeKey);
    this.#unwatch = this.ctx.cache.watch(nodeKey, snapshot => this.#onSnapshot(snapshot));
    this.ctx.logger.debug(
      { proxy: node.id, connection: connection.id, variant: this.variant },
      "xDS stream connected",
    );
    return connection;
  }

  #handle(request: DiscoveryRequest): void {
    let connection = this.#connection;
    if (!connection) {
      // The node is required on the first request of a stream and optional afterwards.
      if (!request.node || request.node.id === "")
        return this.#fail("no-node: the first request must carry node.id");
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
    this.#trySend(typeUrl, state);
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
    this.#snapshot = snapshot;
    const now = this.ctx.now();
    // ADS order: clusters before endpoints before listeners before routes.
    for (const typeUrl of ADS_ORDER) {
      const state = this.#types.get(typeUrl);
      if (!state?.seen) continue;
      state.dueAt ??= now;
      this.#trySend(typeUrl, state);
    }
  }

  #trySend(typeUrl: XdsTypeUrl, state: TypeState): void {
    const connection = this.#connection;
    const snapshot = this.#snapshot;
    if (this.#closed || !connection || !snapshot || state.outstanding) return;
    const status = connection.type(typeUrl);
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
