/**
 * What Istio's MeshConfig (`MeshOptions`) changes in compiled resources, one table per field,
 * each with the default (or the field's opposite) beside it: `extensionProviders` for CUSTOM
 * AuthorizationPolicies on sidecars and gateways, the policies gateways enforce,
 * `trustDomain`/`trustDomainAliases`, `enableAutoMtls`, `localityLbSetting`,
 * `outboundTrafficPolicy` and `rootNamespace`. Every build passes the snapshot check (encoder
 * and references); resources are asserted as decoded from their bytes.
 */
import { storeOf, type StoreObject } from "../../../mesh/store";
import { compile, type CompiledResources, type MeshOptions } from "../../../xds/compile";
import {
  checkedSnapshot,
  decoded,
  grpcNode,
  named,
  sidecarNode,
  istioObject,
  WITHOUT_STATS,
} from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const F = {
  jwt: "envoy.filters.http.jwt_authn",
  rbac: "envoy.filters.http.rbac",
  extAuthz: "envoy.filters.http.ext_authz",
  fault: "envoy.filters.http.fault",
  cors: "envoy.filters.http.cors",
  router: "envoy.filters.http.router",
  netRbac: "envoy.filters.network.rbac",
  netExtAuthz: "envoy.filters.network.ext_authz",
  tcpProxy: "envoy.filters.network.tcp_proxy",
  hcm: "envoy.filters.network.http_connection_manager",
};

const cfg = istioObject;

function service(name: string, namespace: string, ports: Json[], selector?: Json): StoreObject {
  return {
    kind: "Service",
    metadata: { name, namespace },
    spec: { clusterIP: "10.96.0.30", ...(selector ? { selector } : {}), ports },
  } as unknown as StoreObject;
}

/** Compiles for `node` with `mesh`; the snapshot (encoder and reference check) must build. */
function build(objects: StoreObject[], node: object, mesh: MeshOptions = {}): CompiledResources {
  const r = compile(storeOf(objects), node as Parameters<typeof compile>[1], {
    ...WITHOUT_STATS,
    ...mesh,
  });
  if (!r.ok) throw new Error(r.errors.join("\n"));
  checkedSnapshot(r.value);
  return r.value;
}

const listener = (r: CompiledResources, name: string): Json => decoded(named(r.listeners, name));
const cluster = (r: CompiledResources, name: string): Json => decoded(named(r.clusters, name));
const clusterNames = (r: CompiledResources) => r.clusters.map(c => c.name);
const filterNames = (filters: Json[]) => filters.map(f => f.name as string);
const hcmFilters = (chain: Json): Json[] =>
  (chain.filters as Json[]).find(f => f.name === F.hcm)!.typed_config.http_filters;

// ---------------------------------------------------------------------------------------------
// The workload: service web (HTTP 80 → 8080, TCP 5432) selecting `app: web`, a sidecar web-0.

const WEB = service(
  "web",
  "default",
  [
    { name: "http", port: 80, targetPort: 8080 },
    { name: "tcp-db", port: 5432 },
  ],
  { app: "web" },
);
const WEB_SIDECAR = sidecarNode("10.0.0.5", "web-0", "default", { app: "web" });

/** virtualInbound's chains for `name` (`0.0.0.0_8080`, `0.0.0.0_5432`, …). */
const inboundChains = (r: CompiledResources, name: string): Json[] =>
  (listener(r, "virtualInbound").filter_chains as Json[]).filter(c => c.name === name);
const inboundHttpFilters = (r: CompiledResources) =>
  hcmFilters(inboundChains(r, "0.0.0.0_8080")[0]!);

// ---------------------------------------------------------------------------------------------
// extensionProviders: the authorizer runs in namespace `authz`, not the workload's.

const AUTHZ_HOST = "ext-authz.authz.svc.cluster.local";
const AUTHZ = service("ext-authz", "authz", [
  { name: "grpc", port: 9000 },
  { name: "http", port: 8000 },
]);
const GRPC_CLUSTER = `outbound|9000||${AUTHZ_HOST}`;
const HTTP_CLUSTER = `outbound|8000||${AUTHZ_HOST}`;
const PROVIDERS: MeshOptions["extensionProviders"] = [
  { name: "grpc-authz", envoyExtAuthzGrpc: { service: AUTHZ_HOST, port: 9000 } },
  {
    name: "http-authz",
    envoyExtAuthzHttp: { service: `authz/${AUTHZ_HOST}`, port: 8000, pathPrefix: "/check" },
  },
];

