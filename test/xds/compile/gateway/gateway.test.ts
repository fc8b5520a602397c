/**
 * Gateway proxies (node type `router`): Istio Gateways and the VirtualServices bound to them,
 * compiled into listeners, route configs, clusters and endpoints, asserted as decoded from their
 * protobuf bytes. Every build also passes the snapshot check (encoding and references),
 * `credentialName` Secrets included (`gateway-secrets.test.ts` covers those in detail).
 */
import { readFileSync, readdirSync } from "node:fs";
import { storeOf, type StoreObject } from "../../../../mesh/store";
import { allResources, compile, type CompiledResources } from "../../../../xds/compile";
import { createSnapshot } from "../../../../xds/cache/snapshot";
import type { ResourceObject } from "../../../../xds/encode/encode-resource";
import {
  decoded,
  istioPath,
  loadYaml,
  named,
  sidecarNode,
  storeObjects,
  istioObject,
  WITHOUT_STATS,
} from "../fixtures";
import { secret, selfSigned } from "../tls-fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const dec = (r: ResourceObject): Json => decoded(r);

/** A gateway proxy in `ns` with `labels`, named as Istio's ingress gateway pods are. */
function routerNode(
  labels: Record<string, string> = { istio: "ingressgateway" },
  ns = "istio-system",
) {
  return {
    id: `router~10.1.2.3~ingressgateway-xyz.${ns}~${ns}.svc.cluster.local`,
    metadata: { NAMESPACE: ns, LABELS: labels },
  };
}
const ROUTER = routerNode();

const cfg = (kind: string, name: string, spec: Json, namespace = "default") =>
  istioObject(kind, name, namespace, spec);

function service(name: string, ns: string, ports: { name: string; port: number }[]): StoreObject {
  return {
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: { clusterIP: "10.96.0.20", selector: { app: name }, ports },
  } as unknown as StoreObject;
}

const gateway = (
  name: string,
  servers: Json[],
  ns = "default",
  selector: Json = { istio: "ingressgateway" },
) => cfg("Gateway", name, { selector, servers }, ns);

const httpsServer = (tls: Json, hosts = ["bookinfo.example.com"]) => ({
  port: { number: 443, name: "https", protocol: "HTTPS" },
  hosts,
  tls,
});

const REVIEWS = service("reviews", "default", [{ name: "http", port: 9080 }]);
const routeTo = (host: string, extra: Json = {}, ns = "default") =>
  cfg(
    "VirtualService",
    `to-${host}`,
    {
      hosts: ["bookinfo.example.com"],
      gateways: ["gw"],
      http: [{ route: [{ destination: { host, port: { number: 9080 } } }] }],
      ...extra,
    },
    ns,
  );

/**
 * Compiles for `node`, then builds a snapshot: it must succeed, so every resource encodes and
 * every reference resolves. The SDS Secrets compiled must be exactly `secrets`.
 */
function build(
  objects: StoreObject[],
  node: Json = ROUTER,
  secrets: string[] = [],
): CompiledResources {
  const result = compile(storeOf(objects), node as { id: string }, WITHOUT_STATS);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  const snapshot = createSnapshot(allResources(result.value));
  if (!snapshot.ok) throw new Error(snapshot.errors.join("\n"));
  expect(result.value.secrets.map(r => r.name)).toEqual(secrets);
  return result.value;
}

// The gateway proxy's credential, in the proxy's namespace as Istio looks it up.
const PEM = selfSigned("bookinfo.example.com");
const BOOKINFO_CRED = secret(
  "bookinfo-cred",
  "istio-system",
  { "tls.crt": PEM.cert, "tls.key": PEM.key, "ca.crt": PEM.cert },
  "kubernetes.io/tls",
);

const names = (list: readonly ResourceObject[]) => list.map(r => r.name ?? r.cluster_name);
const tlsContext = (chain: Json): Json => chain.transport_socket.typed_config;
const hcmOf = (chain: Json): Json => chain.filters[0].typed_config;

