/**
/**
 * The defaults istiod writes on every Envoy listener and route it builds, whatever the config
 * (found by the xDS diff against istiod, test/integration/xds-diff.test.ts): the retry host
 * predicate, route config limits and filter chain handshake timeouts. The cluster defaults are
 * in clusters/clusters.test.ts, the HTTP connection manager fields per listener class in
 * listeners/hcm-defaults.test.ts. Asserted on the resources as Envoy receives them: encoded
 * against Envoy's protos and decoded back. Proxyless gRPC clients must get none of the
 * Envoy-only ones.
 */
import type { StoreObject } from "../../../mesh/store";
import { istioObject, named, sidecarNode } from "./fixtures";
import { build, dec, GRPC, secs, SIDECAR, type Json } from "./web-service";

describe("istiod's route and listener defaults", () => {
  const r = build(SIDECAR);
  const rc = dec(named(r.routes, "80"));
  const web = (rc.virtual_hosts as Json[]).find(v => v.name === "web.default.svc.cluster.local:80");

  it("a retry picks another host than the one that failed (previous_hosts, up to 5 picks)", () => {
    for (const route of web!.routes)
      expect(route.route.retry_policy).toMatchObject({
        retry_host_predicate: [
          {
            name: "envoy.retry_host_predicates.previous_hosts",
            typed_config: {
              "@type":
                "type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate",
            },
          },
        ],
        host_selection_retry_max_attempts: "5",
      });
  });

  it("every translated match says whether it is case-sensitive; the implicit catch-all does not", () => {
    expect(web!.routes.map((x: Json) => x.match)).toEqual([
      { prefix: "/api", case_sensitive: { value: true } },
      { path: "/Login", case_sensitive: { value: false } },
      { prefix: "/" },
    ]);
  });

  it("virtual host domains as Istio 1.31 lists them: no :port forms, the absolute FQDN", () => {
    expect(web!.domains).toEqual([
      "web.default.svc.cluster.local",
      "web.default.svc.cluster.local.",
      "web",
      "web.default.svc",
      "web.default",
      "10.96.0.10",
    ]);
  });

  it("capture listeners accept one connection per socket event; a default chain has an explicit empty match", () => {
    for (const name of ["virtualInbound", "virtualOutbound"])
      expect(dec(named(r.listeners, name)).max_connections_to_accept_per_socket_event).toEqual({
        value: 1,
      });
    const web80 = dec(named(r.listeners, "0.0.0.0_80"));
    expect(web80.max_connections_to_accept_per_socket_event).toBeUndefined();
    expect(web80.default_filter_chain.filter_chain_match).toEqual({});
  });

  it("direct responses up to 1 MiB", () => {
    expect(rc.max_direct_response_body_size_bytes).toEqual({ value: 1048576 });
  });

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
describe("proxyless gRPC keeps its own shape", () => {
  const r = build(GRPC);

  it("no host predicate, no fetch timeout, no panic threshold, none of the Envoy HCM defaults", () => {
    const rc = dec(named(r.routes, "web.default.svc.cluster.local:80"));
    // gRPC matches the authority with its port: both forms stay.
    expect(rc.virtual_hosts[0].domains).toEqual(
      expect.arrayContaining(["web.default.svc.cluster.local", "web.default.svc.cluster.local:80"]),
    );
    for (const vh of rc.virtual_hosts)
      for (const route of vh.routes)
        if (route.route?.retry_policy) {
          expect(route.route.retry_policy.retry_host_predicate).toBeUndefined();
        }
    const c = dec(named(r.clusters, "outbound|80||web.default.svc.cluster.local"));
    expect(c.eds_cluster_config.eds_config.initial_fetch_timeout).toBeUndefined();
    expect(c.common_lb_config).toBeUndefined();
    const api = dec(named(r.listeners, "web.default.svc.cluster.local:80")).api_listener
      .api_listener;
    for (const field of ["upgrade_configs", "normalize_path", "stream_idle_timeout", "server_name"])
      expect(api[field]).toBeUndefined();
    expect(api.rds.config_source.initial_fetch_timeout).toBeUndefined();
  });
});

describe("a workload a ServiceEntry lists by address (a VM) serves that entry's ports", () => {
  const entry = (namespace: string) =>
    istioObject("ServiceEntry", "vm-api", namespace, {
      hosts: ["vm-api.internal"],
      ports: [{ number: 80, name: "http", protocol: "HTTP" }],
      resolution: "STATIC",
      location: "MESH_INTERNAL",
      endpoints: [{ address: "10.0.0.40", ports: { http: 8080 } }, { address: "10.0.0.41" }],
    });
  const VM = sidecarNode("10.0.0.40", "vm-0", "vms", {});
  const inboundOf = (objects: StoreObject[]) => {
    const r = build(VM, objects);
    const inbound = dec(named(r.listeners, "virtualInbound"));
    return {
      clusters: r.clusters.map(c => String(c.name)).filter(n => n.startsWith("inbound|")),
      chains: (inbound.filter_chains as Json[])
        .map(c => c.name)
        .filter(n => n.startsWith("0.0.0.0_")),
    };
  };

  it("gets an inbound cluster and chains for the endpoint's named workload port", () => {
    const { clusters, chains } = inboundOf([entry("vms")]);
    expect(clusters).toEqual(["inbound|8080||"]);
    expect(new Set(chains)).toEqual(new Set(["0.0.0.0_8080"]));
  });

  it("not from an entry in another namespace: no namespace adds instances to another's workloads", () => {
    expect(inboundOf([entry("other")])).toEqual({ clusters: [], chains: [] });
  });
});
