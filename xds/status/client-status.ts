/**
 * The CSDS contract between the discovery server and `rig proxy-status` / `rig proxy-config`,
 * and the client side of it: encode a ClientStatusRequest, decode a ClientStatusResponse into
 * plain reports. Pure (protobufjs over the build-time Envoy descriptor; no gRPC).
 *
 * Standard CSDS has one entry per resource, which cannot say that a proxy ACKed an empty type,
 * nor when. So a request whose `node.metadata` sets {@link TYPE_SUMMARIES_KEY} also gets, per
 * connection, one entry per subscribed type with an empty `name` (the convention istiod's
 * `istio.io/debug/syncz` uses): standard fields for the state, the latest response's version and
 * the latest NACK, plus the full record (sent / ACKed / NACKed, with nonces and times) as a
 * `google.protobuf.Struct` in `xds_config`. Plain CSDS clients never see these entries.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/service/status/v3/csds.proto
 */
import { decodeResourceToJson } from "../encode/encode-resource";
import { messageType } from "../encode/proto-root";
import { isXdsTypeUrl, TYPE_SHORT_NAME } from "../encode/type-urls";
import { jsonToStruct, structToJson } from "./struct-json";

/** Request `node.metadata` key asking for per-type summary entries. */
export const TYPE_SUMMARIES_KEY = "rigging.io/type-summaries";
/** Response `node.metadata` key holding the connection (`id`, `variant`, `connectedAt`). */
export const CONNECTION_KEY = "rigging.io/connection";
/** Type URL of the `Any` that carries a per-type summary record. */
export const STRUCT_TYPE_URL = "type.googleapis.com/google.protobuf.Struct";

/** Sync state as `istioctl proxy-status` shows it (CSDS `ConfigStatus`). */
export type ReportState = "SYNCED" | "NOT SENT" | "STALE" | "ERROR";

/** A NACK as reported. */
export interface NackReport {
  /** Version of the rejected response. */
  readonly version: string;
  /** When the NACK arrived (ISO 8601), if known. */
  readonly at?: string;
  /** The proxy's `error_detail` message. */
  readonly detail: string;
}

/** What one proxy connection holds of one type. */
export interface TypeReport {
  /** Short type name (CDS, EDS, LDS, RDS, SDS). */
  readonly type: string;
  /** Full type URL. */
  readonly typeUrl: string;
  /** Sync state of the latest response. */
  readonly state: ReportState;
  /** Version of the latest response sent. */
  readonly version?: string;
  /** When it was sent (ISO 8601). */
  readonly sentAt?: string;
  /** The latest ACKed version and when. */
  readonly acked?: { readonly version: string; readonly at: string };
  /** The latest NACK (shown as the error while `state` is ERROR). */
  readonly nack?: NackReport;
  /** NACKs on this stream for this type. */
  readonly nacks: number;
  /** Resources the proxy holds or was sent. */
  readonly resources: number;
}

/** One resource of one proxy, as CSDS reports it. */
export interface ResourceReport {
  /** Short type name. */
  readonly type: string;
  /** Full type URL. */
  readonly typeUrl: string;
  /** Resource name. */
  readonly name: string;
  /** Content-hash version. */
  readonly version: string;
  /** SYNCED, NOT SENT (requested, none exists), STALE (sent, unanswered) or ERROR (NACKed). */
  readonly state: ReportState;
  /** When it was sent (ISO 8601). */
  readonly sentAt?: string;
  /** The NACK, while `state` is ERROR. */
  readonly nack?: NackReport;
  /** The decoded resource, when the response carried contents. */
  readonly config?: Record<string, unknown>;
}

/** One proxy connection. */
export interface ProxyReport {
  /** `node.id`. */
  readonly nodeId: string;
  /** `node.cluster`. */
  readonly cluster: string;
  /** `user_agent_name`, e.g. `gRPC Node 1.14.1`. */
  readonly userAgent: string;
  /** `node.metadata` without the control plane's own keys. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The stream, when the server sent it. */
  readonly connection?: {
    readonly id: string;
    readonly variant: string;
    readonly connectedAt: string;
  };
  /** Per-type summaries by short type name (only types the proxy subscribed to). */
  readonly types: Readonly<Record<string, TypeReport>>;
  /** Per-resource entries, in server order. */
  readonly resources: readonly ResourceReport[];
}

/** Options of a status request. */
export interface StatusRequestOptions {
  /** Only this exact node id. */
  readonly nodeId?: string;
  /** Ask for resource contents (for `proxy-config`). @default false */
  readonly withContents?: boolean;
}

/** Encodes the ClientStatusRequest `rig` sends (always asking for per-type summaries). */
export function encodeStatusRequest(options: StatusRequestOptions = {}): Buffer {
  const type = messageType("envoy.service.status.v3.ClientStatusRequest");
  const message = type.fromObject({
    node: { id: "rig", metadata: jsonToStruct({ [TYPE_SUMMARIES_KEY]: true }) },
    node_matchers: options.nodeId !== undefined ? [{ node_id: { exact: options.nodeId } }] : [],
    exclude_resource_contents: !options.withContents,
  });
  return Buffer.from(type.encode(message).finish());
}

