/**
 * Filter chains before they become Envoy's: the FilterChainMatch each gets, which chains Envoy
 * would reject as duplicates (the later one is dropped), and the listener filters a set of chains
 * needs to be matched at all.
 */
import {
  chainsConflict,
  filterChainMatch,
  isMatchAll,
  listenerFiltersFor,
  mergeChains,
  PLAINTEXT_HTTP_ALPNS,
  RAW_BUFFER,
  toFilterChain,
  withHandshakeTimeout,
  type ChainOpts,
} from "../../../../xds/compile/listeners/filter-chains";
import { named } from "../fixtures";
import { build, dec, secs, SIDECAR, type Json } from "../web-service";

const TCP_PROXY = {
  name: "envoy.filters.network.tcp_proxy",
  typed_config: {
    "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy" as const,
    stat_prefix: "x",
    cluster: "x",
  },
};
const chain = (opts: Omit<ChainOpts, "filters">): ChainOpts => ({ ...opts, filters: [TCP_PROXY] });
const httpSniffed = chain({
  transportProtocol: RAW_BUFFER,
  applicationProtocols: PLAINTEXT_HTTP_ALPNS,
});
const listenerFilterNames = (chains: ChainOpts[]) => listenerFiltersFor(chains).map(f => f.name);

describe("filterChainMatch", () => {
  it("a chain with no condition matches all: no filter_chain_match", () => {
    expect(isMatchAll(chain({}))).toBe(true);
    expect(filterChainMatch(chain({}))).toBeUndefined();
    expect(toFilterChain({ ...chain({}), name: "catchall" })).toEqual({
      name: "catchall",
      filters: [TCP_PROXY],
    });
  });

  it("`*` among SNI names and 0.0.0.0 ranges add no condition", () => {
    expect(isMatchAll(chain({ sniHosts: ["*"], destinationCidrs: ["0.0.0.0/0"] }))).toBe(true);
  });

  it("SNI names sorted and deduplicated; bare addresses become host ranges", () => {
    expect(
      filterChainMatch(
        chain({
          sniHosts: ["b.example.com", "a.example.com", "b.example.com"],
          destinationCidrs: ["10.0.0.0/8", "10.1.2.3"],
          transportProtocol: "tls",
          applicationProtocols: ["h2"],
        }),
      ),
    ).toEqual({
      server_names: ["a.example.com", "b.example.com"],
      prefix_ranges: [
        { address_prefix: "10.0.0.0", prefix_len: { value: 8 } },
        { address_prefix: "10.1.2.3", prefix_len: { value: 32 } },
      ],
      transport_protocol: "tls",
      application_protocols: ["h2"],
    });
  });

  it("bounds the handshake of a chain to 15 s", () => {
    expect(withHandshakeTimeout(toFilterChain(chain({}))).transport_socket_connect_timeout).toEqual(
      { seconds: 15, nanos: 0 },
    );
  });
});

describe("chainsConflict and mergeChains", () => {
  it.each([
    [
      "the same SNI names in another order",
      { sniHosts: ["a", "b"] },
      { sniHosts: ["b", "a"] },
      true,
    ],
    [
      "CIDRs covering the same network",
      { destinationCidrs: ["10.1.2.3/8"] },
      { destinationCidrs: ["10.0.0.0/8"] },
      true,
    ],
    ["different SNI names", { sniHosts: ["a"] }, { sniHosts: ["b"] }, false],
    [
      "another transport protocol",
      { transportProtocol: "tls" },
      { transportProtocol: RAW_BUFFER },
      false,
    ],
    [
      "another ALPN list",
      { applicationProtocols: ["h2"] },
      { applicationProtocols: ["http/1.1"] },
      false,
    ],
  ])("%s: conflict %s", (_, a, b, want) => {
    expect(chainsConflict(chain(a), chain(b))).toBe(want);
  });

  it("keeps the first of two conflicting chains, and every chain that conflicts with none", () => {
    const into = [{ ...chain({ sniHosts: ["a"] }), name: "first" }];
    mergeChains(into, [
      { ...chain({ sniHosts: ["a"] }), name: "second" },
      { ...chain({ sniHosts: ["b"] }), name: "other" },
    ]);
    expect(into.map(c => c.name)).toEqual(["first", "other"]);
  });
});

describe("listenerFiltersFor", () => {
  it.each([
    ["plain TCP chains need no inspector (server-first protocols send nothing)", [chain({})], []],
    [
      "SNI needs tls_inspector",
      [chain({ sniHosts: ["a"] })],
      ["envoy.filters.listener.tls_inspector"],
    ],
    [
      "a TLS ALPN needs tls_inspector",
      [chain({ applicationProtocols: ["istio"] })],
      ["envoy.filters.listener.tls_inspector"],
    ],
    [
      "plaintext HTTP by ALPN needs http_inspector",
      [httpSniffed, chain({})],
      ["envoy.filters.listener.http_inspector"],
    ],
    [
      "both, tls_inspector first",
      [httpSniffed, chain({ sniHosts: ["a"] })],
      ["envoy.filters.listener.tls_inspector", "envoy.filters.listener.http_inspector"],
    ],
  ])("%s", (_, chains, want) => {
    expect(listenerFilterNames(chains)).toEqual(want);
  });

  it("tls_inspector reads 512 bytes, as Istio sets it", () => {
    const [inspector] = listenerFiltersFor([chain({ sniHosts: ["a"] })]);
    expect(inspector?.typed_config).toMatchObject({ initial_read_buffer_size: { value: 512 } });
  });
});

describe("istiod's route and listener defaults", () => {
  const r = build(SIDECAR);

  it("outbound filter chains bound the handshake to 15 s; the TLS inspector reads 512 bytes first", () => {
    const tls = dec(named(r.listeners, "0.0.0.0_443"));
    for (const chain of tls.filter_chains)
      expect(chain.transport_socket_connect_timeout).toEqual(secs(15));
    const inspector = (tls.listener_filters as Json[]).find(
      f => f.name === "envoy.filters.listener.tls_inspector",
    );
    expect(inspector?.typed_config.initial_read_buffer_size).toEqual({ value: 512 });
  });
});
