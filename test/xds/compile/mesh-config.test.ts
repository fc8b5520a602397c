/**
 * What Istio's MeshConfig (`MeshOptions`) changes in compiled resources, one table per field,
 * each with the default (or the field's opposite) beside it: `trustDomain`/`trustDomainAliases`,
 * `enableAutoMtls`, `localityLbSetting`, `outboundTrafficPolicy` and `rootNamespace`. Every build
 * passes the snapshot check (encoder and references); resources are asserted as decoded from
 * their bytes. `extensionProviders` is tested in security/ext-authz.test.ts, and the policies
 * gateways enforce in gateway/gateway-listeners.test.ts.
 */
import type { StoreObject } from "../../../mesh/store";
import type { CompiledResources, MeshOptions } from "../../../xds/compile";
import { decoded, grpcNode, named, sidecarNode } from "./fixtures";
import {
  type Json,
  F,
  cfg,
  service,
  build,
  listener,
  cluster,
  filterNames,
  hcmFilters,
  WEB,
  WEB_SIDECAR,
  inboundChains,
  inboundHttpFilters,
  GW_SELECTOR,
  routerIn,
  ROUTER,
  GATEWAY,
  gatewayFilters,
  gatewayWith,
  ISSUER,
  jwks,
} from "./mesh-authz";

// ---------------------------------------------------------------------------------------------
// trustDomain and trustDomainAliases.

const MESHED = { "security.istio.io/tlsMode": "istio" };

/** Service echo (8080 http, 9090 grpc) with one meshed pod, service account echo. */
const ECHO: StoreObject[] = [
  service(
    "echo",
    "default",
    [
      { name: "http", port: 8080 },
      { name: "grpc", port: 9090 },
    ],
    { app: "echo" },
  ),
  {
    kind: "Pod",
    metadata: { name: "echo-0", namespace: "default", labels: { app: "echo", ...MESHED } },
    spec: { serviceAccountName: "echo" },
    status: { podIP: "10.0.0.7" },
  } as unknown as StoreObject,
  {
    kind: "EndpointSlice",
    metadata: {
      name: "echo-1",
      namespace: "default",
      labels: { "kubernetes.io/service-name": "echo" },
    },
    endpoints: [
      {
        addresses: ["10.0.0.7"],
        targetRef: { kind: "Pod", name: "echo-0", namespace: "default" },
      },
    ],
    ports: [
      { name: "http", port: 8080 },
      { name: "grpc", port: 9090 },
    ],
  } as unknown as StoreObject,
];
const ECHO_HTTP = "outbound|8080||echo.default.svc.cluster.local";
const ECHO_GRPC = "outbound|9090||echo.default.svc.cluster.local";
const CLIENT_SIDECAR = sidecarNode("10.0.0.99", "client", "default", { app: "client" });
const CLIENT_GRPC = grpcNode("10.0.0.98", "client", "default", { app: "client" });

const ALLOW_CLIENT = cfg("AuthorizationPolicy", "allow", "default", {
  selector: { matchLabels: { app: "web" } },
  rules: [{ from: [{ source: { principals: ["cluster.local/ns/default/sa/client"] } }] }],
});

/** Every `principal_name.exact` in an RBAC config, in order. */
function principalNames(rbac: Json): string[] {
  const out: string[] = [];
  JSON.stringify(rbac, (key, value: unknown) => {
    if (key === "principal_name") out.push((value as Json).exact);
    return value;
  });
  return out;
}

const client = (td: string) => `spiffe://${td}/ns/default/sa/client`;
const TRUST_DOMAINS: [string, MeshOptions, string[]][] = [
  ["the default: cluster.local alone", {}, [client("cluster.local")]],
  [
    "a new trust domain: the policy's cluster.local means the local domain",
    { trustDomain: "new.td" },
    [client("new.td")],
  ],
  [
    "a trust domain and two aliases: each of the bundle",
    { trustDomain: "new.td", trustDomainAliases: ["old.td", "older.td"] },
    [client("new.td"), client("old.td"), client("older.td")],
  ],
];

