/**
 * What each connected proxy was sent, and what it ACKed or NACKed and when — the answer to "was
 * my change applied?" behind CSDS and `rig proxy-status`. One record per stream; memory per
 * record is bounded by the proxy's subscriptions (only the latest send, ACK and NACK per type
 * are kept, and resources hold references to shared immutable snapshot entries).
 */
import type { EncodedResource } from "../encode/encode-resource";
import { TYPE_SHORT_NAME, type XdsTypeUrl } from "../encode/type-urls";
import type { ErrorDetail } from "./classify-request";
import { EMPTY_SUBSCRIPTION, isSubscribed, type Subscription } from "./subscription";

/** A resource as the server believes the proxy holds it. */
export interface HeldResource {
  /** Resource name. */
  readonly name: string;
  /** Content-hash version. */
  readonly version: string;
  /** The bytes sent (absent when a Delta client only reported the version it had). */
  readonly resource?: EncodedResource;
  /** Nonce of the response that carried it. */
  readonly nonce?: string;
  /** When it was sent (ms since epoch). */
  readonly sentAt?: number;
  /** sent: awaiting ACK; acked; nacked: the proxy rejected the response; reported: Delta initial version. */
  readonly state: "sent" | "acked" | "nacked" | "reported";
}

/** One response, ACK or NACK. */
export interface ResponseEvent {
  /** The response nonce. */
  readonly nonce: string;
  /** `version_info` (SotW) or `system_version_info` (Delta) of that response. */
  readonly version: string;
  /** When (ms since epoch). */
  readonly at: number;
}

/** A NACK, with the proxy's reason. */
export interface NackEvent extends ResponseEvent {
  /** The `error_detail` the proxy sent. */
  readonly errorDetail: ErrorDetail;
}

/** Per-type status of one stream. */
export interface TypeStatus {
  /** What the proxy subscribes to. */
  subscription: Subscription;
  /** The latest response sent. */
  lastSent?: ResponseEvent;
  /** The latest ACK of a current nonce. */
  lastAck?: ResponseEvent;
  /** The latest NACK of a current nonce. */
  lastNack?: NackEvent;
  /** NACKs received on this stream for this type. */
  nackCount: number;
  /** Resources the proxy holds or was sent, by name. */
  readonly resources: Map<string, HeldResource>;
}

/** Who is on the other end of a stream. */
export interface ProxyIdentity {
  /** `node.id`, e.g. `sidecar~10.1.2.3~pod.ns~ns.svc.cluster.local`. */
  readonly nodeId: string;
  /** The key its snapshot is stored under in the cache. */
  readonly nodeKey: string;
  /** `node.cluster`. */
  readonly cluster: string;
  /** `node.metadata` as JSON. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** `user_agent_name` and version, e.g. `gRPC Node 1.14.1`. */
  readonly userAgent: string;
}

/** The status of one ADS (or per-type) stream. */
export class ConnectionStatus {
  /** Per-type status, created on the type's first request. */
  readonly types = new Map<XdsTypeUrl, TypeStatus>();

  /**
   * @param id unique connection id (`<node id>-<n>`, as istiod names them)
   * @param proxy who connected
   * @param variant which protocol variant the stream speaks
   * @param connectedAt when the stream opened (ms since epoch)
   */
  constructor(
    readonly id: string,
    readonly proxy: ProxyIdentity,
    readonly variant: "sotw" | "delta",
    readonly connectedAt: number,
  ) {}

  /** The type's status, created empty if needed. */
  type(typeUrl: XdsTypeUrl): TypeStatus {
    let status = this.types.get(typeUrl);
    if (!status) {
      status = { subscription: EMPTY_SUBSCRIPTION, nackCount: 0, resources: new Map() };
      this.types.set(typeUrl, status);
    }
    return status;
  }

  /** Records a response: `sent` resources now held, `removed` names dropped. */
  recordSent(
    typeUrl: XdsTypeUrl,
    event: ResponseEvent,
    sent: readonly EncodedResource[],
    removed: readonly string[],
  ): void {
    const status = this.type(typeUrl);
    status.lastSent = event;
    for (const name of removed) status.resources.delete(name);
    for (const resource of sent) {
      status.resources.set(resource.name, {
        name: resource.name,
        version: resource.version,
        resource,
        nonce: event.nonce,
        sentAt: event.at,
        state: "sent",
      });
    }
  }

  /** Records an ACK (`errorDetail` absent) or NACK of the latest response for the type. */
  recordAnswer(typeUrl: XdsTypeUrl, nonce: string, at: number, errorDetail?: ErrorDetail): void {
    const status = this.type(typeUrl);
    const version = status.lastSent?.nonce === nonce ? status.lastSent.version : "";
    if (errorDetail) {
      status.lastNack = { nonce, version, at, errorDetail };
      status.nackCount += 1;
    } else {
      status.lastAck = { nonce, version, at };
    }
    for (const [name, held] of status.resources) {
      if (held.nonce === nonce)
        status.resources.set(name, { ...held, state: errorDetail ? "nacked" : "acked" });
    }
  }