describe("the bookinfo gateway", () => {
  const docs = [
    ...loadYaml(istioPath("samples/bookinfo/platform/kube/bookinfo.yaml")),
    ...loadYaml(istioPath("samples/bookinfo/networking/bookinfo-gateway.yaml")),
  ];
  const r = build(storeObjects(docs));

  it("has Istio's names: listener 0.0.0.0_8080, route http.8080, productpage's cluster", () => {
    expect(names(r.listeners)).toEqual(["0.0.0.0_8080"]);
    expect(names(r.routes)).toEqual(["http.8080"]);
    expect(names(r.clusters)).toEqual(["outbound|9080||productpage.default.svc.cluster.local"]);
    expect(names(r.endpoints)).toEqual(["outbound|9080||productpage.default.svc.cluster.local"]);
  });

  it("listens on 0.0.0.0:8080 with an HCM loading http.8080 over ADS", () => {
    const l = dec(named(r.listeners, "0.0.0.0_8080"));
    expect(l.address.socket_address).toEqual({ address: "0.0.0.0", port_value: 8080 });
    expect(l.listener_filters).toBeUndefined();
    expect(l.filter_chains).toHaveLength(1);
    expect(hcmOf(l.filter_chains[0])).toMatchObject({
      stat_prefix: "outbound_0.0.0.0_8080",
      rds: { route_config_name: "http.8080", config_source: { ads: {} } },
      use_remote_address: { value: true },
    });
  });

  it("routes the five productpage paths of the `*` host to productpage:9080", () => {
    const rc = dec(named(r.routes, "http.8080"));
    expect(rc.virtual_hosts).toHaveLength(1);
    const [vh] = rc.virtual_hosts;
    expect(vh.name).toBe("*:8080");
    expect(vh.domains).toEqual(["*"]);
    expect(vh.routes.map((x: Json) => x.match)).toEqual(
      [
        { path: "/productpage" },
        { prefix: "/static" },
        { path: "/login" },
        { path: "/logout" },
        { prefix: "/api/v1/products" },
      ].map(m => ({ ...m, case_sensitive: { value: true } })),
    );
    for (const route of vh.routes)
      expect(route.route.cluster).toBe("outbound|9080||productpage.default.svc.cluster.local");
    const cluster = dec(r.clusters[0]!);
    expect(cluster).toMatchObject({
      type: "EDS",
      eds_cluster_config: { service_name: cluster.name },
    });
  });
});

