/**
 * A lightweight ADS client for the load generator: one raw grpc-js bidi stream (no
 * grpc-js-xds, which costs 0.6 s per process), requests encoded and responses decoded with the
 * server's own descriptor, every response ACKed at once (or, for a client that never ACKs,
 * never). It reports each response (type, version, bytes) to a callback right after answering
 * it, and keeps nothing else. Loopback only.
 */
import * as grpc from "@grpc/grpc-js";
import { messageType } from "../../xds/encode/proto-root";

const raw = (b: Buffer): Buffer => b;
const ADS = "/envoy.service.discovery.v3.AggregatedDiscoveryService/";

/** Called once per response, right after it was ACKed (or left unanswered). */
export type OnAck = (typeUrl: string, version: string, bytes: number) => void;

/** What the client subscribes to, by type URL; an empty list is a wildcard. */
export type Subscriptions = ReadonlyMap<string, readonly string[]>;

/** One ADS stream in either variant. */
export class AdsLoadClient {
  readonly #call: grpc.ClientDuplexStream<Buffer, Buffer>;
  #sentNode = false;
  #names: Subscriptions = new Map();
  /** Set when the stream ended or failed. */
  ended = false;

  /**
   * @param client the channel to open the stream on (shared by several streams, or not)
   * @param nodeId the proxy's node id
   * @param variant SotW (`StreamAggregatedResources`) or Delta (`DeltaAggregatedResources`)
   * @param onAck reports each response
   * @param ack false for a client that reads every response and never answers one
   */
  constructor(
    client: grpc.Client,
    private readonly nodeId: string,
    private readonly variant: "sotw" | "delta",
    private readonly onAck: OnAck,
    private readonly ack = true,
  ) {
    const method = variant === "sotw" ? "StreamAggregatedResources" : "DeltaAggregatedResources";
    this.#call = client.makeBidiStreamRequest(ADS + method, raw, raw);
    this.#call.on("data", (bytes: Buffer) => this.#onResponse(bytes));
    this.#call.on("error", () => (this.ended = true));
    this.#call.on("end", () => (this.ended = true));
  }

  /** Sends the initial request of every subscribed type. */
  subscribe(subscriptions: Subscriptions): void {
    this.#names = subscriptions;
    for (const [typeUrl, names] of subscriptions) {
      if (this.variant === "sotw") this.#write({ type_url: typeUrl, resource_names: [...names] });
      else
        this.#write({
          type_url: typeUrl,
          resource_names_subscribe: names.length === 0 ? ["*"] : [...names],
        });
    }
  }

  /** Cancels the stream. */
  close(): void {
    this.#call.cancel();
  }

  #write(request: Record<string, unknown>): void {
    if (!this.#sentNode) request.node = { id: this.nodeId, user_agent_name: "bench" };
    this.#sentNode = true;
    const type = messageType(
      this.variant === "sotw"
        ? "envoy.service.discovery.v3.DiscoveryRequest"
        : "envoy.service.discovery.v3.DeltaDiscoveryRequest",
    );
    this.#call.write(Buffer.from(type.encode(request).finish()));
  }

  #onResponse(bytes: Buffer): void {
    if (this.variant === "sotw") {
      const m = messageType("envoy.service.discovery.v3.DiscoveryResponse").decode(
        bytes,
      ) as unknown as { type_url: string; version_info: string; nonce: string };
      // A SotW ACK repeats the full name list: an empty one would unsubscribe EDS and RDS.
      if (this.ack)
        this.#write({
          type_url: m.type_url,
          version_info: m.version_info,
          response_nonce: m.nonce,
          resource_names: [...(this.#names.get(m.type_url) ?? [])],
        });
      this.onAck(m.type_url, m.version_info, bytes.length);
    } else {
      const m = messageType("envoy.service.discovery.v3.DeltaDiscoveryResponse").decode(
        bytes,
      ) as unknown as { type_url: string; system_version_info: string; nonce: string };
      if (this.ack) this.#write({ type_url: m.type_url, response_nonce: m.nonce });
      this.onAck(m.type_url, m.system_version_info, bytes.length);
    }
  }
}
