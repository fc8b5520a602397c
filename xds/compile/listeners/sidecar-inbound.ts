/**
 * `virtualInbound` (15006): where iptables sends every connection to the workload. Its filter
 * chains, in Istio's order:
 * 1. `virtualInbound-blackhole`: connections addressed to 15006 itself (else they would loop);
 * 2. the passthrough chains (`virtualInbound`, TCP; `virtualInbound-catchall-http`, HTTP) for
 *    ports no service declares, under the workload's mTLS mode — and per port that has a
 *    port-level mode but no service;
 * 3. per served port, `0.0.0.0_<port>`: one chain per way a connection may arrive under the
 *    port's mode — mTLS (terminated with the mesh certificate), plaintext, or (TCP, PERMISSIVE)
 *    the app's own TLS passed through.
 * A connection no chain matches is closed: that is how STRICT refuses plaintext.
 *
 * HTTP chains run `jwt_authn`, the RBAC filters, fault and router; TCP chains the network RBAC
 * filters before `tcp_proxy`. RBAC's `source.principal` (`authenticated.principal_name`) reads
 * the URI SAN of the peer certificate the TLS socket verified, straight from the connection, so
 * no authn filter has to copy it into metadata first. Istio's sidecars carry none either: its
 * RBAC builder writes `authenticated` principals too, and reads a peer from filter state only
 * behind ambient's HBONE, where the TLS connection is not the caller's. A plaintext chain has no
 * certificate, so principal rules never match there: under PERMISSIVE, an ALLOW on principals
 * still refuses plaintext callers.
 *
 * @see istio/istio pilot/pkg/networking/core/listener_inbound.go, filterchain_options.go
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/listener/v3/listener_components.proto#config-listener-v3-filterchainmatch
 */
import type { MtlsMode } from "../../../mesh/authn";
import {
  isGrpcProtocol,
  isHttp2Protocol,
  isHttpProtocol,
  type Protocol,
  type ServicePortInfo,
} from "../../../mesh/store";
import { ISTIO_MTLS_ALPNS, PLAINTEXT_HTTP_ALPNS } from "./filter-chains";
import { istioHcmDefaults } from "./hcm-defaults";
import { inboundListenerFilters } from "./inbound-listener-filters";
import { inboundPorts } from "./inbound";
import { inboundSecurity, portMode, type InboundSecurity } from "../security/inbound-security";
import { inboundMtlsSocket } from "../security/inbound-tls";
import { inboundRetryPolicy } from "../routes/route-policies";
import type { ProxyScope } from "../scope";
import {
  BLACKHOLE_CLUSTER,
  clusterName,
  FilterNames,
  httpFilters,
  INBOUND_PASSTHROUGH_CLUSTER,
  msDuration,
  Types,
} from "../shared/xds-util";
import type {
  FilterChain,
  FilterChainMatch,
  ListenerResource,
  Listener_Filter,
} from "../shared/envoy";

/** Istio's inbound capture port (MeshConfig `proxyInboundListenPort`). */
export const VIRTUAL_INBOUND_PORT = 15006;

/** Istio's fixed chain names. */
export const InboundChainNames = {
  blackhole: "virtualInbound-blackhole",
  passthroughTcp: "virtualInbound",
  passthroughHttp: "virtualInbound-catchall-http",
} as const;

/** ALPN an Istio client sends for HTTP over mTLS (its `istio.alpn` filter sets them). */
const MTLS_HTTP_ALPN = ["istio-http/1.0", "istio-http/1.1", "istio-h2"];
/** ALPN an Istio client sends for TCP over mTLS. */
const MTLS_TCP_ALPN = ["istio-peer-exchange", "istio"];
// Any Istio mTLS ALPN tells a mesh client from an app doing its own TLS (ISTIO_MTLS_ALPNS);
// plaintext HTTP/1.0 is not accepted, as in Istio (PLAINTEXT_HTTP_ALPNS).

/** How the proxy handles a port: by its declared protocol, or both ways when undeclared. */
type PortProtocol = "http" | "tcp" | "auto";

/** One filter chain of a port: what it matches and whether it terminates mTLS. */
interface ChainOption {
  readonly protocol: "http" | "tcp";
  readonly transport: "tls" | "raw_buffer";
  readonly alpn?: readonly string[];
  readonly mtls: boolean;
}

