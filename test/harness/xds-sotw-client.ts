/**
 * A minimal state-of-the-world ADS client for tests and the load generator: subscribes per
 * type, applies responses (LDS/CDS replace, others merge), ACKs or NACKs, and records what it
 * received; can start from a previous stream's nonces and versions, as a reconnecting Envoy
 * does. Loopback only.
 */
import * as grpc from "@grpc/grpc-js";
import { messageType } from "../../xds/encode/proto-root";
import { decodeResourceToJson } from "../../xds/encode/encode-resource";
import { isFullStateType } from "../../xds/encode/type-urls";
import { jsonToStruct } from "../../xds/status/struct-json";
import { until } from "./poll";

const raw = (b: Buffer): Buffer => b;
const requestType = () => messageType("envoy.service.discovery.v3.DiscoveryRequest");
const responseType = () => messageType("envoy.service.discovery.v3.DiscoveryResponse");

/** One decoded response as the client saw it. */
export interface ReceivedResponse {
  readonly typeUrl: string;
  readonly version: string;
  readonly nonce: string;
  readonly names: readonly string[];
  readonly at: number;
}

/** What the client does with each response. */
export type AnswerPolicy =
  | "ack"
  | "none"
  | ((response: ReceivedResponse) => "ack" | "none" | { nack: string });

/** Options of a test SotW client. */
export interface SotwClientOptions {
  /** How to answer responses. @default "ack" */
  readonly answer?: AnswerPolicy;
  /** Node id. */
  readonly nodeId: string;
  /** Node metadata (JSON), e.g. `LABELS` and `NAMESPACE` as Istio's agent sends them. */
  readonly metadata?: Readonly<Record<string, unknown>>;
  /**
   * State carried over from a previous stream ({@link SotwTestClient.carry}): the client starts
   * holding those resources and sends each type's last nonce and ACKed version on its first
   * request, as Envoy and Istio's adsc do when they reconnect.
   */
  readonly resume?: SotwCarry;
}

/** What a SotW client keeps from one stream to the next. */
export interface SotwCarry {
  /** Last nonce received per type. */
  readonly nonces: ReadonlyMap<string, string>;
  /** Last version ACKed per type. */
  readonly acked: ReadonlyMap<string, string>;
  /** Resources held, by type then name → version. */
  readonly state: ReadonlyMap<string, ReadonlyMap<string, string>>;
}

function resourceName(typeUrl: string, value: Uint8Array): string {
  const type = messageType(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
  const m = type.decode(value) as unknown as { name?: string; cluster_name?: string };
  return m.cluster_name || m.name || "";
}

/** A SotW ADS stream to 127.0.0.1:`port`. */
export class SotwTestClient {
  /** Resources held, by type then name → version of the type response that carried it. */
  readonly state = new Map<string, Map<string, string>>();
  /** Decoded resources held, by type then name (JSON form, as `rig proxy-config` shows them). */
  readonly objects = new Map<string, Map<string, Record<string, unknown>>>();
  /** Every response received, in order. */
  readonly responses: ReceivedResponse[] = [];
  /** Last version ACKed per type (what a real client reports as `version_info`). */
  readonly acked = new Map<string, string>();
  /** Set when the stream ended, with its status code. */
  ended?: number;
  readonly #client: grpc.Client;
  readonly #call: grpc.ClientDuplexStream<Buffer, Buffer>;
  readonly #nonces = new Map<string, string>();
  readonly #names = new Map<string, string[]>();
  readonly #errors = new Map<string, string>();
  #sentNode = false;

  constructor(
    port: number,
    private readonly options: SotwClientOptions,
  ) {
    for (const [typeUrl, nonce] of options.resume?.nonces ?? []) this.#nonces.set(typeUrl, nonce);
    for (const [typeUrl, version] of options.resume?.acked ?? []) this.acked.set(typeUrl, version);
    for (const [typeUrl, held] of options.resume?.state ?? [])
      this.state.set(typeUrl, new Map(held));
    this.#client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    this.#call = this.#client.makeBidiStreamRequest(
      "/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources",
      raw,
      raw,
    );
    this.#call.on("data", (bytes: Buffer) => this.#onResponse(bytes));
    this.#call.on("error", (err: grpc.ServiceError) => (this.ended = err.code));
    this.#call.on("end", () => (this.ended ??= grpc.status.OK));
  }

  /** Sets the subscribed names of a type (the full list, as SotW does) and sends a request. */
  subscribe(typeUrl: string, names: readonly string[]): void {
    this.#names.set(typeUrl, [...names]);
    this.#send(typeUrl);
  }

  /** A copy of what this client would carry onto a new stream (see `resume`). */
  carry(): SotwCarry {
    return {
      nonces: new Map(this.#nonces),
      acked: new Map(this.acked),
      state: new Map([...this.state].map(([typeUrl, held]) => [typeUrl, new Map(held)])),
    };
  }

  /** Sends raw bytes on the stream (for garbage tests). */
  writeRaw(bytes: Buffer): void {
    this.#call.write(bytes);
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

  #send(typeUrl: string): void {
    const error = this.#errors.get(typeUrl);
    const request = {
      node: this.#sentNode
        ? undefined
        : {
            id: this.options.nodeId,
            cluster: "test",
            user_agent_name: "sotw-test-client",
            metadata: this.options.metadata ? jsonToStruct(this.options.metadata) : undefined,
          },
      type_url: typeUrl,
      version_info: this.acked.get(typeUrl) ?? "",
      resource_names: this.#names.get(typeUrl) ?? [],
      response_nonce: this.#nonces.get(typeUrl) ?? "",
      error_detail: error ? { code: grpc.status.INVALID_ARGUMENT, message: error } : undefined,
    };
    this.#sentNode = true;
    this.#call.write(Buffer.from(requestType().encode(request).finish()));
  }

  #onResponse(bytes: Buffer): void {
    const m = responseType().decode(bytes) as unknown as {
      version_info: string;
      type_url: string;
      nonce: string;
      resources: { type_url: string; value: Uint8Array }[];
    };
    const names = m.resources.map(r => resourceName(r.type_url, r.value));
    const response = {
      typeUrl: m.type_url,
      version: m.version_info,
      nonce: m.nonce,
      names,
      at: Date.now(),
    };
    this.responses.push(response);
    const policy = this.options.answer ?? "ack";
    const answer = typeof policy === "function" ? policy(response) : policy;
    if (answer === "none") return;
    this.#nonces.set(m.type_url, m.nonce);
    if (answer === "ack") {
      this.#errors.delete(m.type_url);
      this.acked.set(m.type_url, m.version_info);
      let held = this.state.get(m.type_url);
      let objects = this.objects.get(m.type_url);
      if (!held || !objects || isFullStateType(m.type_url)) {
        this.state.set(m.type_url, (held = new Map()));
        this.objects.set(m.type_url, (objects = new Map()));
      }
      for (const [i, name] of names.entries()) {
        held.set(name, m.version_info);
        const r = m.resources[i]!;
        objects.set(name, decodeResourceToJson(r.type_url, r.value));
      }
    } else {
      this.#errors.set(m.type_url, answer.nack);
    }
    this.#send(m.type_url);
  }
}