describe("trustDomain and trustDomainAliases", () => {
  it.each(TRUST_DOMAINS)("sidecar inbound RBAC, HTTP and TCP: %s", (_, mesh, want) => {
    const r = build([WEB, ALLOW_CLIENT], WEB_SIDECAR, mesh);
    const [rbac] = inboundHttpFilters(r);
    expect(rbac!.name).toBe(F.rbac);
    expect(principalNames(rbac!.typed_config.rules)).toEqual(want);
    const [tcp] = inboundChains(r, "0.0.0.0_5432")[0]!.filters as Json[];
    expect(principalNames(tcp!.typed_config.rules)).toEqual(want);
  });

  it.each(TRUST_DOMAINS)(
    "sidecar inbound mTLS accepts peers of each trust domain, as istiod: %s",
    (_, mesh, want) => {
      const r = build([WEB, ALLOW_CLIENT], WEB_SIDECAR, mesh);
      const chain = inboundChains(r, "0.0.0.0_8080").find(c => c.transport_socket)!;
      const ctx = chain.transport_socket.typed_config.common_tls_context;
      const prefixes =
        ctx.combined_validation_context.default_validation_context.match_subject_alt_names.map(
          (m: Json) => m.prefix,
        );
      expect(prefixes).toEqual(want.map(w => w.replace(/ns\/default\/sa\/client$/, "")));
    },
  );

  it.each(TRUST_DOMAINS)("proxyless gRPC server RBAC: %s", (_, mesh, want) => {
    const pod = {
      kind: "Pod",
      metadata: { name: "web-0", namespace: "default", labels: { app: "web" } },
      status: { podIP: "10.0.0.5" },
    } as unknown as StoreObject;
    const r = build(
      [WEB, pod, ALLOW_CLIENT],
      grpcNode("10.0.0.5", "web-0", "default", { app: "web" }),
      mesh,
    );
    const l = listener(r, "xds.istio.io/grpc/lds/inbound/10.0.0.5:8080");
    const rbac = hcmFilters(l.filter_chains[0]).find(f => f.name === F.rbac)!;
    expect(principalNames(rbac.typed_config.rules)).toEqual(want);
  });

  const echoId = (td: string) => `spiffe://${td}/ns/default/sa/echo`;
  const sans = (ctx: Json): string[] =>
    (
      (ctx.common_tls_context.combined_validation_context?.default_validation_context ??
        ctx.common_tls_context.validation_context) as Json
    ).match_subject_alt_names.map((m: Json) => m.exact);
  const STRICT = cfg("PeerAuthentication", "default", "istio-system", { mtls: { mode: "STRICT" } });

  it.each<[string, MeshOptions, string[]]>([
    ["the default", {}, [echoId("cluster.local")]],
    [
      "a trust domain without aliases: nothing added",
      { trustDomain: "new.td" },
      [echoId("new.td")],
    ],
    [
      "aliases: every identity under each alias too",
      { trustDomain: "new.td", trustDomainAliases: ["old.td"] },
      [echoId("new.td"), echoId("old.td")],
    ],
  ])("secure naming of outbound mTLS clusters: %s", (_, mesh, want) => {
    const envoy = cluster(build([...ECHO], CLIENT_SIDECAR, mesh), ECHO_HTTP);
    expect(sans(envoy.transport_socket_matches[0].transport_socket.typed_config)).toEqual(want);
    const grpc = cluster(build([...ECHO, STRICT], CLIENT_GRPC, mesh), ECHO_GRPC);
    expect(sans(grpc.transport_socket.typed_config)).toEqual(want);
  });
});

// ---------------------------------------------------------------------------------------------
// enableAutoMtls.