const opt = (
  protocol: ChainOption["protocol"],
  transport: ChainOption["transport"],
  mtls: boolean,
  alpn?: readonly string[],
): ChainOption => ({ protocol, transport, mtls, ...(alpn ? { alpn } : {}) });

/**
 * Istio's filter chain options per mode and protocol. PERMISSIVE tells mesh mTLS from other TLS
 * by the Istio ALPN, so an app's own TLS on a TCP port is passed through, not terminated.
 */
const CHAIN_OPTIONS: Record<MtlsMode, Record<PortProtocol, readonly ChainOption[]>> = {
  STRICT: {
    http: [opt("http", "tls", true)],
    tcp: [opt("tcp", "tls", true)],
    auto: [opt("http", "tls", true, MTLS_HTTP_ALPN), opt("tcp", "tls", true)],
  },
  PERMISSIVE: {
    http: [opt("http", "tls", true, ISTIO_MTLS_ALPNS), opt("http", "raw_buffer", false)],
    tcp: [
      opt("tcp", "tls", true, ISTIO_MTLS_ALPNS),
      opt("tcp", "tls", false),
      opt("tcp", "raw_buffer", false),
    ],
    auto: [
      opt("http", "tls", true, MTLS_HTTP_ALPN),
      opt("http", "raw_buffer", false, PLAINTEXT_HTTP_ALPNS),
      opt("tcp", "tls", true, MTLS_TCP_ALPN),
      opt("tcp", "raw_buffer", false),
      opt("tcp", "tls", false),
    ],
  },
  DISABLE: {
    http: [opt("http", "raw_buffer", false)],
    tcp: [opt("tcp", "raw_buffer", false)],
    auto: [opt("http", "raw_buffer", false, PLAINTEXT_HTTP_ALPNS), opt("tcp", "raw_buffer", false)],
  },
};

/** Where a group of chains sends traffic and how it is named. */
interface ChainTarget {
  /** Workload port matched (0: any). */
  readonly port: number;
  /** The service port, for the virtual host name (0 for passthrough). */
  readonly servicePort: number;
  readonly cluster: string;
  readonly passthrough: boolean;
  /** The service port's protocol (`Unsupported` for passthrough: sniffed). */
  readonly protocol: Protocol;
}

function portProtocol(port: ServicePortInfo): PortProtocol {
  if (isHttpProtocol(port.protocol)) return "http";
  return port.protocol === "Unsupported" ? "auto" : "tcp";
}

function chainName(target: ChainTarget, protocol: ChainOption["protocol"]): string {
  if (!target.passthrough) return `0.0.0.0_${target.port}`;
  return protocol === "http" ? InboundChainNames.passthroughHttp : InboundChainNames.passthroughTcp;
}

function tcpProxy(cluster: string, statPrefix = cluster): Listener_Filter {
  return {
    name: FilterNames.tcpProxy,
    typed_config: { "@type": Types.tcpProxy, stat_prefix: statPrefix, cluster },
  };
}

/**
 * The HttpConnectionManager of an HTTP chain: one catch-all route to the inbound cluster, and
 * Istio's filter order — authentication (`jwt_authn`), authorization (RBAC: CUSTOM, AUDIT,
 * DENY, ALLOW), then fault and router — so RBAC sees the verified JWT payload. An HTTP/2 or
 * gRPC port gets Envoy's HTTP/2 options (for gRPC-Web, as istiod does), and a gRPC port no
 * retry of resets: replaying a request does not work for gRPC streams (istiod's
 * BuildDefaultHTTPInboundRoute).
 */