describe("Gateway servers", () => {
  it.each([
    [
      "SIMPLE with credentialName: the Secret over ADS SDS, no client certificate",
      { mode: "SIMPLE", credentialName: "bookinfo-cred" },
      ["kubernetes://bookinfo-cred"],
      (ctx: Json) => {
        expect(ctx.require_client_certificate).toEqual({ value: false });
        expect(ctx.common_tls_context.combined_validation_context).toBeUndefined();
      },
    ],
    [
      "MUTUAL: the client CA from <credentialName>-cacert, SANs checked",
      { mode: "MUTUAL", credentialName: "bookinfo-cred", subjectAltNames: ["spiffe://client"] },
      ["kubernetes://bookinfo-cred", "kubernetes://bookinfo-cred-cacert"],
      (ctx: Json) => {
        expect(ctx.require_client_certificate).toEqual({ value: true });
        expect(ctx.common_tls_context.combined_validation_context).toEqual({
          default_validation_context: { match_subject_alt_names: [{ exact: "spiffe://client" }] },
          validation_context_sds_secret_config: {
            name: "kubernetes://bookinfo-cred-cacert",
            // No zero initial_fetch_timeout, as Istio: a credential Secret that never comes must
            // not block the listener forever.
            sds_config: { ads: {}, resource_api_version: "V3" },
          },
        });
      },
    ],
    [
      "ISTIO_MUTUAL: the mesh certificate `default` and root `ROOTCA` from the agent's sds-grpc",
      { mode: "ISTIO_MUTUAL" },
      [],
      (ctx: Json) => {
        expect(ctx.require_client_certificate).toEqual({ value: true });
        const common = ctx.common_tls_context;
        expect(common.tls_certificate_sds_secret_configs.map((s: Json) => s.name)).toEqual([
          "default",
        ]);
        const root = common.combined_validation_context.validation_context_sds_secret_config;
        expect(root.name).toBe("ROOTCA");
        expect(root.sds_config.api_config_source).toMatchObject({
          api_type: "GRPC",
          grpc_services: [{ envoy_grpc: { cluster_name: "sds-grpc" } }],
        });
      },
    ],
    [
      "SIMPLE with files: file-cert via the agent, TLS 1.3 only",
      {
        mode: "SIMPLE",
        serverCertificate: "/etc/certs/cert.pem",
        privateKey: "/etc/certs/key.pem",
        minProtocolVersion: "TLSV1_3",
      },
      [],
      (ctx: Json) => {
        const common = ctx.common_tls_context;
        expect(common.tls_certificate_sds_secret_configs[0].name).toBe(
          "file-cert:/etc/certs/cert.pem~/etc/certs/key.pem",
        );
        expect(common.tls_params.tls_minimum_protocol_version).toBe("TLSv1_3");
      },
    ],
  ])("HTTPS %s", (_label, tls: Json, secrets, check) => {
    const r = build(
      [REVIEWS, BOOKINFO_CRED, gateway("gw", [httpsServer(tls)]), routeTo("reviews")],
      ROUTER,
      secrets,
    );
    expect(names(r.listeners)).toEqual(["0.0.0.0_443"]);
    const l = dec(named(r.listeners, "0.0.0.0_443"));
    expect(l.listener_filters.map((f: Json) => f.name)).toEqual([
      "envoy.filters.listener.tls_inspector",
    ]);
    const [chain] = l.filter_chains;
    expect(chain.filter_chain_match).toEqual({ server_names: ["bookinfo.example.com"] });
    expect(chain.transport_socket.name).toBe("envoy.transport_sockets.tls");
    const ctx = tlsContext(chain);
    expect(ctx["@type"]).toBe(
      "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
    );
    expect(ctx.common_tls_context.alpn_protocols).toEqual(["h2", "http/1.1"]);
    if (tls.credentialName) {
      expect(
        ctx.common_tls_context.tls_certificate_sds_secret_configs.map((s: Json) => s.name),
      ).toEqual([`kubernetes://${tls.credentialName}`]);
    }
    // No versions set: none written, as istiod (Envoy's downstream defaults, TLS 1.2 to 1.3).
    if (!tls.minProtocolVersion) expect(ctx.common_tls_context.tls_params).toBeUndefined();
    check(ctx);
    // Terminated HTTPS gets its own route config, named as Istio names it.
    const rds = "https.443.https.gw.default";
    expect(hcmOf(chain).rds.route_config_name).toBe(rds);
    const rc = dec(named(r.routes, rds));
    expect(rc.virtual_hosts.map((v: Json) => [v.name, v.domains])).toEqual([
      ["bookinfo.example.com:443", ["bookinfo.example.com"]],
    ]);
    expect(rc.virtual_hosts[0].routes[0].route.cluster).toBe(
      "outbound|9080||reviews.default.svc.cluster.local",
    );
  });

  it("a credentialName Secret the store lacks leaves the server out, not a dangling SDS name", () => {
    const r = build([
      REVIEWS,
      gateway("gw", [httpsServer({ mode: "SIMPLE", credentialName: "c" })]),
    ]);
    expect(r.listeners).toEqual([]);
    expect(r.warnings).toEqual([
      'Gateway default/gw: spec.servers[0].tls.credentialName "c": no Secret istio-system/c ' +
        "with TLS data; the server is left out",
    ]);
  });

  it("PASSTHROUGH with two SNI hosts: a chain per host, tcp_proxy to the tls route's cluster", () => {
    const objects = [
      service("a", "default", [{ name: "tls", port: 443 }]),
      service("b", "default", [{ name: "tls", port: 443 }]),
      gateway("gw", [
        {
          port: { number: 443, name: "tls", protocol: "TLS" },
          hosts: ["a.example.com", "b.example.com"],
          tls: { mode: "PASSTHROUGH" },
        },
      ]),
      cfg("VirtualService", "sni", {
        hosts: ["a.example.com", "b.example.com"],
        gateways: ["gw"],
        tls: [
          {
            match: [{ port: 443, sniHosts: ["a.example.com"] }],
            route: [{ destination: { host: "a", port: { number: 443 } } }],
          },
          {
            match: [{ sniHosts: ["b.example.com", "c.example.com"] }],
            route: [{ destination: { host: "b" } }],
          },
        ],
      }),
    ];
    const r = build(objects);
    expect(names(r.routes)).toEqual([]);
    expect(names(r.clusters)).toEqual([
      "outbound|443||a.default.svc.cluster.local",
      "outbound|443||b.default.svc.cluster.local",
    ]);
    const l = dec(named(r.listeners, "0.0.0.0_443"));
    expect(l.listener_filters[0].typed_config["@type"]).toBe(
      "type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector",
    );
    expect(
      l.filter_chains.map((c: Json) => [
        c.filter_chain_match.server_names,
        c.filters[0].name,
        c.filters[0].typed_config.cluster,
        c.transport_socket,
      ]),
    ).toEqual([
      [
        ["a.example.com"],
        "envoy.filters.network.tcp_proxy",
        "outbound|443||a.default.svc.cluster.local",
        undefined,
      ],
      [
        ["b.example.com"],
        "envoy.filters.network.tcp_proxy",
        "outbound|443||b.default.svc.cluster.local",
        undefined,
      ],
    ]);
  });

  it("TCP: tcp_proxy to the bound tcp route, weighted when split", () => {
    const objects = [
      service("mongo", "default", [{ name: "mongo", port: 27017 }]),
      cfg("DestinationRule", "mongo", {
        host: "mongo",
        subsets: [
          { name: "v1", labels: { version: "v1" } },
          { name: "v2", labels: { version: "v2" } },
        ],
      }),
      gateway("gw", [{ port: { number: 31400, name: "tcp", protocol: "TCP" }, hosts: ["*"] }]),
      cfg("VirtualService", "mongo", {
        hosts: ["*"],
        gateways: ["gw"],
        tcp: [
          { match: [{ port: 9999 }], route: [{ destination: { host: "mongo" } }] },
          {
            match: [{ port: 31400 }],
            route: [
              { destination: { host: "mongo", subset: "v1" }, weight: 75 },
              { destination: { host: "mongo", subset: "v2" }, weight: 25 },
            ],
          },
        ],
      }),
    ];
    const r = build(objects);
    const l = dec(named(r.listeners, "0.0.0.0_31400"));
    expect(l.listener_filters).toBeUndefined();
    expect(l.filter_chains).toHaveLength(1);
    const proxy = l.filter_chains[0].filters[0].typed_config;
    expect(proxy.weighted_clusters.clusters).toEqual([
      { name: "outbound|27017|v1|mongo.default.svc.cluster.local", weight: 75 },
      { name: "outbound|27017|v2|mongo.default.svc.cluster.local", weight: 25 },
    ]);
    expect(names(r.clusters)).toEqual([
      "outbound|27017|v1|mongo.default.svc.cluster.local",
      "outbound|27017|v2|mongo.default.svc.cluster.local",
    ]);
    expect(names(r.routes)).toEqual([]);
  });

  it("TCP without a bound tcp route has no listener (Envoy rejects one without chains)", () => {
    const r = build([
      gateway("gw", [{ port: { number: 31400, name: "tcp", protocol: "TCP" }, hosts: ["*"] }]),
    ]);
    expect(r.listeners).toEqual([]);
  });

  it("httpsRedirect: every host of the server requires TLS, with or without a VirtualService", () => {
    const r = build([
      REVIEWS,
      gateway("gw", [
        {
          port: { number: 80, name: "http", protocol: "HTTP" },
          hosts: ["bookinfo.example.com", "other.example.com"],
          tls: { httpsRedirect: true },
        },
      ]),
      routeTo("reviews"),
    ]);
    const l = dec(named(r.listeners, "0.0.0.0_80"));
    expect(l.filter_chains[0].transport_socket).toBeUndefined();
    const rc = dec(named(r.routes, "http.80"));
    expect(
      rc.virtual_hosts.map((v: Json) => [v.name, v.require_tls, (v.routes ?? []).length]),
    ).toEqual([
      ["bookinfo.example.com:80", "ALL", 1],
      ["other.example.com:80", "ALL", 0],
    ]);
  });

  it("HTTP servers on one port from two Gateways share http.<port>; a TCP server there is dropped", () => {
    const r = build([
      REVIEWS,
      gateway("gw", [
        { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["bookinfo.example.com"] },
      ]),
      gateway("gw2", [
        { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] },
        { port: { number: 80, name: "tcp", protocol: "TCP" }, hosts: ["*"] },
      ]),
      routeTo("reviews"),
      routeTo("ratings", { hosts: ["*"], gateways: ["gw2"] }),
    ]);
    expect(names(r.listeners)).toEqual(["0.0.0.0_80"]);
    expect(dec(r.listeners[0]!).filter_chains).toHaveLength(1);
    const rc = dec(named(r.routes, "http.80"));
    expect(rc.virtual_hosts.map((v: Json) => [v.name, v.routes[0].route.cluster])).toEqual([
      ["*:80", "outbound|9080||ratings.default.svc.cluster.local"],
      ["bookinfo.example.com:80", "outbound|9080||reviews.default.svc.cluster.local"],
    ]);
  });

  it("hosts are intersected: a `*` VirtualService on a named server, a wildcard server host", () => {
    const r = build([
      REVIEWS,
      gateway("gw", [
        {
          port: { number: 80, name: "http", protocol: "HTTP" },
          hosts: ["uk.bookinfo.com", "*.example.com"],
        },
      ]),
      routeTo("reviews", { hosts: ["*"] }),
      routeTo("ratings", { hosts: ["a.example.com", "nope.org"] }),
    ]);
    const rc = dec(named(r.routes, "http.80"));
    // The `*` VirtualService's two hosts carry the same routes: one virtual host, named by the
    // more specific host (istiod's route collapse).
    expect(rc.virtual_hosts.map((v: Json) => [v.name, v.domains])).toEqual([
      ["a.example.com:80", ["a.example.com"]],
      ["uk.bookinfo.com:80", ["uk.bookinfo.com", "*.example.com"]],
    ]);
  });

  it("route matches on `gateways` keep only the routes for this Gateway", () => {
    const r = build([
      REVIEWS,
      gateway("gw", [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }]),
      routeTo("reviews", {
        hosts: ["*"],
        gateways: ["gw", "mesh"],
        http: [
          { match: [{ gateways: ["mesh"] }], route: [{ destination: { host: "ratings" } }] },
          {
            match: [{ gateways: ["default/gw"], uri: { prefix: "/r" } }],
            route: [{ destination: { host: "reviews" } }],
          },
        ],
      }),
    ]);
    const rc = dec(named(r.routes, "http.80"));
    expect(rc.virtual_hosts[0].routes.map((x: Json) => [x.match.prefix, x.route.cluster])).toEqual([
      ["/r", "outbound|9080||reviews.default.svc.cluster.local"],
    ]);
  });

  it("no VirtualService bound: a blackhole virtual host, so every request gets 404", () => {
    const r = build([
      gateway("gw", [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }]),
    ]);
    const rc = dec(named(r.routes, "http.80"));
    expect(rc.virtual_hosts).toEqual([{ name: "blackhole:80", domains: ["*"] }]);
    expect(r.clusters).toEqual([]);
  });
});

