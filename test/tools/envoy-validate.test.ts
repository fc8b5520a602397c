/**
 * tools/envoy-validate: Envoy's protoc-gen-validate rules (go-control-plane's `ValidateAll()`),
 * applied inside Any-packed typed configs too, and the cross-resource checks Envoy makes on
 * load. Each rule is shown to fire on a resource that breaks it and to stay quiet on one that
 * keeps it, so that "zero violations" over the compiler's fixtures means something.
 */
import { spawnSync } from "node:child_process";
import { encodeResource, type ResourceObject } from "../../xds/encode/encode-resource";
import { clientListener, edsCluster, endpoints, weightedRoute } from "../harness/xds-resources";
import {
  envoyValidateBinary,
  runEnvoyRules,
  toJsonLines,
  type EnvoyViolation,
  type GroupedResource,
} from "../harness/envoy-rules";

const T = "type.googleapis.com/";
const TCP_PROXY = `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`;
const UPSTREAM_TLS = `${T}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`;

function encoded(object: ResourceObject): GroupedResource["resource"] {
  const result = encodeResource(object);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.value;
}

function check(objects: readonly ResourceObject[], cross = true): EnvoyViolation[] {
  const resources = objects.map(o => ({ group: "test", resource: encoded(o) }));
  const report = runEnvoyRules(resources, { cross });
  expect(report.resources).toBe(objects.length);
  return [...report.violations];
}

const summary = (vs: readonly EnvoyViolation[]) =>
  vs.map(v => `${v.type} ${v.name} ${v.field} ${v.rule}`);

const tcpListener = (name: string, chains: readonly Record<string, unknown>[]): ResourceObject => ({
  "@type": `${T}envoy.config.listener.v3.Listener`,
  name,
  address: { socket_address: { address: "0.0.0.0", port_value: 9000 } },
  filter_chains: chains,
});

const tcpChain = (cluster: string, match: Record<string, unknown> = {}) => ({
  filter_chain_match: match,
  filters: [
    {
      name: "envoy.filters.network.tcp_proxy",
      typed_config: { "@type": TCP_PROXY, stat_prefix: "tcp", cluster },
    },
  ],
});

const sdsCluster = (name: string, sds: Record<string, unknown>): ResourceObject => ({
  ...edsCluster(name),
  transport_socket: {
    name: "envoy.transport_sockets.tls",
    typed_config: {
      "@type": UPSTREAM_TLS,
      common_tls_context: { tls_certificate_sds_secret_configs: [sds] },
    },
  },
});

const AGENT_SDS = {
  api_config_source: {
    api_type: "GRPC",
    transport_api_version: "V3",
    grpc_services: [{ envoy_grpc: { cluster_name: "sds-grpc" } }],
  },
  resource_api_version: "V3",
};

describe("envoy-validate: Envoy's field rules (ValidateAll)", () => {
  it("passes a consistent client snapshot: listener, route, clusters and endpoints", () => {
    expect(
      check([
        clientListener("reviews:9080", "reviews:9080"),
        weightedRoute("reviews:9080", "reviews:9080", { v1: 50, v2: 50 }),
        edsCluster("v1"),
        edsCluster("v2"),
        endpoints("v1", [8080]),
        endpoints("v2", [8081]),
      ]),
    ).toEqual([]);
  });

  it("reports a broken rule with its field path (a cluster's connect_timeout must be > 0)", () => {
    const vs = check([
      { ...edsCluster("v1"), connect_timeout: { seconds: 0 } },
      endpoints("v1", [1]),
    ]);
    expect(vs).toEqual([
      expect.objectContaining({ type: "CDS", name: "v1", field: "connect_timeout" }),
    ]);
    expect(vs[0]?.message).toMatch(/greater than 0s/);
  });

  it("looks inside Any: an HttpConnectionManager without stat_prefix in a listener's filter", () => {
    const listener = clientListener("a:80", "a:80") as Record<string, unknown> & ResourceObject;
    const api = (listener.api_listener as { api_listener: Record<string, unknown> }).api_listener;
    const broken = {
      ...listener,
      api_listener: { api_listener: { ...api, stat_prefix: "" } },
    } as ResourceObject;
    const vs = check([
      broken,
      weightedRoute("a:80", "a", { c: 1 }),
      edsCluster("c"),
      endpoints("c", [1]),
    ]);
    expect(summary(vs)).toEqual([
      "LDS a:80 api_listener.api_listener.stat_prefix protoc-gen-validate",
    ]);
  });

  it("looks inside a filter chain's typed config: a TcpProxy naming no cluster", () => {
    const chain = {
      filters: [
        {
          name: "envoy.filters.network.tcp_proxy",
          typed_config: { "@type": TCP_PROXY, stat_prefix: "tcp" },
        },
      ],
    };
    const vs = check([tcpListener("tcp", [chain])], false);
    expect(summary(vs)).toEqual([
      "LDS tcp filter_chains[0].filters[0].typed_config.cluster_specifier protoc-gen-validate",
    ]);
  });
});

describe("envoy-validate: Istio's proxyv2 extensions", () => {
  it("accepts istio.stats (stats.PluginConfig), which proxyv2 registers and upstream Envoy lacks", () => {
    const chain = {
      filters: [
        {
          name: "istio.stats",
          typed_config: { "@type": `${T}stats.PluginConfig`, disable_host_header_fallback: true },
        },
        tcpChain("c").filters[0],
      ],
    };
    const vs = check([tcpListener("tcp", [chain]), edsCluster("c"), endpoints("c", [])]);
    expect(summary(vs)).toEqual([]);
  });
});

