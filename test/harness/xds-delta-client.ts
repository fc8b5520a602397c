/**
 * A minimal incremental (Delta) ADS client for tests: subscribes and unsubscribes by name,
 * applies added/changed resources and `removed_resources`, ACKs every response, and can start
 * with `initial_resource_versions` as a reconnecting Envoy does. Loopback only.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#incremental-xds
 */
import * as grpc from "@grpc/grpc-js";
import { messageType } from "../../xds/encode/proto-root";
import { until } from "./poll";

const raw = (b: Buffer): Buffer => b;
const requestType = () => messageType("envoy.service.discovery.v3.DeltaDiscoveryRequest");
const responseType = () => messageType("envoy.service.discovery.v3.DeltaDiscoveryResponse");

/** One decoded Delta response. */
export interface ReceivedDelta {
  readonly typeUrl: string;
  readonly nonce: string;
  readonly systemVersion: string;
  readonly added: readonly { name: string; version: string }[];
  readonly removed: readonly string[];
}

/** A Delta ADS stream to 127.0.0.1:`port`. */
export class DeltaTestClient {
  /** Resources held: type → name → resource version. */
  readonly state = new Map<string, Map<string, string>>();
  /** Resource bytes held: type → name → serialized message. */
  readonly values = new Map<string, Map<string, Uint8Array>>();
  /** Every response, in order. */
  readonly responses: ReceivedDelta[] = [];
  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<Buffer, Buffer>;
  #sentNode = false;

  constructor(
    port: number,
    private readonly nodeId: string,
  ) {
    this.#client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    this.#call = this.#client.makeBidiStreamRequest(
      "/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources",
      raw,
      raw,
    );
    this.#call.on("data", (bytes: Buffer) => this.#onResponse(bytes));
    this.#call.on("error", () => undefined);
  }

  /** Subscribes (and unsubscribes) names of a type; `initialVersions` only on the first request. */
  update(
    typeUrl: string,
    subscribe: readonly string[],
    unsubscribe: readonly string[] = [],
    initialVersions: Readonly<Record<string, string>> = {},
  ): void {
    for (const name of unsubscribe) {
      this.state.get(typeUrl)?.delete(name);
      this.values.get(typeUrl)?.delete(name);
    }
    this.#write({
      type_url: typeUrl,
      resource_names_subscribe: [...subscribe],
      resource_names_unsubscribe: [...unsubscribe],
      initial_resource_versions: { ...initialVersions },
    });
  }

  /**
   * The first request for a type as a client reconnecting from another stream sends it (Envoy):
   * it keeps holding `held` (name → version), reports those versions in
   * `initial_resource_versions`, and carries `nonce`, the last one that stream saw.
   */
  resume(
    typeUrl: string,
    subscribe: readonly string[],
    held: ReadonlyMap<string, string>,
    nonce: string,
  ): void {
    this.state.set(typeUrl, new Map(held));
    this.#write({
      type_url: typeUrl,
      resource_names_subscribe: [...subscribe],
      initial_resource_versions: Object.fromEntries(held),
      response_nonce: nonce,
    });
  }

  /** The nonce of the last response received for `typeUrl` ("" before any). */
  lastNonce(typeUrl: string): string {
    return this.responses.findLast(r => r.typeUrl === typeUrl)?.nonce ?? "";
  }

  /** Resolves when `predicate` holds; rejects after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 5_000, what = "condition"): Promise<void> {
    await until(what, predicate, timeoutMs, 5);
  }

  /** Cancels the stream and closes the channel. */
  close(): void {
    this.#call.cancel();
    this.#client.close();
  }

  #write(request: Record<string, unknown>): void {
    if (!this.#sentNode)
      request.node = { id: this.nodeId, cluster: "test", user_agent_name: "delta-test-client" };
    this.#sentNode = true;
    this.#call.write(Buffer.from(requestType().encode(request).finish()));
  }

  #onResponse(bytes: Buffer): void {
    const m = responseType().decode(bytes) as unknown as {
      system_version_info: string;
      type_url: string;
      nonce: string;
      resources: { name: string; version: string; resource?: { value: Uint8Array } }[];
      removed_resources: string[];
    };
    let held = this.state.get(m.type_url);
    if (!held) this.state.set(m.type_url, (held = new Map()));
    let values = this.values.get(m.type_url);
    if (!values) this.values.set(m.type_url, (values = new Map()));
    for (const r of m.resources) {
      held.set(r.name, r.version);
      values.set(r.name, r.resource?.value ?? new Uint8Array());
    }
    for (const name of m.removed_resources) {
      held.delete(name);
      values.delete(name);
    }
    this.responses.push({
      typeUrl: m.type_url,
      nonce: m.nonce,
      systemVersion: m.system_version_info,
      added: m.resources.map(r => ({ name: r.name, version: r.version })),
      removed: [...m.removed_resources],
    });
    this.#write({ type_url: m.type_url, response_nonce: m.nonce });
  }
}
