/**
 * Envoy sidecar listeners: `virtualOutbound` (15001, original destination), one outbound
 * listener per port (`0.0.0.0_9080` for HTTP via RDS `9080`; `<vip>_<port>` for TCP, TLS and
 * sniffed ports), and `virtualInbound` (15006; built in `sidecar-inbound.ts`, with mTLS, JWT
 * and RBAC).
 *
 * Outbound: HTTP ports match plaintext HTTP by ALPN (http_inspector) and pass the rest through;
 * TCP and TLS ports carry the VirtualService `tcp`/`tls` routes (`tcp-routes.ts`); ports with
 * no declared protocol are sniffed (an HTTP chain plus the TCP chains). Not yet written: Istio's
 * metadata exchange and telemetry filters.
 *
 * @see istio/istio pilot/pkg/networking/core/listener.go, listener_builder.go
 */
import {
  isHttpProtocol,
  type Protocol,
  type ServiceInfo,
  type ServicePortInfo,
} from "../../../mesh/store";
import {
  isMatchAll,
  listenerFiltersFor,
  mergeChains,
  PLAINTEXT_HTTP_ALPNS,
  RAW_BUFFER,
  toFilterChain,
  withHandshakeTimeout,
  type ChainOpts,
} from "./filter-chains";
import { outboundRouteChains, type OutboundTarget } from "../routes/tcp-routes";
import { sniffedVipRouteName } from "../routes/routes";
import { virtualInbound } from "./sidecar-inbound";
import type { ProxyScope } from "../scope";
import { istioHcmDefaults } from "./hcm-defaults";
import {
  BLACKHOLE_CLUSTER,
  ENVOY_ADS_SOURCE,
  FilterNames,
  httpFilters,
  msDuration,
  PASSTHROUGH_CLUSTER,
  Types,
} from "../shared/xds-util";
import type { Address, FilterChain, ListenerResource, Listener_Filter } from "../shared/envoy";

/** Istio's fixed capture ports. */
export const VIRTUAL_OUTBOUND_PORT = 15001;
/** @see VIRTUAL_OUTBOUND_PORT */
export { VIRTUAL_INBOUND_PORT } from "./sidecar-inbound";

function tcpProxy(cluster: string, statPrefix = cluster): Listener_Filter {
  return {
    name: FilterNames.tcpProxy,
    typed_config: { "@type": Types.tcpProxy, stat_prefix: statPrefix, cluster },
  };
}

function socket(address: string, port: number): Address {
  return { socket_address: { address, port_value: port } };
}

function passthroughChain(scope: ProxyScope, name: string): FilterChain {
  const cluster =
    scope.outboundTrafficPolicy === "REGISTRY_ONLY" ? BLACKHOLE_CLUSTER : PASSTHROUGH_CLUSTER;
  return { name, filters: [tcpProxy(cluster)] };
}

/**
 * Catches every outbound connection iptables redirects and hands it to the listener for its
 * original destination (`use_original_dst`; Istio adds no original_dst listener filter, the
 * listener-level flag does the redirect). Connections addressed to 15001 itself are dropped, so
 * traffic cannot loop back into the capture port; the rest is passthrough (or blackhole).
 */
function virtualOutbound(scope: ProxyScope): ListenerResource {
  return {
    "@type": Types.listener,
    name: "virtualOutbound",
    address: socket("0.0.0.0", VIRTUAL_OUTBOUND_PORT),
    use_original_dst: { value: true },
    traffic_direction: "OUTBOUND",
    // istiod's accept loop: one connection per socket event, spread over worker threads.
    max_connections_to_accept_per_socket_event: { value: 1 },
    filter_chains: [
      {
        name: "virtualOutbound-blackhole",
        filter_chain_match: { destination_port: { value: VIRTUAL_OUTBOUND_PORT } },
        filters: [tcpProxy(BLACKHOLE_CLUSTER)],
      },
      passthroughChain(scope, "virtualOutbound-catchall-tcp"),
    ],
  };
}

/**
 * The HCM chain of an outbound HTTP port, matched on the ALPN http_inspector detects. It loads
 * the port's shared route config `<port>`, or on a sniffed port's VIP listener that service's
 * own `<host>:<port>` config, as istiod does.
 */
function httpChain(address: string, port: number, routeName = String(port)): ChainOpts {
  return {
    applicationProtocols: PLAINTEXT_HTTP_ALPNS,
    transportProtocol: RAW_BUFFER,
    filters: [
      {
        name: FilterNames.hcm,
        typed_config: {
          "@type": Types.hcm,
          stat_prefix: `outbound_${address}_${port}`,
          rds: { route_config_name: routeName, config_source: ENVOY_ADS_SOURCE },
          http_filters: httpFilters(),
          ...istioHcmDefaults("outbound"),
        },
      },
    ],
  };
}

/** One outbound listener being assembled from the service ports that land on it. */
interface OutboundEntry {
  readonly address: string;
  readonly port: number;
  readonly chains: ChainOpts[];
  hasHttp: boolean;
  /** The listener's protocol: its first port's, `Unsupported` once HTTP is sniffed on it. */
  protocol: Protocol;
}

