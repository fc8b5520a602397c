/**
 * Client Status Discovery Service from the control plane's side: for every connected proxy,
 * each resource it was sent with its version, whether it ACKed or NACKed it, and when —
 * what `istioctl proxy-status` / `rig proxy-status` read.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/service/status/v3/csds.proto
 */
import { messageType } from "../encode/proto-root";
import { TYPE_SHORT_NAME, TypeUrl, type XdsTypeUrl } from "../encode/type-urls";
import { CONNECTION_KEY, STRUCT_TYPE_URL, TYPE_SUMMARIES_KEY } from "../status/client-status";
import { jsonToStruct, structToJson } from "../status/struct-json";
import {
  proxyStatusView,
  syncState,
  type ConnectionStatus,
  type HeldResource,
  type TypeStatus,
} from "./proxy-status";

/** The parts of a ClientStatusRequest the server honours. */
export interface ClientStatusQuery {
  /** Node id matchers (exact / prefix / suffix / contains); empty matches every proxy. */
  readonly nodeIdMatchers: readonly Readonly<Record<string, string>>[];
  /** Leave `xds_config` out (only names, versions and states). */
  readonly excludeResourceContents: boolean;
  /** Add one summary entry per type (see `xds/status/client-status.ts`). */
  readonly typeSummaries: boolean;
}

function timestamp(ms: number): { seconds: number; nanos: number } {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

function matches(nodeId: string, matcher: Readonly<Record<string, string>>): boolean {
  if (matcher.exact !== undefined) return nodeId === matcher.exact;
  if (matcher.prefix !== undefined) return nodeId.startsWith(matcher.prefix);
  if (matcher.suffix !== undefined) return nodeId.endsWith(matcher.suffix);
  if (matcher.contains !== undefined) return nodeId.includes(matcher.contains);
  return true;
}

/** Decodes a ClientStatusRequest into a query. */
export function decodeClientStatusRequest(bytes: Uint8Array): ClientStatusQuery {
  const type = messageType("envoy.service.status.v3.ClientStatusRequest");
  const m = type.toObject(type.decode(bytes), { oneofs: true }) as {
    node_matchers?: { node_id?: Record<string, string> }[];
    node?: { metadata?: Record<string, unknown> };
    exclude_resource_contents?: boolean;
  };
  return {
    nodeIdMatchers: (m.node_matchers ?? []).flatMap(n => (n.node_id ? [n.node_id] : [])),
    excludeResourceContents: m.exclude_resource_contents ?? false,
    typeSummaries: structToJson(m.node?.metadata)[TYPE_SUMMARIES_KEY] === true,
  };
}

function resourceConfig(
  typeUrl: string,
  status: TypeStatus,
  held: HeldResource,
  query: ClientStatusQuery,
): object {
  const nacked = held.state === "nacked";
  const nack = status.lastNack;
  return {
    type_url: typeUrl,
    name: held.name,
    version_info: held.version,
    // Secrets carry private keys: their state is reported, their contents never (as istiod
    // redacts them in config dumps).
    xds_config:
      !query.excludeResourceContents && held.resource && typeUrl !== TypeUrl.secret
        ? { type_url: typeUrl, value: held.resource.value }
        : undefined,
    last_updated: held.sentAt !== undefined ? timestamp(held.sentAt) : undefined,
    config_status:
      held.state === "acked" || held.state === "reported" ? "SYNCED" : nacked ? "ERROR" : "STALE",
    client_status: held.state === "acked" ? "ACKED" : nacked ? "NACKED" : "REQUESTED",
    error_state:
      nacked && nack
        ? {
            last_update_attempt: timestamp(nack.at),
            details: nack.errorDetail.message,
            version_info: nack.version,
          }
        : undefined,
  };
}

const SUMMARY_STATUS = {
  SYNCED: { config: "SYNCED", client: "ACKED" },
  "NOT SENT": { config: "NOT_SENT", client: "REQUESTED" },
  STALE: { config: "STALE", client: "REQUESTED" },
  NACKED: { config: "ERROR", client: "NACKED" },
} as const;

/**
 * The per-type summary entry (empty `name`): state, latest version, latest NACK, and the full
 * record of `proxyStatusView` as a Struct in `xds_config`.
 */
function typeSummary(typeUrl: XdsTypeUrl, status: TypeStatus, record: object): object {
  const state = SUMMARY_STATUS[syncState(status)];
  const nack = status.lastNack;
  const lastChange = status.lastAck?.nonce === status.lastSent?.nonce ? status.lastAck : undefined;
  const struct = messageType("google.protobuf.Struct");
  return {
    type_url: typeUrl,
    name: "",
    version_info: status.lastSent?.version ?? "",
    xds_config: {
      type_url: STRUCT_TYPE_URL,
      value: struct
        .encode(struct.fromObject(jsonToStruct(record as Record<string, unknown>)))
        .finish(),
    },
    last_updated: (lastChange ?? status.lastSent) && timestamp((lastChange ?? status.lastSent)!.at),
    config_status: state.config,
    client_status: state.client,
    error_state: nack && {
      last_update_attempt: timestamp(nack.at),
      details: nack.errorDetail.message,
      version_info: nack.version,
    },
  };
}

function nodeOf(c: ConnectionStatus, query: ClientStatusQuery): object {
  const metadata: Record<string, unknown> = { ...c.proxy.metadata };
  if (query.typeSummaries) {
    metadata[CONNECTION_KEY] = {
      id: c.id,
      variant: c.variant,
      connectedAt: new Date(c.connectedAt).toISOString(),
    };
  }
  return {
    id: c.proxy.nodeId,
    cluster: c.proxy.cluster,
    user_agent_name: c.proxy.userAgent,
    metadata: jsonToStruct(metadata),
  };
}

/** Builds and encodes the ClientStatusResponse for `connections`. */
export function encodeClientStatusResponse(
  connections: readonly ConnectionStatus[],
  query: ClientStatusQuery,
): Buffer {
  const config = connections
    .filter(
      c =>
        query.nodeIdMatchers.length === 0 ||
        query.nodeIdMatchers.some(m => matches(c.proxy.nodeId, m)),
    )
    .map(c => {
      const generic: object[] = [];
      const view = query.typeSummaries ? proxyStatusView(c) : undefined;
      for (const [typeUrl, status] of c.types) {
        if (view) generic.push(typeSummary(typeUrl, status, view.types[TYPE_SHORT_NAME[typeUrl]]!));
        for (const held of status.resources.values())
          generic.push(resourceConfig(typeUrl, status, held, query));
        // Subscribed names never sent: the proxy asked, the control plane has nothing.
        for (const name of status.subscription.names) {
          if (!status.resources.has(name)) {
            generic.push({
              type_url: typeUrl,
              name,
              config_status: "NOT_SENT",
              client_status: "REQUESTED",
            });
          }
        }
      }
      return {
        node: nodeOf(c, query),
        generic_xds_configs: generic,
      };
    });
  const type = messageType("envoy.service.status.v3.ClientStatusResponse");
  return Buffer.from(type.encode(type.fromObject({ config })).finish());
}