const custom = (provider: string, name = "ext", namespace = "default", selector?: Json) =>
  cfg("AuthorizationPolicy", name, namespace, {
    ...(selector ? { selector: { matchLabels: selector } } : {}),
    action: "CUSTOM",
    provider: { name: provider },
    rules: [{ to: [{ operation: { paths: ["/admin"] } }] }],
  });

const filterEnabled = (rbacFilter: string, provider: string) => ({
  filter: rbacFilter,
  path: [{ key: "istio_ext_authz_shadow_effective_policy_id" }],
  value: { string_match: { prefix: `istio-ext-authz-${provider}` } },
});

describe("extensionProviders: CUSTOM policies on a sidecar's inbound chains", () => {
  const opts = { extensionProviders: PROVIDERS };

  it.each([
    [
      "gRPC provider: the authorizer's cluster as envoy_grpc, HTTP and TCP chains",
      "grpc-authz",
      GRPC_CLUSTER,
      (ext: Json) =>
        expect(ext.grpc_service).toEqual({
          envoy_grpc: { cluster_name: GRPC_CLUSTER, authority: AUTHZ_HOST },
          timeout: { seconds: "600" },
        }),
      [F.netRbac, F.netExtAuthz, F.tcpProxy],
    ],
    [
      "HTTP provider (`<ns>/<host>`): server_uri; TCP chains have nothing to ask it",
      "http-authz",
      HTTP_CLUSTER,
      (ext: Json) =>
        expect(ext.http_service).toEqual({
          path_prefix: "/check",
          server_uri: {
            uri: `http://${AUTHZ_HOST}`,
            cluster: HTTP_CLUSTER,
            timeout: { seconds: "600" },
          },
        }),
      [F.tcpProxy],
    ],
  ])("%s", (_, provider, authzCluster, checkService, tcpFilters) => {
    const r = build([WEB, AUTHZ, custom(provider)], WEB_SIDECAR, opts);
    expect(r.warnings).toEqual([]);
    const http = inboundHttpFilters(r);
    expect(filterNames(http)).toEqual([F.rbac, F.extAuthz, F.fault, F.cors, F.router]);
    // The RBAC filter only evaluates (shadow), leaving the policy id for ext_authz's gate.
    const rbac = http[0]!.typed_config;
    expect(rbac.rules).toBeUndefined();
    expect(rbac.shadow_rules_stat_prefix).toBe("istio_ext_authz_");
    expect(Object.keys(rbac.shadow_rules.policies)).toEqual([
      `istio-ext-authz-${provider}-ns[default]-policy[ext]-rule[0]`,
    ]);
    const ext = http[1]!.typed_config;
    expect(ext.filter_enabled_metadata).toEqual(filterEnabled(F.rbac, provider));
    checkService(ext);
    // The authorizer's cluster is one the sidecar has.
    expect(clusterNames(r)).toContain(authzCluster);
    for (const chain of inboundChains(r, "0.0.0.0_5432"))
      expect(filterNames(chain.filters)).toEqual(tcpFilters);
  });

  it("the gRPC provider's network ext_authz asks only for its own policies", () => {
    const r = build([WEB, AUTHZ, custom("grpc-authz")], WEB_SIDECAR, opts);
    const [rbac, ext] = inboundChains(r, "0.0.0.0_5432")[0]!.filters as Json[];
    expect(Object.keys(rbac!.typed_config.shadow_rules.policies)).toEqual([
      "istio-ext-authz-grpc-authz-ns[default]-policy[ext]-rule[0]",
    ]);
    expect(ext!.typed_config).toMatchObject({
      stat_prefix: "tcp.",
      grpc_service: { envoy_grpc: { cluster_name: GRPC_CLUSTER } },
      filter_enabled_metadata: filterEnabled(F.netRbac, "grpc-authz"),
    });
  });

  it("a workload no CUSTOM policy selects gets no ext_authz", () => {
    const r = build(
      [WEB, AUTHZ, custom("grpc-authz", "ext", "default", { app: "other" })],
      WEB_SIDECAR,
      opts,
    );
    expect(filterNames(inboundHttpFilters(r))).toEqual([F.fault, F.cors, F.router]);
    expect(r.warnings).toEqual([]);
  });

  /** The deny-all filter a broken CUSTOM setup leaves, and the warnings. */
  function failsClosed(objects: StoreObject[], mesh: MeshOptions) {
    const r = build([WEB, AUTHZ, ...objects], WEB_SIDECAR, mesh);
    const http = inboundHttpFilters(r);
    expect(filterNames(http)).not.toContain(F.extAuthz);
    const denies = http.filter(f => f.name === F.rbac).map(f => f.typed_config.rules);
    for (const d of denies) expect(d.action).toBe("DENY");
    for (const chain of inboundChains(r, "0.0.0.0_5432"))
      expect(filterNames(chain.filters)).not.toContain(F.netExtAuthz);
    return { denies: denies.map(d => Object.keys(d.policies)), warnings: r.warnings };
  }

  it.each([
    [
      "the provider's service is not in the registry",
      [custom("gone")],
      [
        ...PROVIDERS!,
        {
          name: "gone",
          envoyExtAuthzGrpc: { service: "missing.authz.svc.cluster.local", port: 9 },
        },
      ],
      [
        'AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "gone": could not find service missing.authz.svc.cluster.local in the service registry; its rules deny',
      ],
    ],
    [
      "`<ns>/<host>` names a namespace the host is not in",
      [custom("wrong-ns")],
      [{ name: "wrong-ns", envoyExtAuthzGrpc: { service: `default/${AUTHZ_HOST}`, port: 9000 } }],
      [
        `AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "wrong-ns": could not find service default/${AUTHZ_HOST} in the service registry; its rules deny`,
      ],
    ],
    [
      "the provider's service has no such port",
      [custom("bad-port")],
      [{ name: "bad-port", envoyExtAuthzGrpc: { service: AUTHZ_HOST, port: 9999 } }],
      [
        `AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "bad-port": service ${AUTHZ_HOST} has no port 9999 (it has 9000, 8000); its rules deny`,
      ],
    ],
    [
      "a Sidecar's egress hides the provider's service from the workload",
      [
        custom("grpc-authz"),
        cfg("Sidecar", "default", "default", { egress: [{ hosts: ["./*"] }] }),
      ],
      PROVIDERS,
      [
        `AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "grpc-authz": service ${AUTHZ_HOST} is not visible to this proxy (Sidecar egress or exportTo); its rules deny`,
      ],
    ],
    [
      "the provider name is not declared: the warning lists the declared ones",
      [custom("nope")],
      PROVIDERS,
      [
        'AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "nope": available providers are [grpc-authz, http-authz] but found "nope"; its rules deny',
      ],
    ],
    [
      "no extensionProviders at all (the default mesh)",
      [custom("grpc-authz")],
      undefined,
      [
        'AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "grpc-authz": available providers are [] but found "grpc-authz"; its rules deny',
      ],
    ],
  ])("%s: the rules deny, and the warning names the policy", (_, objects, providers, warnings) => {
    const got = failsClosed(objects, { extensionProviders: providers });
    expect(got.warnings).toEqual(warnings);
    expect(got.denies).toEqual([
      [
        `istio-ext-authz-${(objects[0] as Json).spec.provider.name}-ns[default]-policy[ext]-rule[0]-deny-due-to-bad-CUSTOM-action`,
      ],
    ]);
  });

  it("a hostname in two namespaces must be given as <ns>/<host>", () => {
    const twin = cfg("ServiceEntry", "ext-authz", "other", {
      hosts: [AUTHZ_HOST],
      ports: [{ number: 9000, name: "grpc", protocol: "GRPC" }],
      resolution: "DNS",
    });
    const got = failsClosed([twin, custom("grpc-authz")], opts);
    expect(got.warnings).toEqual([
      `AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "grpc-authz": found ${AUTHZ_HOST} in multiple namespaces authz, other, specify the namespace explicitly in the format of <Namespace>/<Hostname>; its rules deny`,
    ]);
  });

  it("two CUSTOM providers on one workload: every CUSTOM rule denies, once reported", () => {
    const got = failsClosed([custom("grpc-authz", "ext-a"), custom("http-authz", "ext-b")], opts);
    expect(got.warnings).toEqual([
      "AuthorizationPolicy default/ext-a, AuthorizationPolicy default/ext-b: spec.provider.name: CUSTOM AuthorizationPolicies on one workload use 2 providers (grpc-authz, http-authz); one per workload is supported, so their rules deny",
    ]);
    expect(got.denies).toEqual([
      [
        "istio-ext-authz-grpc-authz-ns[default]-policy[ext-a]-rule[0]-deny-due-to-bad-CUSTOM-action",
      ],
      [
        "istio-ext-authz-http-authz-ns[default]-policy[ext-b]-rule[0]-deny-due-to-bad-CUSTOM-action",
      ],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Gateways enforce the policies that select them.

const GW_SELECTOR = { istio: "ingressgateway" };
/** A gateway proxy in `ns`, named as Istio's ingress gateway pods are. */
const routerIn = (ns: string) => ({
  id: `router~10.1.2.3~ingressgateway-xyz.${ns}~${ns}.svc.cluster.local`,
  metadata: { NAMESPACE: ns, LABELS: GW_SELECTOR },
});
const ROUTER = routerIn("istio-system");
const WEB_HOST = "web.default.svc.cluster.local";

/** Gateway gw with a server of every kind, and the VirtualService bound to all of them. */
const GATEWAY = [
  cfg("Gateway", "gw", "default", {
    selector: GW_SELECTOR,
    servers: [
      { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] },
      {
        port: { number: 443, name: "https", protocol: "HTTPS" },
        hosts: ["*"],
        tls: { mode: "ISTIO_MUTUAL" },
      },
      {
        port: { number: 8443, name: "tls-pass", protocol: "TLS" },
        hosts: ["secure.example.com"],
        tls: { mode: "PASSTHROUGH" },
      },
      {
        port: { number: 9443, name: "tls-term", protocol: "TLS" },
        hosts: ["*"],
        tls: { mode: "ISTIO_MUTUAL" },
      },
      { port: { number: 31400, name: "tcp", protocol: "TCP" }, hosts: ["*"] },
    ],
  }),
  cfg("VirtualService", "web", "default", {
    hosts: ["*"],
    gateways: ["gw"],
    http: [{ route: [{ destination: { host: "web", port: { number: 80 } } }] }],
    tls: [
      {
        match: [{ sniHosts: ["secure.example.com"] }],
        route: [{ destination: { host: "web", port: { number: 5432 } } }],
      },
    ],
    tcp: [{ route: [{ destination: { host: "web", port: { number: 5432 } } }] }],
  }),
];

/** Each gateway listener's chains: HTTP ones by their HCM filters, the others by theirs. */
function gatewayFilters(r: CompiledResources): Record<string, string[][]> {
  const out: Record<string, string[][]> = {};
  for (const l of r.listeners) {
    const chains = listener(r, String(l.name)).filter_chains as Json[];
    out[String(l.name)] = chains.map(c =>
      c.filters.some((f: Json) => f.name === F.hcm)
        ? filterNames(hcmFilters(c))
        : filterNames(c.filters),
    );
  }
  return out;
}

const HTTP_TAIL = [F.fault, F.cors, F.router];
const gatewayWith = (http: string[], tcp: string[]) => ({
  "0.0.0.0_80": [[...http, ...HTTP_TAIL]],
  "0.0.0.0_443": [[...http, ...HTTP_TAIL]],
  "0.0.0.0_8443": [[...tcp, F.tcpProxy]],
  "0.0.0.0_9443": [[...tcp, F.tcpProxy]],
  "0.0.0.0_31400": [[...tcp, F.tcpProxy]],
});

const ISSUER = "https://issuer.example";
const JWKS = JSON.stringify({ keys: [{ kty: "EC", crv: "P-256", x: "x0", y: "y0", kid: "k1" }] });
const jwks: MeshOptions["jwks"] = issuer => (issuer === ISSUER ? JWKS : undefined);
const gatewayJwt = (namespace = "istio-system", selector: Json | undefined = GW_SELECTOR) =>
  cfg("RequestAuthentication", "jwt", namespace, {
    ...(selector ? { selector: { matchLabels: selector } } : {}),
    jwtRules: [{ issuer: ISSUER, jwksUri: `${ISSUER}/jwks` }],
  });
const denyUntrusted = (namespace = "istio-system", selector: Json | undefined = GW_SELECTOR) =>
  cfg("AuthorizationPolicy", "deny", namespace, {
    ...(selector ? { selector: { matchLabels: selector } } : {}),
    action: "DENY",
    rules: [{ from: [{ source: { notIpBlocks: ["10.0.0.0/8"] } }] }],
  });

describe("gateways enforce AuthorizationPolicy and RequestAuthentication", () => {
  it.each([
    ["nothing selects the gateway", [], gatewayWith([], [])],
    [
      "jwt_authn then RBAC before routing; network RBAC before tcp_proxy",
      [gatewayJwt(), denyUntrusted()],
      gatewayWith([F.jwt, F.rbac], [F.netRbac]),
    ],
    [
      "CUSTOM gRPC provider: shadow RBAC and ext_authz first, on every kind of chain",
      [custom("grpc-authz", "ext", "istio-system", GW_SELECTOR), denyUntrusted()],
      gatewayWith([F.rbac, F.extAuthz, F.rbac], [F.netRbac, F.netExtAuthz, F.netRbac]),
    ],
    [
      "mesh-wide policies (root namespace, no selector) reach the gateway",
      [gatewayJwt("istio-system", undefined), denyUntrusted("istio-system", undefined)],
      gatewayWith([F.jwt, F.rbac], [F.netRbac]),
    ],
    [
      "policies selecting other workloads do not",
      [gatewayJwt("istio-system", { app: "web" }), denyUntrusted("istio-system", { app: "web" })],
      gatewayWith([], []),
    ],
    [
      "policies in the routes' namespace (not the gateway's, not root) do not",
      [gatewayJwt("default", undefined), denyUntrusted("default", undefined)],
      gatewayWith([], []),
    ],
  ])("%s", (_, policies, want) => {
    const r = build([WEB, AUTHZ, ...GATEWAY, ...(policies as StoreObject[])], ROUTER, {
      extensionProviders: PROVIDERS,
      jwks,
    });
    expect(gatewayFilters(r)).toEqual(want);
    expect(r.warnings).toEqual([]);
  });

  it.each([
    ["gRPC (envoy_grpc.cluster_name)", "grpc-authz", GRPC_CLUSTER],
    ["HTTP (server_uri.cluster)", "http-authz", HTTP_CLUSTER],
  ])("a CUSTOM %s provider's cluster is in the gateway's CDS and EDS", (_, provider, want) => {
    const objects = [WEB, AUTHZ, ...GATEWAY];
    const without = build(objects, ROUTER, { extensionProviders: PROVIDERS });
    expect(clusterNames(without)).toEqual([
      `outbound|80||${WEB_HOST}`,
      `outbound|5432||${WEB_HOST}`,
    ]);
    const r = build([...objects, custom(provider, "ext", "istio-system", GW_SELECTOR)], ROUTER, {
      extensionProviders: PROVIDERS,
    });
    expect(clusterNames(r)).toContain(want);
    expect(r.endpoints.map(e => e.cluster_name)).toContain(want);
    const ext = hcmFilters(listener(r, "0.0.0.0_80").filter_chains[0]).find(
      f => f.name === F.extAuthz,
    )!;
    expect(JSON.stringify(ext.typed_config)).toContain(want);
  });

  it("the builders' notes are the gateway's warnings; a bad provider denies there too", () => {
    const r = build(
      [WEB, AUTHZ, ...GATEWAY, custom("nope", "ext", "istio-system", GW_SELECTOR)],
      ROUTER,
      { extensionProviders: PROVIDERS },
    );
    expect(r.warnings).toEqual([
      'AuthorizationPolicy istio-system/ext: spec.provider.name: CUSTOM provider "nope": available providers are [grpc-authz, http-authz] but found "nope"; its rules deny',
    ]);
    expect(gatewayFilters(r)).toEqual(gatewayWith([F.rbac], [F.netRbac]));
    const rbac = hcmFilters(listener(r, "0.0.0.0_80").filter_chains[0])[0]!;
    expect(rbac.typed_config.rules.action).toBe("DENY");
  });
});

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