describe("binding and selection", () => {
  const gw = gateway(
    "public-gw",
    [
      {
        port: { number: 80, name: "http", protocol: "HTTP" },
        hosts: ["bookinfo/bookinfo.example.com", "*/any.example.com"],
      },
    ],
    "istio-system",
  );
  const bookinfoReviews = service("reviews", "bookinfo", [{ name: "http", port: 9080 }]);

  it("a VirtualService in another namespace binds with `namespace/name`; its short hosts are its own", () => {
    const r = build([
      gw,
      bookinfoReviews,
      cfg(
        "VirtualService",
        "reviews",
        {
          hosts: ["bookinfo.example.com", "any.example.com"],
          gateways: ["istio-system/public-gw"],
          http: [{ route: [{ destination: { host: "reviews" } }] }],
        },
        "bookinfo",
      ),
    ]);
    const rc = dec(named(r.routes, "http.80"));
    expect(
      rc.virtual_hosts.map((v: Json) => [v.name, v.domains, v.routes[0].route.cluster]),
    ).toEqual([
      [
        "bookinfo.example.com:80",
        ["bookinfo.example.com", "any.example.com"],
        "outbound|9080||reviews.bookinfo.svc.cluster.local",
      ],
    ]);
    expect(names(r.clusters)).toEqual(["outbound|9080||reviews.bookinfo.svc.cluster.local"]);
  });

  it.each([
    ["a short gateway name is in the VirtualService's namespace", "bookinfo", ["public-gw"], []],
    [
      "the server host `bookinfo/` admits no other namespace",
      "other",
      ["istio-system/public-gw"],
      ["any.example.com:80"],
    ],
    ["`mesh` alone binds no gateway", "bookinfo", ["mesh"], []],
    [
      "the legacy FQDN form names the Gateway",
      "bookinfo",
      ["public-gw.istio-system.svc.cluster.local"],
      ["bookinfo.example.com:80"],
    ],
  ])("%s", (_label, ns, gateways, want) => {
    const r = build([
      gw,
      bookinfoReviews,
      cfg(
        "VirtualService",
        "reviews",
        {
          hosts: ["bookinfo.example.com", "any.example.com"],
          gateways,
          http: [{ route: [{ destination: { host: "reviews.bookinfo.svc.cluster.local" } }] }],
        },
        ns,
      ),
    ]);
    const hosts = dec(named(r.routes, "http.80")).virtual_hosts.map((v: Json) => v.name);
    expect(hosts).toEqual(want.length > 0 ? want : ["blackhole:80"]);
  });

  it("a Gateway whose selector matches no proxy configures nothing, on gateways or sidecars", () => {
    const objects = [
      REVIEWS,
      gateway(
        "gw",
        [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
        "default",
        {
          istio: "nobody",
        },
      ),
      routeTo("reviews", { hosts: ["*"] }),
    ];
    const r = build(objects);
    expect(r).toEqual({
      listeners: [],
      routes: [],
      clusters: [],
      endpoints: [],
      secrets: [],
      warnings: [],
    });
    const sidecar = build(
      objects,
      sidecarNode("10.1.2.4", "app-abc", "default", { istio: "nobody" }),
    );
    expect(names(sidecar.listeners)).not.toContain("0.0.0.0_80");
  });

  it("a Gateway in any namespace selects the proxy (PILOT_SCOPE_GATEWAY_TO_NAMESPACE off)", () => {
    const r = build([
      gateway(
        "far",
        [{ port: { number: 8443, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
        "far-away",
      ),
    ]);
    expect(names(r.listeners)).toEqual(["0.0.0.0_8443"]);
  });
});

describe("Istio's config corpus for gateway proxies", () => {
  const CONFIG_DIR = istioPath("tests/testdata/config");
  const BOOKINFO = loadYaml(istioPath("samples/bookinfo/platform/kube/bookinfo.yaml"));
  const withGateways = readdirSync(CONFIG_DIR)
    .filter(f => f.endsWith(".yaml"))
    .filter(f => /^kind: Gateway$/m.test(readFileSync(`${CONFIG_DIR}/${f}`, "utf8")));
  const routers = [
    routerNode({ istio: "ingressgateway" }),
    routerNode({ istio: "egressgateway" }),
    routerNode({ istio: "ingress" }),
    routerNode({ app: "my-gateway-controller" }, "testns"),
  ];
  const listenersOf = (files: string[]) => {
    const store = storeOf(
      storeObjects([...BOOKINFO, ...files.flatMap(f => loadYaml(`${CONFIG_DIR}/${f}`))]),
    );
    return routers.map(node => {
      const result = compile(store, node, WITHOUT_STATS);
      if (!result.ok) throw new Error(result.errors.join("\n"));
      const snapshot = createSnapshot(allResources(result.value));
      if (!snapshot.ok) throw new Error(snapshot.errors.join("\n"));
      return names(result.value.listeners);
    });
  };

  it("finds the files that declare Gateways", () => {
    expect(withGateways).toEqual([
      "egressgateway.yaml",
      "gateway-all.yaml",
      "gateway-tcp-a.yaml",
      "ingress.yaml",
      "ingressgateway.yaml",
      "se-example-gw.yaml",
    ]);
  });

  it.each([
    // [file, listeners for ingressgateway, egressgateway, ingress, my-gateway-controller]
    ["egressgateway.yaml", [[], ["0.0.0.0_80", "0.0.0.0_443"], [], []]],
    ["gateway-all.yaml", [[], [], [], ["0.0.0.0_80", "0.0.0.0_443"]]],
    // A TCP server without a bound tcp route yields no listener.
    ["gateway-tcp-a.yaml", [[], [], [], []]],
    ["ingress.yaml", [[], [], ["0.0.0.0_80", "0.0.0.0_443"], []]],
    ["ingressgateway.yaml", [["0.0.0.0_80", "0.0.0.0_443"], [], [], []]],
    ["se-example-gw.yaml", [[], ["0.0.0.0_80"], [], []]],
  ])("tests/testdata/config/%s compiles for each gateway proxy", (file, want) => {
    expect(listenersOf([file])).toEqual(want);
  });

  it("the whole corpus at once", () => {
    const all = readdirSync(CONFIG_DIR).filter(f => f.endsWith(".yaml"));
    const [ingress] = listenersOf(all);
    expect(ingress).toEqual(expect.arrayContaining(["0.0.0.0_80", "0.0.0.0_443"]));
  });
});

describe("virtual hosts with the same routes share one (istiod's route collapse)", () => {
  const server = (hosts: string[], extra: Json = {}) => ({
    port: { number: 80, name: "http", protocol: "HTTP" },
    hosts,
    ...extra,
  });
  const vs = (name: string, hosts: string[], prefix: string, gateways = ["gw"]) =>
    cfg("VirtualService", name, {
      hosts,
      gateways,
      http: [
        {
          match: [{ uri: { prefix } }],
          route: [{ destination: { host: "reviews", port: { number: 9080 } } }],
        },
      ],
    });
  const vhosts = (r: CompiledResources) =>
    dec(named(r.routes, "http.80")).virtual_hosts.map((v: Json) => [
      v.name,
      v.domains,
      (v.routes ?? []).map((x: Json) => x.match.prefix),
    ]);

  it("hosts given the same VirtualServices in the same order collapse; the routes are sent once", () => {
    const hosts = ["c.example.com", "a.example.com", "bb.example.com"];
    const r = build([
      REVIEWS,
      gateway("gw", [server(hosts)]),
      vs("first", hosts, "/one"),
      vs("second", hosts, "/two"),
    ]);
    expect(vhosts(r)).toEqual([
      ["bb.example.com:80", ["bb.example.com", "a.example.com", "c.example.com"], ["/one", "/two"]],
    ]);
  });

  it("a host with another VirtualService keeps its own", () => {
    const r = build([
      REVIEWS,
      gateway("gw", [server(["a.example.com", "b.example.com", "c.example.com"])]),
      vs("first", ["a.example.com", "b.example.com", "c.example.com"], "/one"),
      vs("extra", ["c.example.com"], "/extra"),
    ]);
    expect(vhosts(r)).toEqual([
      ["a.example.com:80", ["a.example.com", "b.example.com"], ["/one"]],
      // Same age: VirtualServices by name, so `extra`'s routes come first.
      ["c.example.com:80", ["c.example.com"], ["/extra", "/one"]],
    ]);
  });

  it("the same VirtualService bound through two Gateways is two sets of routes", () => {
    const r = build([
      REVIEWS,
      gateway("gw", [server(["a.example.com"])]),
      gateway("gw2", [server(["b.example.com"])]),
      vs("both", ["a.example.com", "b.example.com"], "/one", ["gw", "gw2"]),
    ]);
    expect(vhosts(r)).toEqual([
      ["a.example.com:80", ["a.example.com"], ["/one"]],
      ["b.example.com:80", ["b.example.com"], ["/one"]],
    ]);
  });

  it("a redirecting host never shares with a host that serves plaintext", () => {
    const r = build([
      REVIEWS,
      gateway("gw", [server(["a.example.com"], { tls: { httpsRedirect: true } })]),
      gateway("gw2", [server(["b.example.com", "c.example.com"])]),
      vs("a", ["a.example.com"], "/one"),
      vs("bc", ["b.example.com", "c.example.com"], "/one", ["gw2"]),
    ]);
    const rc = dec(named(r.routes, "http.80"));
    expect(rc.virtual_hosts.map((v: Json) => [v.name, v.domains, v.require_tls])).toEqual([
      ["a.example.com:80", ["a.example.com"], "ALL"],
      ["b.example.com:80", ["b.example.com", "c.example.com"], undefined],
    ]);
  });
});
