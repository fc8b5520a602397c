/**
 * Filter chains described by what they match (SNI, destination CIDRs, ALPN, transport) before
 * they become Envoy `FilterChain`s, and the listener filters those matches need: Envoy fills
 * `server_names` and ALPN only when tls_inspector or http_inspector ran on the connection.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/listener/v3/listener_components.proto#config-listener-v3-filterchainmatch
 * @see istio/istio pilot/pkg/networking/core/listener.go (filterChainOpts, buildListenerFromEntry)
 */
import type {
  CidrRange,
  FilterChain,
  FilterChainMatch,
  ListenerFilter,
  Listener_Filter,
} from "../shared/envoy";

/** A filter chain before it becomes Envoy's: what it matches, and its network filters. */
export interface ChainOpts {
  /** SNI names (`*` alone matches any name, so it adds no condition). */
  readonly sniHosts?: readonly string[];
  /** Destination addresses or CIDRs the connection was sent to. */
  readonly destinationCidrs?: readonly string[];
  /** ALPN values (set by tls_inspector, or by http_inspector for plaintext HTTP). */
  readonly applicationProtocols?: readonly string[];
  /** `raw_buffer` or `tls`. */
  readonly transportProtocol?: string;
  readonly filters: readonly Listener_Filter[];
  readonly name?: string;
}

/** What http_inspector reports for plaintext HTTP/1.1 and prior-knowledge HTTP/2. */
export const PLAINTEXT_HTTP_ALPNS: readonly string[] = ["http/1.1", "h2c"];
/** The ALPN values Istio's mTLS clients offer: only mesh traffic carries them. */
export const ISTIO_MTLS_ALPNS: readonly string[] = [
  "istio",
  "istio-peer-exchange",
  "istio-http/1.0",
  "istio-http/1.1",
  "istio-h2",
];
/** Envoy's transport protocol of a connection no TLS inspector recognised as TLS. */
export const RAW_BUFFER = "raw_buffer";

/** Reads the ClientHello: SNI and ALPN. */
export const TLS_INSPECTOR: ListenerFilter = {
  name: "envoy.filters.listener.tls_inspector",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector",
    // Istio's: a ClientHello rarely needs more; Envoy's default 64 KiB per connection is memory.
    initial_read_buffer_size: { value: 512 },
  },
};

/**
 * How long a connection may take to finish its transport handshake on a filter chain, as
 * istiod bounds it (15 s, `GATEWAY_TRANSPORT_SOCKET_CONNECT_TIMEOUT`) on the outbound and
 * gateway chains it builds, against slow-handshake memory exhaustion.
 * @see istio/istio pilot/pkg/networking/core/listener.go (gatewayTransportSocketConnectTimeout)
 */
export function withHandshakeTimeout(chain: FilterChain): FilterChain {
  return { ...chain, transport_socket_connect_timeout: { seconds: 15, nanos: 0 } };
}
/** Recognises plaintext HTTP and sets the ALPN to `http/1.1` or `h2c`. */
export const HTTP_INSPECTOR: ListenerFilter = {
  name: "envoy.filters.listener.http_inspector",
  typed_config: {
    "@type":
      "type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector",
  },
};

function sniSet(c: ChainOpts): string[] {
  return [...new Set((c.sniHosts ?? []).filter(h => h !== "*"))].sort();
}

/** `10.0.0.0/8` → address and length; a bare IP is a host prefix (/32, /128). */
function cidr(value: string): { address: string; len: number } {
  const slash = value.indexOf("/");
  if (slash < 0) return { address: value, len: value.includes(":") ? 128 : 32 };
  return { address: value.slice(0, slash), len: Number(value.slice(slash + 1)) };
}

/** Envoy's CidrRange (`prefix_len` is a UInt32Value). */
function cidrRange(value: string): CidrRange {
  const { address, len } = cidr(value);
  return { address_prefix: address, prefix_len: { value: len } };
}