describe("enableAutoMtls", () => {
  const STRICT = cfg("PeerAuthentication", "default", "istio-system", { mtls: { mode: "STRICT" } });
  const istioMutual = cfg("DestinationRule", "echo", "default", {
    host: "echo",
    trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } },
  });
  const GATEWAY_TO_ECHO = [
    cfg("Gateway", "gw", "default", {
      selector: GW_SELECTOR,
      servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
    }),
    cfg("VirtualService", "echo", "default", {
      hosts: ["*"],
      gateways: ["gw"],
      http: [{ route: [{ destination: { host: "echo", port: { number: 8080 } } }] }],
    }),
  ];
  /** How a cluster reaches echo: auto (transport_socket_matches), mtls, or plaintext. */
  const how = (c: Json) =>
    c.transport_socket_matches
      ? "auto"
      : c.transport_socket?.name === "envoy.transport_sockets.tls"
        ? "mtls"
        : "plaintext";

  const ISTIO_MUTUAL_ECHO = [...ECHO, istioMutual];
  it.each<[string, string, string, StoreObject[], object, string]>([
    ["Envoy sidecar", "auto", "plaintext", ECHO, CLIENT_SIDECAR, ECHO_HTTP],
    ["gateway", "auto", "plaintext", [...ECHO, ...GATEWAY_TO_ECHO], ROUTER, ECHO_HTTP],
    ["proxyless gRPC client", "mtls", "plaintext", [...ECHO, STRICT], CLIENT_GRPC, ECHO_GRPC],
    [
      "Envoy sidecar, DR ISTIO_MUTUAL",
      "mtls",
      "mtls",
      ISTIO_MUTUAL_ECHO,
      CLIENT_SIDECAR,
      ECHO_HTTP,
    ],
    [
      "gateway, DR ISTIO_MUTUAL",
      "mtls",
      "mtls",
      [...ISTIO_MUTUAL_ECHO, ...GATEWAY_TO_ECHO],
      ROUTER,
      ECHO_HTTP,
    ],
    [
      "proxyless gRPC client, DR ISTIO_MUTUAL",
      "mtls",
      "mtls",
      ISTIO_MUTUAL_ECHO,
      CLIENT_GRPC,
      ECHO_GRPC,
    ],
  ])("%s: %s by default, %s with enableAutoMtls: false", (_, on, off, objects, node, name) => {
    expect(how(cluster(build(objects, node), name))).toBe(on);
    expect(how(cluster(build(objects, node, { enableAutoMtls: true }), name))).toBe(on);
    expect(how(cluster(build(objects, node, { enableAutoMtls: false }), name))).toBe(off);
  });
});

// ---------------------------------------------------------------------------------------------
// localityLbSetting.