/**
 * MySQL and MongoDB share a listener only with their own kind: they are server-first, and
 * merging another protocol in would put an inspector before them that waits for a client byte
 * that never comes (Istio's isConflictWithWellKnownPort).
 */
function conflictsWithServerFirst(incoming: Protocol, existing: Protocol): boolean {
  const serverFirst = (p: Protocol) => p === "MySQL" || p === "Mongo";
  return (serverFirst(incoming) || serverFirst(existing)) && incoming !== existing;
}

/**
 * Where a service port listens: HTTP ports share `0.0.0.0_<port>` (virtual hosts tell services
 * apart); TCP, TLS and sniffed ports listen on the service VIP, or on 0.0.0.0 matching the
 * service's CIDR, or on 0.0.0.0 alone when it has no address (headless, NONE entries).
 */
function outboundTarget(service: ServiceInfo, port: ServicePortInfo): OutboundTarget {
  if (isHttpProtocol(port.protocol)) return { service, port, bind: "0.0.0.0", cidrs: [] };
  const ipv4 = service.addresses.filter(a => !a.includes(":"));
  const vip = ipv4.find(a => !a.includes("/"));
  if (vip) return { service, port, bind: vip, cidrs: [] };
  const cidr = ipv4.find(a => a.includes("/"));
  return { service, port, bind: "0.0.0.0", cidrs: cidr ? [cidr] : [] };
}

/**
 * Adds a service port to its listener. Sniffed ports (no declared protocol) get TCP chains and
 * an HTTP chain; HTTP and TCP on one address and port make such a listener too, as Istio merges
 * HTTP over TCP. A TCP chain matching the same connections as one already there is dropped
 * (the first service wins).
 */
function addServicePort(
  scope: ProxyScope,
  entries: Map<string, OutboundEntry>,
  t: OutboundTarget,
): void {
  const key = `${t.bind}_${t.port.port}`;
  const http = isHttpProtocol(t.port.protocol);
  // HTTP on 0.0.0.0 is matched by ALPN beside a passthrough chain: a sniffing listener.
  const protocol: Protocol = http ? "Unsupported" : t.port.protocol;
  const existing = entries.get(key);
  if (existing && conflictsWithServerFirst(protocol, existing.protocol)) return;
  const entry = existing ?? {
    address: t.bind,
    port: t.port.port,
    chains: [],
    hasHttp: false,
    protocol,
  };
  entries.set(key, entry);
  if (!http) mergeChains(entry.chains, outboundRouteChains(scope, t));
  if (protocol === "Unsupported" && !entry.hasHttp) {
    // A sniffed port on its service's VIP loads that service's own `<host>:<port>` config.
    const own = t.bind !== "0.0.0.0" ? sniffedVipRouteName(t.service, t.port) : undefined;
    entry.chains.push(httpChain(t.bind, t.port.port, own));
    entry.hasHttp = true;
    entry.protocol = "Unsupported";
  }
}

/**
 * The Envoy listener of an entry. A match-all chain becomes the default chain (so a connection
 * that starts matching a chain and then fails a later criterion still lands somewhere); with
 * none, unmatched connections take the passthrough chain.
 */
function outboundListener(scope: ProxyScope, entry: OutboundEntry): ListenerResource {
  const catchAll = entry.chains.find(isMatchAll);
  const matched = entry.chains
    .filter(c => !isMatchAll(c))
    .map(c => withHandshakeTimeout(toFilterChain(c)));
  const filters = listenerFiltersFor(entry.chains);
  const chains =
    matched.length === 0
      ? { filter_chains: [withHandshakeTimeout(toFilterChain(catchAll ?? { filters: [] }))] }
      : {
          filter_chains: matched,
          // istiod writes the passthrough default chain's (empty) match explicitly; a service's
          // own TCP chain as the default (a sniffed port) has none, and the handshake timeout.
          default_filter_chain: catchAll
            ? withHandshakeTimeout(toFilterChain(catchAll))
            : { filter_chain_match: {}, ...passthroughChain(scope, "PassthroughFilterChain") },
        };
  return {
    "@type": Types.listener,
    name: `${entry.address}_${entry.port}`,
    address: socket(entry.address, entry.port),
    bind_to_port: { value: false },
    traffic_direction: "OUTBOUND",
    ...(filters.length > 0 ? { listener_filters: filters } : {}),
    // Istio's mesh default protocolDetectionTimeout is 0s: inspectors wait for the client.
    listener_filters_timeout: msDuration(0),
    continue_on_listener_filters_timeout: true,
    ...chains,
  };
}

function outboundListeners(scope: ProxyScope): ListenerResource[] {
  const entries = new Map<string, OutboundEntry>();
  for (const service of scope.services) {
    for (const port of service.ports) {
      if (port.protocol === "UDP") continue;
      addServicePort(scope, entries, outboundTarget(service, port));
    }
  }
  return [...entries.keys()].sort().map(k => outboundListener(scope, entries.get(k)!));
}

/** Every listener of an Envoy sidecar. */
export function sidecarListeners(scope: ProxyScope): ListenerResource[] {
  return [virtualOutbound(scope), ...outboundListeners(scope), virtualInbound(scope)];
}