  /** Records the subscription and forgets resources no longer subscribed to. */
  recordSubscription(typeUrl: XdsTypeUrl, subscription: Subscription): void {
    const status = this.type(typeUrl);
    status.subscription = subscription;
    if (subscription.wildcard) return;
    for (const name of [...status.resources.keys()]) {
      if (!subscription.names.has(name)) status.resources.delete(name);
    }
  }

  /**
   * Records versions a Delta client says it already has (`initial_resource_versions`), after
   * its subscription: only subscribed names are kept, like everything else held.
   */
  recordReported(typeUrl: XdsTypeUrl, versions: Readonly<Record<string, string>>): void {
    const status = this.type(typeUrl);
    for (const [name, version] of Object.entries(versions)) {
      if (isSubscribed(status.subscription, name))
        status.resources.set(name, { name, version, state: "reported" });
    }
  }
}

/** Summary sync state of a type, as `istioctl proxy-status` shows it. */
export type SyncState = "NOT SENT" | "SYNCED" | "STALE" | "NACKED";

/** SYNCED when the latest response was ACKed, NACKED when it was rejected, STALE while unanswered. */
export function syncState(status: TypeStatus | undefined): SyncState {
  const sent = status?.lastSent;
  if (!status || !sent) return "NOT SENT";
  if (status.lastNack?.nonce === sent.nonce) return "NACKED";
  if (status.lastAck?.nonce === sent.nonce) return "SYNCED";
  return "STALE";
}

/** A JSON view of one connection for `rig proxy-status`. */
export interface ProxyStatusView {
  readonly id: string;
  readonly nodeId: string;
  readonly cluster: string;
  readonly userAgent: string;
  readonly variant: "sotw" | "delta";
  readonly connectedAt: string;
  readonly types: Record<
    string,
    {
      readonly state: SyncState;
      readonly sent?: { version: string; nonce: string; at: string };
      readonly acked?: { version: string; nonce: string; at: string };
      readonly nacked?: { version: string; nonce: string; at: string; errorDetail: ErrorDetail };
      readonly nacks: number;
      readonly resources: number;
    }
  >;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const event = (e: ResponseEvent | undefined) =>
  e && { version: e.version, nonce: e.nonce, at: iso(e.at) };

/** The JSON view of a connection (ISO times, short type names). */
export function proxyStatusView(connection: ConnectionStatus): ProxyStatusView {
  const types: Record<string, ProxyStatusView["types"][string]> = {};
  for (const [typeUrl, status] of connection.types) {
    types[TYPE_SHORT_NAME[typeUrl]] = {
      state: syncState(status),
      sent: event(status.lastSent),
      acked: event(status.lastAck),
      nacked: status.lastNack && {
        ...event(status.lastNack)!,
        errorDetail: status.lastNack.errorDetail,
      },
      nacks: status.nackCount,
      resources: status.resources.size,
    };
  }
  return {
    id: connection.id,
    nodeId: connection.proxy.nodeId,
    cluster: connection.proxy.cluster,
    userAgent: connection.proxy.userAgent,
    variant: connection.variant,
    connectedAt: iso(connection.connectedAt),
    types,
  };
}

/** All live connections' status. Connections are removed when their stream ends. */
export class ProxyStatusRegistry {
  readonly #connections = new Map<string, ConnectionStatus>();
  /** Live connections per node id, kept so the per-node stream bound costs O(1). */
  readonly #perNode = new Map<string, number>();

  /** Adds a connection's record. */
  add(connection: ConnectionStatus): void {
    if (this.#connections.has(connection.id)) return;
    this.#connections.set(connection.id, connection);
    const nodeId = connection.proxy.nodeId;
    this.#perNode.set(nodeId, (this.#perNode.get(nodeId) ?? 0) + 1);
  }

  /** Removes a connection's record when its stream ends. */
  remove(id: string): void {
    const connection = this.#connections.get(id);
    if (!connection) return;
    this.#connections.delete(id);
    const nodeId = connection.proxy.nodeId;
    const left = (this.#perNode.get(nodeId) ?? 1) - 1;
    if (left > 0) this.#perNode.set(nodeId, left);
    else this.#perNode.delete(nodeId);
  }

  /** Live connections of the node id. */
  countNode(nodeId: string): number {
    return this.#perNode.get(nodeId) ?? 0;
  }

  /** Every live connection. */
  list(): ConnectionStatus[] {
    return [...this.#connections.values()];
  }

  /** Live connections of the proxy with `nodeId`. */
  byNode(nodeId: string): ConnectionStatus[] {
    return this.list().filter(c => c.proxy.nodeId === nodeId);
  }

  /** Number of live connections. */
  get size(): number {
    return this.#connections.size;
  }
}
