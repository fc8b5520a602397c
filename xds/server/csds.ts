/**
 * Client Status Discovery Service from the control plane's side: for every connected proxy,
 * each resource it was sent with its version, whether it ACKed or NACKed it, and when —
 * what `istioctl proxy-status` / `rig proxy-status` read.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/service/status/v3/csds.proto
 */
import { messageType } from "../encode/proto-root";
import type { ConnectionStatus, HeldResource, TypeStatus } from "./proxy-status";

/** The parts of a ClientStatusRequest the server honours. */
export interface ClientStatusQuery {
  /** Node id matchers (exact / prefix / suffix / contains); empty matches every proxy. */
  readonly nodeIdMatchers: readonly Readonly<Record<string, string>>[];
  /** Leave `xds_config` out (only names, versions and states). */
  readonly excludeResourceContents: boolean;
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
  const m = type.toObject(type.decode(bytes), { oneofs: false }) as {
    node_matchers?: { node_id?: Record<string, string> }[];
    exclude_resource_contents?: boolean;
  };
  return {
    nodeIdMatchers: (m.node_matchers ?? []).flatMap(n => (n.node_id ? [n.node_id] : [])),
    excludeResourceContents: m.exclude_resource_contents ?? false,
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
    xds_config:
      !query.excludeResourceContents && held.resource
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
      for (const [typeUrl, status] of c.types) {
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
        node: { id: c.proxy.nodeId, cluster: c.proxy.cluster },
        generic_xds_configs: generic,
      };
    });
  const type = messageType("envoy.service.status.v3.ClientStatusResponse");
  return Buffer.from(type.encode(type.fromObject({ config })).finish());
}
