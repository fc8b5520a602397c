/**
 * A lightweight sidecar for the side-by-side benchmark: one SotW ADS stream on its own TCP
 * connection, with Istio's node id and node metadata for a pod of the cluster, subscribing the
 * way Envoy does (CDS and LDS wildcard, then EDS for every EDS cluster and RDS for every route
 * config the listeners name) and ACKing every response at once. It decodes only what it needs
 * for those names (clusters, and the HTTP connection managers inside listeners) and keeps no
 * resources. Loopback only.
 */
import * as grpc from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { messageType } from "../../xds/encode/proto-root";
import { TypeUrl } from "../../xds/encode/type-urls";
import { jsonToStruct } from "../../xds/status/struct-json";
import {
  istioNodeId,
  istioNodeMetadata,
  type ProxyIdentity,
} from "../../test/harness/xds-diff/dump";

const raw = (b: Buffer): Buffer => b;
const ADS = "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources";
const HCM =
  "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";

type Any = { type_url: string; value: Uint8Array };

/** Called for every response, right after its ACK was written. */
export type OnResponse = (typeUrl: string, bytes: Buffer, at: number) => void;

/**
 * Field 1 of an encoded message as a string: the name of a RouteConfiguration and the
 * cluster_name of a ClusterLoadAssignment, read without decoding the rest.
 */
function firstStringField(bytes: Uint8Array): string {
  const reader = protobuf.Reader.create(bytes);
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1 && (tag & 7) === 2) return reader.string();
    reader.skipType(tag & 7);
  }
  return "";
}

/** The EDS names of encoded clusters: `eds_cluster_config.service_name`, else the name. */
function edsNames(resources: readonly Any[]): string[] {
  const type = messageType("envoy.config.cluster.v3.Cluster");
  const names = new Set<string>();
  for (const r of resources) {
    const c = type.toObject(type.decode(r.value), { enums: String }) as {
      name?: string;
      type?: string;
      eds_cluster_config?: { service_name?: string };
    };
    if (c.type === "EDS") names.add(c.eds_cluster_config?.service_name || String(c.name));
  }
  return [...names].sort();
}

/** Every `rds.route_config_name` of the HTTP connection managers in encoded listeners. */
function routeNames(resources: readonly Any[]): string[] {
  const listenerType = messageType("envoy.config.listener.v3.Listener");
  const hcmType = messageType(HCM.slice(HCM.lastIndexOf("/") + 1));
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object" && !(v instanceof Uint8Array)) {
      const o = v as Record<string, unknown>;
      if (o.type_url === HCM && o.value instanceof Uint8Array) {
        const hcm = hcmType.decode(o.value) as unknown as { rds?: { route_config_name?: string } };
        if (hcm.rds?.route_config_name) names.add(hcm.rds.route_config_name);
        return;
      }
      Object.values(o).forEach(walk);
    }
  };
  for (const r of resources) walk(listenerType.decode(r.value));
  return [...names].sort();
}

/** One sidecar's ADS stream. */
export class IstioProxyClient {
  readonly #channel: grpc.Client;
  #call!: grpc.ClientDuplexStream<Buffer, Buffer>;
  #closed = false;
  #names = new Map<string, string[]>();
  /** Per type: the resource count of the last response (undefined before the first). */
  readonly #received = new Map<string, number>();
  /**
   * EDS and RDS names received since they were asked for: in SotW those are not full-state
   * types, so a response may carry only the changed ones (istiod's incremental EDS) and the
   * proxy keeps the rest, as Envoy does.
   */
  readonly #held = new Map<string, Set<string>>();
  #sentNode = false;
  /** When the client first held all four types (performance.now()), or undefined. */
  syncedAt?: number;
  /** Set while the stream is down (ended or failed, not yet reopened). */
  ended = false;
  /** Streams the server ended or refused, each reopened as Envoy does. */
  reconnects = 0;