describe("mesh-wide localityLbSetting", () => {
  const HOST = "reviews.default.svc.cluster.local";
  const CLUSTER = `outbound|9080||${HOST}`;
  const REVIEWS = cfg("ServiceEntry", "reviews", "default", {
    hosts: [HOST],
    ports: [{ number: 9080, name: "grpc", protocol: "GRPC" }],
    location: "MESH_INTERNAL",
    resolution: "STATIC",
    endpoints: [
      { address: "10.0.0.1", locality: "us-east/a/1" },
      { address: "10.0.0.3", locality: "us-east/b" },
      { address: "10.0.0.4", locality: "us-west/c" },
      { address: "10.0.0.5", locality: "eu-west/d" },
    ],
  });
  const HERE = {
    app: "client",
    "topology.kubernetes.io/region": "us-east",
    "topology.kubernetes.io/zone": "a",
    "topology.istio.io/subzone": "1",
  };
  const NODES = {
    sidecar: sidecarNode("10.1.2.3", "client", "default", HERE),
    grpc: grpcNode("10.1.2.3", "client", "default", HERE),
  };
  const OUTLIER = { consecutive5xxErrors: 1, interval: "1s" };
  const dr = (trafficPolicy: Json) =>
    cfg("DestinationRule", "reviews", "default", { host: "reviews", trafficPolicy });
  const toEuWest = { failover: [{ from: "us-east", to: "eu-west" }] };
  const toUsWest = { failover: [{ from: "us-east", to: "us-west" }] };

  const NEAREST = { "10.0.0.1": 0, "10.0.0.3": 1, "10.0.0.4": 2, "10.0.0.5": 2 };
  const EU_WEST_NEXT = { "10.0.0.1": 0, "10.0.0.3": 1, "10.0.0.5": 2, "10.0.0.4": 3 };
  const US_WEST_NEXT = { "10.0.0.1": 0, "10.0.0.3": 1, "10.0.0.4": 2, "10.0.0.5": 3 };
  const FLAT = { "10.0.0.1": 0, "10.0.0.3": 0, "10.0.0.4": 0, "10.0.0.5": 0 };

  function priorities(r: CompiledResources): Record<string, number> {
    const out: Record<string, number> = {};
    for (const g of (decoded(named(r.endpoints, CLUSTER)).endpoints ?? []) as Json[])
      for (const e of (g.lb_endpoints ?? []) as Json[])
        out[e.endpoint.address.socket_address.address] = g.priority ?? 0;
    return out;
  }

  it.each<[string, Json, MeshOptions["localityLbSetting"], Record<string, number>, boolean]>([
    [
      "no mesh setting: Istio's default failover by proximity",
      { outlierDetection: OUTLIER },
      undefined,
      NEAREST,
      false,
    ],
    [
      "the mesh's failover list applies",
      { outlierDetection: OUTLIER },
      toEuWest,
      EU_WEST_NEXT,
      true,
    ],
    [
      "mesh enabled: false turns failover off, outlier detection or not",
      { outlierDetection: OUTLIER },
      { enabled: false },
      FLAT,
      false,
    ],
    [
      "without outlier detection the mesh's failover gives no priorities",
      {},
      toEuWest,
      FLAT,
      false,
    ],
    [
      "the rule's own setting wins over the mesh's",
      { outlierDetection: OUTLIER, loadBalancer: { localityLbSetting: toUsWest } },
      toEuWest,
      US_WEST_NEXT,
      true,
    ],
    [
      "the rule's setting wins over a mesh that turned it off",
      { outlierDetection: OUTLIER, loadBalancer: { localityLbSetting: toEuWest } },
      { enabled: false },
      EU_WEST_NEXT,
      true,
    ],
    [
      "the rule's enabled: false wins over the mesh's failover",
      { outlierDetection: OUTLIER, loadBalancer: { localityLbSetting: { enabled: false } } },
      toEuWest,
      FLAT,
      false,
    ],
  ])("%s", (_, trafficPolicy, localityLbSetting, want, weighted) => {
    for (const node of Object.values(NODES))
      expect(priorities(build([REVIEWS, dr(trafficPolicy)], node, { localityLbSetting }))).toEqual(
        want,
      );
    const c = cluster(
      build([REVIEWS, dr(trafficPolicy)], NODES.sidecar, { localityLbSetting }),
      CLUSTER,
    );
    expect(c.common_lb_config?.locality_weighted_lb_config !== undefined).toBe(weighted);
  });

  it("the mesh's distribute weights apply to a service without a DestinationRule", () => {
    const distribute = {
      distribute: [{ from: "us-east/a/*", to: { "us-east/a/*": 80, "us-west/*": 20 } }],
    };
    const weights = (r: CompiledResources) =>
      ((decoded(named(r.endpoints, CLUSTER)).endpoints ?? []) as Json[]).map(g => [
        g.locality?.region,
        g.load_balancing_weight?.value,
      ]);
    const r = build([REVIEWS], NODES.sidecar, { localityLbSetting: distribute });
    expect(weights(r)).toEqual([
      ["us-east", 80],
      ["us-west", 20],
    ]);
    expect(cluster(r, CLUSTER).common_lb_config.locality_weighted_lb_config).toEqual({});
    expect(cluster(build([REVIEWS], NODES.sidecar), CLUSTER).common_lb_config).toEqual({
      healthy_panic_threshold: { value: 0 },
    });
  });
});

// ---------------------------------------------------------------------------------------------
// outboundTrafficPolicy.

