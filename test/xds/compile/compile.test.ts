/**
 * What compile() gives a proxy as a whole: Istio's names for each resource it generates, for
 * proxyless gRPC and Envoy sidecars; and every object in Istio's `tests/testdata/config/` and the
 * bookinfo samples compiling, for an Envoy sidecar and a proxyless gRPC client, into resources
 * that pass the encoder check (encode, decode, compare field for field) and reference only
 * resources that exist.
 */
import { readdirSync } from "node:fs";
import { storeOf } from "../../../mesh/store";
import { compile } from "../../../xds/compile";
import {
  checkedSnapshot,
  grpcNode,
  istioPath,
  loadYaml,
  named,
  sidecarNode,
  storeObjects,
} from "./fixtures";
import { bookinfoLike, build, DR, dec, HOST, SE, type Json } from "./reviews-entry";
import { build as buildWeb, GRPC } from "./web-service";

describe("proxyless gRPC resources", () => {
  it("names listeners, routes, clusters and assignments as Istio's grpcgen does", () => {
    const r = build([SE("reviews"), DR({ subsets: [{ name: "v1", labels: { version: "v1" } }] })]);
    const listener = dec(named(r.listeners, `${HOST}:9080`));
    expect(listener.api_listener.api_listener.rds.route_config_name).toBe(`${HOST}:9080`);
    expect(listener.api_listener.api_listener.http_filters.map((f: Json) => f.name)).toEqual([
      "envoy.filters.http.fault",
      "envoy.filters.http.router",
    ]);
    expect(r.clusters.map(c => c.name)).toEqual([
      `outbound|9080||${HOST}`,
      `outbound|9080|v1|${HOST}`,
    ]);
    const cluster = dec(named(r.clusters, `outbound|9080|v1|${HOST}`));
    expect(cluster).toMatchObject({
      type: "EDS",
      lb_policy: "ROUND_ROBIN",
      eds_cluster_config: { service_name: `outbound|9080|v1|${HOST}` },
    });
    const cla = dec(named(r.endpoints, `outbound|9080|v1|${HOST}`));
    expect(cla.endpoints).toHaveLength(1);
    expect(cla.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({
      address: "10.0.0.1",
      port_value: 9080,
    });
    const all = dec(named(r.endpoints, `outbound|9080||${HOST}`));
    expect(all.endpoints.map((e: Json) => e.locality)).toEqual([
      {},
      { region: "us", zone: "east", sub_zone: "a" },
    ]);
    expect(all.endpoints.every((e: Json) => e.load_balancing_weight.value >= 1)).toBe(true);
  });
});

describe("Envoy sidecar resources", () => {
  it("has Istio's listener, route and cluster names", () => {
    const r = build(
      bookinfoLike,
      sidecarNode("10.1.2.3", "reviews-v1-abc", "default", { app: "reviews" }),
    );
    expect(r.listeners.map(l => l.name)).toEqual([
      "virtualOutbound",
      "0.0.0.0_9080",
      "10.96.0.11_3306",
      "virtualInbound",
    ]);
    expect(r.routes.map(x => x.name)).toEqual(["9080"]);
    expect(r.clusters.map(c => c.name)).toEqual([
      "outbound|3306||mysql.default.svc.cluster.local",
      "outbound|9080||reviews.default.svc.cluster.local",
      "inbound|9080||",
      "BlackHoleCluster",
      "PassthroughCluster",
      "InboundPassthroughCluster",
    ]);
    const outbound = dec(named(r.listeners, "0.0.0.0_9080"));
    expect(outbound.filter_chains[0].filters[0].typed_config.rds.route_config_name).toBe("9080");
    const rc = dec(named(r.routes, "9080"));
    expect(rc.virtual_hosts.map((v: Json) => v.name)).toEqual([
      "reviews.default.svc.cluster.local:9080",
      "allow_any",
    ]);
    // Istio 1.31's forms: no `:port` (the route config ignores the port), the absolute FQDN.
    expect(rc.ignore_port_in_host_matching).toBe(true);
    expect(rc.virtual_hosts[0].domains).toEqual([
      "reviews.default.svc.cluster.local",
      "reviews.default.svc.cluster.local.",
      "reviews",
      "reviews.default.svc",
      "reviews.default",
      "10.96.0.10",
    ]);
    const inbound = dec(named(r.listeners, "virtualInbound"));
    expect(inbound.address.socket_address.port_value).toBe(15006);
    const served = inbound.filter_chains.find((c: Json) => c.name === "0.0.0.0_9080");
    expect(served.filter_chain_match.destination_port).toEqual({ value: 9080 });
  });
});

const CONFIG_DIR = istioPath("tests/testdata/config");
const NETWORKING_DIR = istioPath("samples/bookinfo/networking");
const BOOKINFO = loadYaml(istioPath("samples/bookinfo/platform/kube/bookinfo.yaml"));

const proxies = [
  [
    "sidecar in default",
    sidecarNode("10.1.2.3", "reviews-v1-abc", "default", { app: "reviews", version: "v1" }),
  ],
  ["sidecar in testns", sidecarNode("10.1.2.4", "app-abc", "testns", { app: "a" })],
  ["gRPC client in default", grpcNode("10.1.2.5", "client-abc", "default", { app: "client" })],
] as const;

function compileAll(files: readonly string[]): Record<string, number> {
  const docs = files.flatMap(f => loadYaml(f));
  const store = storeOf(storeObjects([...BOOKINFO, ...docs]));
  const sizes: Record<string, number> = {};
  for (const [label, node] of proxies) {
    const result = compile(store, node);
    if (!result.ok) throw new Error(result.errors.join("\n"));
    const snapshot = checkedSnapshot(result.value);
    sizes[label] = [...snapshot.resources.values()].reduce((n, m) => n + m.size, 0);
  }
  return sizes;
}

describe("Istio's config corpus compiles and passes the encoder check", () => {
  it.each(readdirSync(CONFIG_DIR).filter(f => f.endsWith(".yaml")))(
    "tests/testdata/config/%s",
    file => {
      const sizes = compileAll([`${CONFIG_DIR}/${file}`]);
      for (const n of Object.values(sizes)) expect(n).toBeGreaterThan(0);
    },
  );

  it.each(readdirSync(NETWORKING_DIR).filter(f => f.endsWith(".yaml")))(
    "bookinfo networking/%s",
    file => {
      const sizes = compileAll([`${NETWORKING_DIR}/${file}`]);
      // bookinfo's four services on 9080 at least: a listener, route, cluster and CLA each.
      expect(sizes["gRPC client in default"]).toBeGreaterThanOrEqual(16);
    },
  );

  it("the whole corpus at once (many hosts, rules and sidecars together)", () => {
    const all = [
      ...readdirSync(CONFIG_DIR).map(f => `${CONFIG_DIR}/${f}`),
      ...readdirSync(NETWORKING_DIR).map(f => `${NETWORKING_DIR}/${f}`),
    ].filter(f => f.endsWith(".yaml"));
    const sizes = compileAll(all);
    expect(sizes["sidecar in default"]).toBeGreaterThan(50);
  });
});

describe("proxyless gRPC keeps its own shape", () => {
  const r = buildWeb(GRPC);

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