function connectionManager(target: ChainTarget, security: InboundSecurity): Listener_Filter {
  const { cluster } = target;
  return {
    name: FilterNames.hcm,
    typed_config: {
      "@type": Types.hcm,
      stat_prefix: target.passthrough ? cluster : `inbound_0.0.0.0_${target.port}`,
      route_config: {
        name: cluster,
        validate_clusters: { value: false },
        virtual_hosts: [
          {
            name: `inbound|http|${target.servicePort}`,
            domains: ["*"],
            routes: [
              {
                name: "default",
                match: { prefix: "/" },
                route: {
                  cluster,
                  timeout: msDuration(0),
                  ...(isGrpcProtocol(target.protocol)
                    ? {}
                    : { retry_policy: inboundRetryPolicy() }),
                  // No limit, and none from a client's grpc-timeout header either.
                  max_stream_duration: {
                    max_stream_duration: msDuration(0),
                    grpc_timeout_header_max: msDuration(0),
                  },
                },
              },
            ],
          },
        ],
      },
      http_filters: [
        ...(security.jwt ? [security.jwt] : []),
        ...security.httpAuthz,
        ...httpFilters(),
      ],
      ...istioHcmDefaults("inbound"),
      ...(isHttp2Protocol(target.protocol) ? { http2_protocol_options: {} } : {}),
    },
  };
}

function filterChain(
  target: ChainTarget,
  option: ChainOption,
  security: InboundSecurity,
): FilterChain {
  const match: FilterChainMatch = {};
  if (target.port > 0) match.destination_port = { value: target.port };
  match.transport_protocol = option.transport;
  if (option.alpn) match.application_protocols = [...option.alpn];
  const filters =
    option.protocol === "http"
      ? [connectionManager(target, security)]
      : [...security.tcpAuthz, tcpProxy(target.cluster)];
  return {
    name: chainName(target, option.protocol),
    filter_chain_match: match,
    filters,
    ...(option.mtls
      ? { transport_socket: inboundMtlsSocket(security.trustDomains, security.meshMtls) }
      : {}),
  };
}

function chainsFor(
  target: ChainTarget,
  mode: MtlsMode,
  protocol: PortProtocol,
  security: InboundSecurity,
): FilterChain[] {
  return CHAIN_OPTIONS[mode][protocol].map(o => filterChain(target, o, security));
}

function blackholeChain(): FilterChain {
  return {
    name: InboundChainNames.blackhole,
    filter_chain_match: { destination_port: { value: VIRTUAL_INBOUND_PORT } },
    filters: [tcpProxy(BLACKHOLE_CLUSTER)],
  };
}

/**
 * Passthrough chains: any port under the workload's mode, then each port with a port-level
 * mode that no service serves (a served port gets its mode on its own chains).
 */
function passthroughChains(served: ReadonlySet<number>, security: InboundSecurity): FilterChain[] {
  const ports = [
    0,
    ...Object.keys(security.mtls.perPort)
      .map(Number)
      .filter(p => p > 0 && !served.has(p))
      .sort((a, b) => a - b),
  ];
  return ports.flatMap(port =>
    chainsFor(
      {
        port,
        servicePort: 0,
        cluster: INBOUND_PASSTHROUGH_CLUSTER,
        passthrough: true,
        protocol: "Unsupported",
      },
      portMode(security, port),
      "auto",
      security,
    ),
  );
}

/** The `virtualInbound` listener of an Envoy sidecar. */
export function virtualInbound(scope: ProxyScope): ListenerResource {
  const security = inboundSecurity(scope);
  const ports = inboundPorts(scope);
  const served = ports.flatMap(p =>
    chainsFor(
      {
        port: p.targetPort,
        servicePort: p.port.port,
        cluster: clusterName("inbound", p.targetPort),
        passthrough: false,
        protocol: p.port.protocol,
      },
      portMode(security, p.targetPort),
      portProtocol(p.port),
      security,
    ),
  );
  const chains = [
    blackholeChain(),
    ...passthroughChains(new Set(ports.map(p => p.targetPort)), security),
    ...served,
  ];
  return {
    "@type": Types.listener,
    name: "virtualInbound",
    address: { socket_address: { address: "0.0.0.0", port_value: VIRTUAL_INBOUND_PORT } },
    traffic_direction: "INBOUND",
    // istiod's accept loop: one connection per socket event, spread over worker threads.
    max_connections_to_accept_per_socket_event: { value: 1 },
    listener_filters: inboundListenerFilters(chains),
    // Istio's default protocolDetectionTimeout is 0: inspectors wait for the client's bytes.
    listener_filters_timeout: msDuration(0),
    continue_on_listener_filters_timeout: true,
    filter_chains: chains,
  };
}

/** Notes from building `virtualInbound` (policies partly or not applied), for the operator. */
export function virtualInboundNotes(scope: ProxyScope): readonly string[] {
  return inboundSecurity(scope).notes;
}
