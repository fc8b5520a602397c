/**
 * virtualInbound's listener filters: original_dst always, and each inspector only on the ports
 * whose chains need it, so a server-first protocol on another port is never held waiting for a
 * first byte (Istio's populateListenerFilters).
 */
import { inboundListenerFilters } from "../../../../xds/compile/listeners/inbound-listener-filters";
import type { FilterChain, FilterChainMatch } from "../../../../xds/compile/shared/envoy";

const TLS = "envoy.filters.listener.tls_inspector";
const HTTP = "envoy.filters.listener.http_inspector";
const ORIGINAL_DST = "envoy.filters.listener.original_dst";

const chain = (match: FilterChainMatch): FilterChain => ({
  filter_chain_match: match,
  filters: [],
});
const port = (value: number) => ({ destination_port: { value } });
const mtls = (p?: number) => chain({ ...(p ? port(p) : {}), transport_protocol: "tls" });
const plaintextHttp = (p?: number) =>
  chain({
    ...(p ? port(p) : {}),
    transport_protocol: "raw_buffer",
    application_protocols: ["http/1.1", "h2c"],
  });
const plaintextTcp = (p?: number) =>
  chain({ ...(p ? port(p) : {}), transport_protocol: "raw_buffer" });
const named = (chains: FilterChain[], name: string) =>
  inboundListenerFilters(chains).find(f => f.name === name);

describe("inboundListenerFilters", () => {
  it("original_dst first, whatever the chains", () => {
    expect(inboundListenerFilters([]).map(f => f.name)).toEqual([ORIGINAL_DST]);
    expect(inboundListenerFilters([mtls(), plaintextHttp()]).map(f => f.name)).toEqual([
      ORIGINAL_DST,
      TLS,
      HTTP,
    ]);
  });

  it("plaintext TCP everywhere needs no inspector", () => {
    expect(named([plaintextTcp(), plaintextTcp(3306)], TLS)).toBeUndefined();
    expect(named([plaintextTcp(), plaintextTcp(3306)], HTTP)).toBeUndefined();
  });

  it("needed on every port: enabled without a predicate", () => {
    const tls = named([mtls(), mtls(8080)], TLS);
    expect(tls?.filter_disabled).toBeUndefined();
    expect(tls?.typed_config).toMatchObject({ initial_read_buffer_size: { value: 512 } });
  });

  it("needed by the port-less chains but not on a port: disabled on that port", () => {
    expect(named([plaintextHttp(), plaintextTcp(3306)], HTTP)?.filter_disabled).toEqual({
      destination_port_range: { start: 3306, end: 3307 },
    });
  });

  it("needed only on some ports: disabled everywhere but them", () => {
    expect(named([plaintextTcp(), mtls(8080), mtls(9090)], TLS)?.filter_disabled).toEqual({
      not_match: {
        or_match: {
          rules: [
            { destination_port_range: { start: 8080, end: 8081 } },
            { destination_port_range: { start: 9090, end: 9091 } },
          ],
        },
      },
    });
  });
});