describe("envoy-validate: cross-resource checks (-cross)", () => {
  it("routes must name clusters the snapshot has, weighted clusters included", () => {
    const vs = check([
      clientListener("r:80", "r:80"),
      weightedRoute("r:80", "r", { present: 50, missing: 50 }),
      edsCluster("present"),
      endpoints("present", [1]),
    ]);
    expect(summary(vs)).toEqual([
      "RDS r:80 virtual_hosts[0].routes[0].route.weighted_clusters.clusters[1].name cluster_exists",
    ]);
  });

  it("a TcpProxy must name a cluster the snapshot has", () => {
    expect(summary(check([tcpListener("tcp", [tcpChain("gone")])]))).toEqual([
      "LDS tcp filter_chains[0].filters[0].typed_config.cluster cluster_exists",
    ]);
  });

  it("a listener's RDS name and an EDS cluster's assignment must exist", () => {
    expect(summary(check([clientListener("l", "nowhere"), edsCluster("c")]))).toEqual([
      "LDS l api_listener.api_listener.rds.route_config_name rds_exists",
      "CDS c name eds_exists",
    ]);
  });

  it.each([
    ["the same match twice", [{}, {}], ["filter_chains[1].filter_chain_match"]],
    [
      "overlapping lists (both match SNI b.example.com)",
      [{ server_names: ["a.example.com", "b.example.com"] }, { server_names: ["b.example.com"] }],
      ["filter_chains[1].filter_chain_match"],
    ],
    [
      "one range written two ways (10.0.0.1/8 is 10.0.0.0/8)",
      [
        { prefix_ranges: [{ address_prefix: "10.0.0.1", prefix_len: { value: 8 } }] },
        { prefix_ranges: [{ address_prefix: "10.0.0.0", prefix_len: { value: 8 } }] },
      ],
      ["filter_chains[1].filter_chain_match"],
    ],
    [
      "distinct matches",
      [{ server_names: ["a.example.com"] }, { server_names: ["b.example.com"] }, {}],
      [],
    ],
  ])("filter chain matches are unique per listener: %s", (_label, matches, fields) => {
    const chains = matches.map(m => tcpChain("c", m));
    const vs = check([tcpListener("l", chains), edsCluster("c"), endpoints("c", [1])]);
    expect(vs.map(v => v.field)).toEqual(fields);
    for (const v of vs) expect(v.rule).toBe("unique_filter_chain_match");
  });

  it.each([
    ["the agent's workload certificate", "default", AGENT_SDS, []],
    ["the agent's root", "ROOTCA", AGENT_SDS, []],
    ["a file-based certificate", "file-cert:/etc/c.pem~/etc/k.pem", AGENT_SDS, []],
    ["a name the agent does not produce", "kubernetes://cred", AGENT_SDS, ["sds_resolvable"]],
    ["an ADS secret the snapshot lacks", "kubernetes://cred", { ads: {} }, ["sds_resolvable"]],
  ])("SDS names must be resolvable: %s", (_label, name, source, rules) => {
    const vs = check([sdsCluster("c", { name, sds_config: source }), endpoints("c", [1])]);
    expect(vs.map(v => v.rule)).toEqual(rules);
    for (const v of vs) {
      expect(v.field).toBe(
        "transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs[0].name",
      );
    }
  });

  it("an ADS secret present in the snapshot resolves", () => {
    const secret: ResourceObject = {
      "@type": `${T}envoy.extensions.transport_sockets.tls.v3.Secret`,
      name: "kubernetes://cred",
      validation_context: { trusted_ca: { inline_string: "pem" } },
    };
    const c = sdsCluster("c", { name: "kubernetes://cred", sds_config: { ads: {} } });
    expect(check([c, endpoints("c", [1]), secret])).toEqual([]);
  });

  it("resource names are unique per type", () => {
    expect(summary(check([edsCluster("c"), edsCluster("c"), endpoints("c", [1])]))).toEqual([
      "CDS c name unique_name",
    ]);
  });

  it("checks within a group only: a cluster of another proxy's snapshot does not count", () => {
    const resources = [
      { group: "a", resource: encoded(tcpListener("tcp", [tcpChain("c")])) },
      { group: "b", resource: encoded(edsCluster("c")) },
      { group: "b", resource: encoded(endpoints("c", [1])) },
    ];
    const report = runEnvoyRules(resources, { cross: true });
    expect(report.groups).toBe(2);
    expect(report.violations.map(v => `${v.group} ${v.rule}`)).toEqual(["a cluster_exists"]);
  });
});

describe("envoy-validate: input and exit status", () => {
  const run = (input: string, args: string[] = []) =>
    spawnSync(envoyValidateBinary(), args, { input, encoding: "utf8" });

  it("exits 0 with no violations, 1 with some", () => {
    const ok = run(toJsonLines([{ group: "g", resource: encoded(endpoints("c", [1])) }]));
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ resources: 1, groups: 1, violations: [] });
    const bad = run(
      toJsonLines([
        { group: "g", resource: encoded({ ...edsCluster("c"), connect_timeout: { seconds: 0 } }) },
      ]),
    );
    expect(bad.status).toBe(1);
  });

  it.each([
    ["a line that is not JSON", "{", /stdin:1: not a JSON object/],
    [
      "a type that is not an xDS resource",
      JSON.stringify({ typeUrl: `${T}google.protobuf.Empty`, value: "" }),
      /stdin:1: typeUrl .* is not one of the five xDS resource types/,
    ],
    [
      "bytes that do not decode",
      JSON.stringify({ typeUrl: `${T}envoy.config.cluster.v3.Cluster`, value: "/////w==" }),
      /stdin:1: CDS: bytes do not decode/,
    ],
  ])("exits 2 on unreadable input: %s", (_label, input, message) => {
    const res = run(input);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(message);
  });
});