/** The network an IPv4 CIDR covers (`10.1.2.3/8` → `10.0.0.0/8`); others as written. */
function maskedCidr(value: string): string {
  const { address: addr, len } = cidr(value);
  const octets = addr.split(".").map(Number);
  if (octets.length !== 4 || octets.some(o => !Number.isInteger(o))) return `${addr}/${len}`;
  const n = octets.reduce((a, o) => a * 256 + o, 0);
  const size = 2 ** (32 - len);
  const base = Math.floor(n / size) * size;
  const out = [24, 16, 8, 0].map(s => Math.floor(base / 2 ** s) % 256).join(".");
  return `${out}/${len}`;
}

function cidrSet(c: ChainOpts): string[] {
  return [...new Set((c.destinationCidrs ?? []).map(maskedCidr))]
    .filter(x => !x.startsWith("0.0.0.0/"))
    .sort();
}

/** Whether a chain matches every connection (Envoy's default chain candidate). */
export function isMatchAll(c: ChainOpts): boolean {
  return (
    sniSet(c).length === 0 &&
    (c.applicationProtocols ?? []).length === 0 &&
    !c.transportProtocol &&
    cidrSet(c).length === 0
  );
}

/**
 * Whether two chains match the same connections, which Envoy rejects ("multiple filter chains
 * with the same matching rules"): the later one is dropped instead.
 */
export function chainsConflict(a: ChainOpts, b: ChainOpts): boolean {
  const same = (x: readonly string[], y: readonly string[]) =>
    x.length === y.length && x.every((v, i) => v === y[i]);
  return (
    (a.transportProtocol ?? "") === (b.transportProtocol ?? "") &&
    same(a.applicationProtocols ?? [], b.applicationProtocols ?? []) &&
    same(sniSet(a), sniSet(b)) &&
    same(cidrSet(a), cidrSet(b))
  );
}

/** Appends the chains that do not conflict with one already there (first one wins). */
export function mergeChains(into: ChainOpts[], incoming: readonly ChainOpts[]): void {
  for (const c of incoming) if (!into.some(x => chainsConflict(x, c))) into.push(c);
}

/** The Envoy FilterChainMatch of a chain; undefined for a match-all chain. */
export function filterChainMatch(c: ChainOpts): FilterChainMatch | undefined {
  if (isMatchAll(c)) return undefined;
  const out: FilterChainMatch = {};
  const sni = c.sniHosts ?? [];
  if (sni.length > 0 && !sni.includes("*")) out.server_names = [...new Set(sni)].sort();
  const cidrs = [...(c.destinationCidrs ?? [])].sort().filter(x => !x.startsWith("0.0.0.0"));
  if (cidrs.length > 0) out.prefix_ranges = cidrs.map(cidrRange);
  if (c.transportProtocol) out.transport_protocol = c.transportProtocol;
  if (c.applicationProtocols?.length) out.application_protocols = [...c.applicationProtocols];
  return out;
}

/** The Envoy FilterChain of a chain. */
export function toFilterChain(c: ChainOpts): FilterChain {
  const match = filterChainMatch(c);
  return {
    ...(c.name ? { name: c.name } : {}),
    ...(match ? { filter_chain_match: match } : {}),
    filters: [...c.filters],
  };
}

/** Whether a chain matches plaintext HTTP by the ALPN http_inspector sets. */
function sniffsHttp(c: ChainOpts): boolean {
  return c.transportProtocol === RAW_BUFFER && (c.applicationProtocols ?? []).length > 0;
}

/**
 * The listener filters the chains need: tls_inspector for SNI or a TLS ALPN, http_inspector for
 * plaintext HTTP matched by ALPN. Istio adds each only when a chain needs it: an inspector
 * waits for the client's first bytes, which a server-first protocol never sends.
 */
export function listenerFiltersFor(chains: readonly ChainOpts[]): ListenerFilter[] {
  const out: ListenerFilter[] = [];
  const tls = (c: ChainOpts) =>
    (c.sniHosts ?? []).length > 0 || ((c.applicationProtocols ?? []).length > 0 && !sniffsHttp(c));
  if (chains.some(tls)) out.push(TLS_INSPECTOR);
  if (chains.some(sniffsHttp)) out.push(HTTP_INSPECTOR);
  return out;
}