type Plain = Record<string, unknown>;

const CONFIG_STATUS: Readonly<Record<string, ReportState>> = {
  SYNCED: "SYNCED",
  NOT_SENT: "NOT SENT",
  STALE: "STALE",
  ERROR: "ERROR",
};

function iso(ts: Plain | undefined): string | undefined {
  if (!ts) return undefined;
  const ms = Number(ts.seconds ?? 0) * 1000 + Math.floor(Number(ts.nanos ?? 0) / 1_000_000);
  return new Date(ms).toISOString();
}

function nackOf(entry: Plain): NackReport | undefined {
  const error = entry.error_state as Plain | undefined;
  if (!error) return undefined;
  return {
    version: String(error.version_info ?? ""),
    at: iso(error.last_update_attempt as Plain | undefined),
    detail: String(error.details ?? ""),
  };
}

function summaryOf(entry: Plain, typeUrl: string, type: string): TypeReport {
  const any = entry.xds_config as { type_url?: string; value?: Uint8Array } | undefined;
  let record: Plain = {};
  if (any?.type_url === STRUCT_TYPE_URL && any.value) {
    const structType = messageType("google.protobuf.Struct");
    record = structToJson(structType.toObject(structType.decode(any.value), { oneofs: true }));
  }
  const sent = record.sent as Plain | undefined;
  const acked = record.acked as Plain | undefined;
  return {
    type,
    typeUrl,
    state: CONFIG_STATUS[String(entry.config_status)] ?? "NOT SENT",
    version: sent ? String(sent.version) : (entry.version_info as string | undefined) || undefined,
    sentAt: sent ? String(sent.at) : undefined,
    acked: acked ? { version: String(acked.version), at: String(acked.at) } : undefined,
    nack: nackOf(entry),
    nacks: Number(record.nacks ?? 0),
    resources: Number(record.resources ?? 0),
  };
}

function resourceOf(entry: Plain, typeUrl: string, type: string): ResourceReport {
  const any = entry.xds_config as { type_url?: string; value?: Uint8Array } | undefined;
  const state = CONFIG_STATUS[String(entry.config_status)] ?? "NOT SENT";
  let config: Record<string, unknown> | undefined;
  if (any?.value && any.type_url) {
    try {
      config = decodeResourceToJson(any.type_url, any.value);
    } catch (err) {
      config = { "@type": any.type_url, error: `cannot decode: ${(err as Error).message}` };
    }
  }
  return {
    type,
    typeUrl,
    name: String(entry.name),
    version: String(entry.version_info ?? ""),
    state,
    sentAt: iso(entry.last_updated as Plain | undefined),
    nack: state === "ERROR" ? nackOf(entry) : undefined,
    config,
  };
}

const WORST_FIRST: readonly ReportState[] = ["ERROR", "STALE", "NOT SENT", "SYNCED"];

/** A type's summary from its resources alone, for servers that send no summaries (plain CSDS). */
function derivedSummary(type: string, typeUrl: string, all: readonly ResourceReport[]): TypeReport {
  const own = all.filter(r => r.type === type);
  const state = WORST_FIRST.find(s => own.some(r => r.state === s)) ?? "NOT SENT";
  return {
    type,
    typeUrl,
    state,
    nack: own.find(r => r.nack)?.nack,
    nacks: own.filter(r => r.nack).length,
    resources: own.length,
  };
}

/** Decodes a ClientStatusResponse into one report per proxy connection. */
export function decodeStatusResponse(bytes: Uint8Array): ProxyReport[] {
  const type = messageType("envoy.service.status.v3.ClientStatusResponse");
  const m = type.toObject(type.decode(bytes), { enums: String, longs: Number, oneofs: true });
  return ((m.config as Plain[] | undefined) ?? []).map(config => {
    const node = (config.node ?? {}) as Plain;
    const metadata = structToJson(node.metadata as Plain | undefined);
    const connection = metadata[CONNECTION_KEY] as ProxyReport["connection"] | undefined;
    delete metadata[CONNECTION_KEY];
    const types: Record<string, TypeReport> = {};
    const resources: ResourceReport[] = [];
    for (const entry of (config.generic_xds_configs as Plain[] | undefined) ?? []) {
      const typeUrl = String(entry.type_url ?? "");
      const short = isXdsTypeUrl(typeUrl) ? TYPE_SHORT_NAME[typeUrl] : typeUrl;
      if (!entry.name) types[short] = summaryOf(entry, typeUrl, short);
      else resources.push(resourceOf(entry, typeUrl, short));
    }
    for (const r of resources) types[r.type] ??= derivedSummary(r.type, r.typeUrl, resources);
    return {
      nodeId: String(node.id ?? ""),
      cluster: String(node.cluster ?? ""),
      userAgent: String(node.user_agent_name ?? ""),
      metadata,
      connection,
      types,
      resources,
    };
  });
}