describe("outboundTrafficPolicy", () => {
  const sidecarResource = (mode: string, namespace = "default") =>
    cfg("Sidecar", "default", namespace, { outboundTrafficPolicy: { mode } });
  /** Where virtualOutbound sends unknown destinations, and the HTTP catch-all's answer. */
  function unknownDestinations(r: CompiledResources): [string, string] {
    const chains = listener(r, "virtualOutbound").filter_chains as Json[];
    const catchAll = chains.find(c => c.name === "virtualOutbound-catchall-tcp")!;
    const vhosts = decoded(named(r.routes, "8080")).virtual_hosts as Json[];
    const last = vhosts[vhosts.length - 1]!;
    const answer = last.routes[0].direct_response
      ? `${last.name} ${last.routes[0].direct_response.status}`
      : `${last.name} ${last.routes[0].route.cluster}`;
    return [catchAll.filters[0].typed_config.cluster, answer];
  }
  const OPEN: [string, string] = ["PassthroughCluster", "allow_any PassthroughCluster"];
  const CLOSED: [string, string] = ["BlackHoleCluster", "block_all 502"];

  it.each<[string, MeshOptions, StoreObject[], [string, string]]>([
    ["the default (ALLOW_ANY)", {}, [], OPEN],
    ["mesh REGISTRY_ONLY", { outboundTrafficPolicy: "REGISTRY_ONLY" }, [], CLOSED],
    ["mesh ALLOW_ANY", { outboundTrafficPolicy: "ALLOW_ANY" }, [], OPEN],
    [
      "a Sidecar's ALLOW_ANY overrides the mesh's REGISTRY_ONLY",
      { outboundTrafficPolicy: "REGISTRY_ONLY" },
      [sidecarResource("ALLOW_ANY")],
      OPEN,
    ],
    [
      "a Sidecar's REGISTRY_ONLY overrides the mesh's ALLOW_ANY",
      {},
      [sidecarResource("REGISTRY_ONLY")],
      CLOSED,
    ],
    [
      "a Sidecar without the field leaves the mesh's REGISTRY_ONLY",
      { outboundTrafficPolicy: "REGISTRY_ONLY" },
      [cfg("Sidecar", "default", "default", { egress: [{ hosts: ["*/*"] }] })],
      CLOSED,
    ],
  ])("%s", (_, mesh, objects, want) => {
    expect(unknownDestinations(build([...ECHO, ...objects], CLIENT_SIDECAR, mesh))).toEqual(want);
  });
});

// ---------------------------------------------------------------------------------------------
// rootNamespace.

describe("rootNamespace", () => {
  const denyAll = (namespace: string) =>
    cfg("AuthorizationPolicy", "deny-all", namespace, { action: "DENY", rules: [{}] });
  const strict = (namespace: string) =>
    cfg("PeerAuthentication", "default", namespace, { mtls: { mode: "STRICT" } });
  const jwt = (namespace: string) =>
    cfg("RequestAuthentication", "jwt", namespace, {
      jwtRules: [{ issuer: ISSUER, jwksUri: `${ISSUER}/jwks` }],
    });
  const registryOnly = (namespace: string) =>
    cfg("Sidecar", "default", namespace, { outboundTrafficPolicy: { mode: "REGISTRY_ONLY" } });
  const CUSTOM_ROOT = { rootNamespace: "mesh-root" };

  /** What applies to web-0 from policies in `ns` under `mesh`. */
  function applied(ns: string, mesh: MeshOptions) {
    const objects = [WEB, ...ECHO, denyAll(ns), strict(ns), jwt(ns), registryOnly(ns)];
    const r = build(objects, WEB_SIDECAR, { ...mesh, jwks });
    const http = filterNames(inboundHttpFilters(r));
    const catchAll = (listener(r, "virtualOutbound").filter_chains as Json[]).find(
      c => c.name === "virtualOutbound-catchall-tcp",
    )!;
    return {
      authz: http.includes(F.rbac),
      jwt: http.includes(F.jwt),
      strict: inboundChains(r, "0.0.0.0_8080").length === 1,
      registryOnly: catchAll.filters[0].typed_config.cluster === "BlackHoleCluster",
    };
  }
  const ALL = { authz: true, jwt: true, strict: true, registryOnly: true };
  const NONE = { authz: false, jwt: false, strict: false, registryOnly: false };

  it.each<[string, string, MeshOptions, typeof ALL]>([
    ["istio-system is the default root", "istio-system", {}, ALL],
    ["another namespace is not root by default", "mesh-root", {}, NONE],
    ["a configured root's policies apply mesh-wide", "mesh-root", CUSTOM_ROOT, ALL],
    ["istio-system's then do not", "istio-system", CUSTOM_ROOT, NONE],
  ])("%s", (_, ns, mesh, want) => {
    expect(applied(ns, mesh)).toEqual(want);
  });

  it.each([
    ["the configured root", "mesh-root", true],
    ["istio-system", "istio-system", false],
  ])("a gateway (in namespace ingress) enforces those in %s: %s", (_, ns, applies) => {
    const r = build([WEB, ...GATEWAY, denyAll(ns), jwt(ns)], routerIn("ingress"), {
      ...CUSTOM_ROOT,
      jwks,
    });
    expect(gatewayFilters(r)).toEqual(
      applies ? gatewayWith([F.jwt, F.rbac], [F.netRbac]) : gatewayWith([], []),
    );
  });
});
