/**
 * AUTO_PASSTHROUGH gateway servers (the cross-network gateway): a filter chain per service port
 * and subset, selected by Istio's SNI name, and the SNI-DNAT clusters behind them, asserted on
 * resources decoded from their protobuf bytes.
 */
import { storeOf } from "../../../../mesh/store";
import { buildScope, compileEndpoints, parseProxy } from "../../../../xds/compile";
import { istioPath, loadYaml, named, storeObjects } from "../fixtures";
import {
  build,
  cfg,
  dec,
  host,
  listener,
  listenerFilterNames,
  names,
  tcpProxyOf,
  type Json,
} from "../tcp-services";

describe("AUTO_PASSTHROUGH gateway servers", () => {
  const EASTWEST = {
    id: "router~10.1.2.9~eastwest-xyz.istio-system~istio-system.svc.cluster.local",
    metadata: { NAMESPACE: "istio-system", LABELS: { istio: "eastwestgateway" } },
  };
  const ISTIO_ALPNS = [
    "istio",
    "istio-peer-exchange",
    "istio-http/1.0",
    "istio-http/1.1",
    "istio-h2",
  ];
  const sni = (port: number, subset: string, h: string) => `outbound_.${port}_.${subset}_.${h}`;
  const reviewsEntry = (location = "MESH_INTERNAL", h = host("reviews"), name = "reviews") =>
    cfg("ServiceEntry", name, {
      hosts: [h],
      ports: [{ number: 9080, name: "http", protocol: "HTTP" }],
      location,
      resolution: "STATIC",
      endpoints: [
        { address: "10.0.0.1", labels: { version: "v1" } },
        { address: "10.0.0.2", labels: { version: "v2" } },
      ],
    });
  const REVIEWS_SUBSETS = cfg("DestinationRule", "reviews", {
    host: "reviews",
    trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
    subsets: [
      { name: "v1", labels: { version: "v1" } },
      { name: "v2", labels: { version: "v2" } },
    ],
  });
  // Istio's own sample: the cross-network gateway exposing every `*.local` service on 15443.
  const SAMPLE = storeObjects(
    loadYaml(istioPath("samples/multicluster/expose-services.yaml")),
    "istio-system",
  );
  const gatewayWithHosts = (hosts: string[]) =>
    cfg(
      "Gateway",
      "cross-network-gateway",
      {
        selector: { istio: "eastwestgateway" },
        servers: [
          {
            port: { number: 15443, name: "tls", protocol: "TLS" },
            tls: { mode: "AUTO_PASSTHROUGH" },
            hosts,
          },
        ],
      },
      "istio-system",
    );

  it("a chain per service port and subset, by Istio's SNI name and mTLS ALPNs, to a same-named cluster", () => {
    const r = build([...SAMPLE, reviewsEntry(), REVIEWS_SUBSETS], EASTWEST);
    const l = listener(r, "0.0.0.0_15443");
    expect(listenerFilterNames(l)).toEqual(["envoy.filters.listener.tls_inspector"]);
    const expected = ["", "v1", "v2"].map(s => sni(9080, s, host("reviews")));
    expect(l.filter_chains.map((c: Json) => c.filter_chain_match)).toEqual(
      expected.map(n => ({ server_names: [n], application_protocols: ISTIO_ALPNS })),
    );
    expect(l.filter_chains.map((c: Json) => tcpProxyOf(c))).toEqual(
      expected.map(n => ({
        "@type": "type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
        stat_prefix: n,
        cluster: n,
      })),
    );
    expect(l.filter_chains.every((c: Json) => c.transport_socket === undefined)).toBe(true);
    expect(names(r.clusters)).toEqual(expected);
    expect(names(r.endpoints)).toEqual(expected);
  });

  it("SNI-DNAT clusters keep the subset's endpoints and never originate TLS themselves", () => {
    const r = build([...SAMPLE, reviewsEntry(), REVIEWS_SUBSETS], EASTWEST);
    const v2 = sni(9080, "v2", host("reviews"));
    const cluster = dec(named(r.clusters, v2));
    expect(cluster.type).toBe("EDS");
    expect(cluster.eds_cluster_config.service_name).toBe(v2);
    expect(cluster.transport_socket).toBeUndefined();
    const addresses = dec(named(r.endpoints, v2)).endpoints.flatMap((l: Json) =>
      l.lb_endpoints.map((e: Json) => e.endpoint.address.socket_address.address),
    );
    expect(addresses).toEqual(["10.0.0.2"]);
  });

  it("an endpoint-only recompile covers the SNI-DNAT clusters", () => {
    const store = storeOf([...SAMPLE, reviewsEntry(), REVIEWS_SUBSETS]);
    const proxy = parseProxy(EASTWEST);
    if (!proxy.ok) throw new Error(proxy.errors.join());
    expect(names(compileEndpoints(buildScope(store, proxy.value)))).toEqual(
      ["", "v1", "v2"].map(s => sni(9080, s, host("reviews"))),
    );
  });

  it.each([
    [
      "`*` admits every mesh service, never mesh-external ones",
      ["*"],
      ["api.example.internal", host("reviews")],
    ],
    ["`*.local` admits cluster.local services only", ["*.local"], [host("reviews")]],
    [
      "`ns/host` is matched by host alone",
      ["default/reviews.default.svc.cluster.local"],
      [host("reviews")],
    ],
  ])("hosts: %s", (_, hosts, expectedHosts) => {
    const internal = reviewsEntry("MESH_INTERNAL", "api.example.internal", "api");
    const external = reviewsEntry("MESH_EXTERNAL", "api.example.com", "external");
    const r = build([gatewayWithHosts(hosts), reviewsEntry(), internal, external], EASTWEST);
    const l = listener(r, "0.0.0.0_15443");
    expect(l.filter_chains.every((c: Json) => c.filter_chain_match.server_names.length === 1)).toBe(
      true,
    );
    expect(names(r.clusters)).toEqual(expectedHosts.map(h => sni(9080, "", h)));
  });

  it("hosts matching no service give no listener (Envoy rejects one without chains)", () => {
    const r = build([gatewayWithHosts(["*.example.org"]), reviewsEntry()], EASTWEST);
    expect(r.listeners).toEqual([]);
    expect(r.clusters).toEqual([]);
  });
});
