/**
 * Listener filters of `virtualInbound`: `original_dst` restores the port the connection was
 * addressed to before iptables redirected it to 15006 (filter chains match on it), then the TLS
 * and HTTP inspectors, each only on the ports whose filter chains need what it detects, so a
 * server-first protocol (MySQL, SMTP) on another port is not held waiting for a first byte.
 *
 * @see istio/istio pilot/pkg/networking/core/listener_inbound.go (populateListenerFilters)
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/listener/v3/listener_components.proto#config-listener-v3-listenerfilterchainmatchpredicate
 */
import { HTTP_INSPECTOR } from "./filter-chains";
import type {
  AnyMessage,
  FilterChain,
  FilterChainMatch,
  ListenerFilter,
  ListenerFilterChainMatchPredicate,
} from "../shared/envoy";

const T = "type.googleapis.com/envoy.extensions.filters.listener.";

/** The application protocols only the HTTP inspector sets (plaintext HTTP sniffing). */
const HTTP_SNIFFED = new Set(["http/1.1", "h2c", "http/1.0"]);

/** What one filter chain needs the inspectors for. */
interface Needs {
  tls: boolean;
  http: boolean;
}

function chainMatch(chain: FilterChain): FilterChainMatch {
  return chain.filter_chain_match ?? {};
}

/** Per destination port (0: chains without a port), whether any chain there needs each inspector. */
function needsByPort(chains: readonly FilterChain[]): Map<number, Needs> {
  const out = new Map<number, Needs>();
  for (const chain of chains) {
    const match = chainMatch(chain);
    const port = match.destination_port?.value ?? 0;
    const alpn = match.application_protocols ?? [];
    const had = out.get(port) ?? { tls: false, http: false };
    out.set(port, {
      tls: had.tls || match.transport_protocol === "tls",
      http: had.http || alpn.some(p => HTTP_SNIFFED.has(p)),
    });
  }
  return out;
}

/** `[port, port + 1)`: one destination port as a predicate. */
function portRule(port: number): ListenerFilterChainMatchPredicate {
  return { destination_port_range: { start: port, end: port + 1 } };
}

function anyOf(ports: readonly number[]): ListenerFilterChainMatchPredicate {
  const rules = ports.map(portRule);
  return rules.length === 1 ? rules[0]! : { or_match: { rules } };
}

/**
 * An inspector enabled where `need` holds. Connections to ports no chain names fall to the
 * port-less chains, so those decide the default: with them needing it, the ports that do not
 * are excluded; otherwise only the ports that do are included.
 */
function inspector(
  name: string,
  config: AnyMessage | undefined,
  needs: ReadonlyMap<number, Needs>,
  need: (n: Needs) => boolean,
): ListenerFilter | undefined {
  const ports = [...needs.keys()].filter(p => p !== 0).sort((a, b) => a - b);
  const byDefault = need(needs.get(0) ?? { tls: false, http: false });
  const differing = ports.filter(p => need(needs.get(p)!) !== byDefault);
  if (!byDefault && differing.length === 0) return undefined;
  const filter: ListenerFilter = { name, typed_config: config };
  if (differing.length === 0) return filter;
  filter.filter_disabled = byDefault ? anyOf(differing) : { not_match: anyOf(differing) };
  return filter;
}

/** `original_dst`, then the TLS inspector, then the HTTP inspector (which skips TLS connections). */
export function inboundListenerFilters(chains: readonly FilterChain[]): ListenerFilter[] {
  const needs = needsByPort(chains);
  const tls = inspector(
    "envoy.filters.listener.tls_inspector",
    // Istio's read buffer: a ClientHello fits in 512 bytes far more often than not.
    { "@type": `${T}tls_inspector.v3.TlsInspector`, initial_read_buffer_size: { value: 512 } },
    needs,
    n => n.tls,
  );
  const http = inspector(
    String(HTTP_INSPECTOR.name),
    HTTP_INSPECTOR.typed_config,
    needs,
    n => n.http,
  );
  return [
    {
      name: "envoy.filters.listener.original_dst",
      typed_config: { "@type": `${T}original_dst.v3.OriginalDst` },
    },
    ...(tls ? [tls] : []),
    ...(http ? [http] : []),
  ];
}