  constructor(
    port: number,
    readonly identity: ProxyIdentity,
    private readonly onResponse: OnResponse = () => undefined,
  ) {
    // A local subchannel pool gives every proxy its own TCP connection, as real sidecars have.
    this.#channel = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      "grpc.use_local_subchannel_pool": 1,
      "grpc.max_receive_message_length": 256 * 1024 * 1024,
    });
    this.#open();
  }

  /** Opens a stream and asks for CDS and LDS, as Envoy does on every new ADS stream. */
  #open(): void {
    this.ended = false;
    this.#sentNode = false;
    this.#names = new Map([
      [TypeUrl.cluster, []],
      [TypeUrl.listener, []],
    ]);
    this.#received.clear();
    this.#held.clear();
    const call = this.#channel.makeBidiStreamRequest(ADS, raw, raw);
    this.#call = call;
    call.on("data", (bytes: Buffer) => this.#receive(bytes));
    call.on("error", () => this.#lost(call));
    call.on("end", () => this.#lost(call));
    this.#request(TypeUrl.cluster, "", "");
    this.#request(TypeUrl.listener, "", "");
  }

  /**
   * A stream the server ended or refused (istiod refuses new streams beyond its rate limit,
   * PILOT_MAX_REQUESTS_PER_SECOND) is reopened after Envoy's backoff for ADS: fully jittered,
   * 500 ms doubling per attempt, at most 30 s.
   */
  #lost(call: grpc.ClientDuplexStream<Buffer, Buffer>): void {
    if (call !== this.#call || this.ended) return;
    this.ended = true;
    if (this.#closed) return;
    this.reconnects += 1;
    const ceiling = Math.min(30_000, 500 * 2 ** Math.min(6, this.reconnects - 1));
    setTimeout(() => {
      if (!this.#closed) this.#open();
    }, Math.random() * ceiling);
  }

  /** Whether the last response of each subscribed type covered every name asked for. */
  get synced(): boolean {
    for (const [typeUrl, names] of this.#names) {
      if (this.#received.get(typeUrl) === undefined) return false;
      const held = this.#held.get(typeUrl);
      if (held && names.some(n => !held.has(n))) return false;
    }
    return this.#names.has(TypeUrl.endpoint) && this.#names.has(TypeUrl.route);
  }

  /** How many resources of `typeUrl` the last response carried (0 before the first). */
  received(typeUrl: string): number {
    return this.#received.get(typeUrl) ?? 0;
  }

  /** What the client asked for and last received, per type (for a timeout's message). */
  describe(): string {
    const short = (t: string) => t.slice(t.lastIndexOf(".") + 1);
    const types = [...this.#names].map(
      ([t, names]) => `${short(t)} ${this.#received.get(t) ?? "-"}/${names.length || "*"}`,
    );
    return `${istioNodeId(this.identity)}: ${types.join(", ")}${this.ended ? ", stream ended" : ""}`;
  }

  /** Cancels the stream and closes the connection. */
  close(): void {
    this.#closed = true;
    this.#call.cancel();
    this.#channel.close();
  }

  #request(typeUrl: string, version: string, nonce: string): void {
    const request: Record<string, unknown> = {
      type_url: typeUrl,
      version_info: version,
      response_nonce: nonce,
      resource_names: [...(this.#names.get(typeUrl) ?? [])],
    };
    if (!this.#sentNode) {
      request.node = {
        id: istioNodeId(this.identity),
        cluster: `${this.identity.labels.app ?? "bench"}.${this.identity.namespace}`,
        user_agent_name: "envoy",
        metadata: jsonToStruct(istioNodeMetadata(this.identity)),
      };
      this.#sentNode = true;
    }
    const type = messageType("envoy.service.discovery.v3.DiscoveryRequest");
    this.#call.write(Buffer.from(type.encode(request).finish()));
  }

  /** Subscribes `typeUrl` to `names` when they differ from what it asked for before. */
  #follow(typeUrl: string, names: string[]): void {
    const before = this.#names.get(typeUrl);
    if (before && before.join() === names.join()) return;
    this.#names.set(typeUrl, names);
    this.#received.delete(typeUrl);
    this.#held.set(typeUrl, new Set());
    this.#request(typeUrl, "", "");
  }

  #receive(bytes: Buffer): void {
    const m = messageType("envoy.service.discovery.v3.DiscoveryResponse").decode(
      bytes,
    ) as unknown as { type_url: string; version_info: string; nonce: string; resources: Any[] };
    this.#request(m.type_url, m.version_info, m.nonce);
    this.#received.set(m.type_url, m.resources.length);
    const held = this.#held.get(m.type_url);
    if (held) for (const r of m.resources) held.add(firstStringField(r.value));
    if (m.type_url === TypeUrl.cluster) this.#follow(TypeUrl.endpoint, edsNames(m.resources));
    if (m.type_url === TypeUrl.listener) this.#follow(TypeUrl.route, routeNames(m.resources));
    const at = performance.now();
    if (this.syncedAt === undefined && this.synced) this.syncedAt = at;
    this.onResponse(m.type_url, bytes, at);
  }
}
