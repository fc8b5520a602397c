/**
 * The world of the MeshConfig, ext_authz and gateway authorization tests: service web with a
 * sidecar, service echo with a meshed pod and its clients, an external authorizer in namespace
 * `authz` declared as `extensionProviders`, CUSTOM policies, the trust-domain cases, and gateway
 * gw with a server of every kind, compiled (without the stats filter) through the snapshot check
 * and read back as decoded filter names.
 */
import { storeOf, type StoreObject } from "../../../mesh/store";
import { compile, type CompiledResources, type MeshOptions } from "../../../xds/compile";
import {
  checkedSnapshot,
  decoded,
  named,
  sidecarNode,
  istioObject,
  WITHOUT_STATS,
  grpcNode,
} from "./fixtures";
import { MESHED } from "./grpc-echo";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
export type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

export const F = {
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

export const cfg = istioObject;

export function service(
  name: string,
  namespace: string,
  ports: Json[],
  selector?: Json,
): StoreObject {
  return {
    kind: "Service",
    metadata: { name, namespace },
    spec: { clusterIP: "10.96.0.30", ...(selector ? { selector } : {}), ports },
  } as unknown as StoreObject;
}

/** Compiles for `node` with `mesh`; the snapshot (encoder and reference check) must build. */
export function build(
  objects: StoreObject[],
  node: object,
  mesh: MeshOptions = {},
): CompiledResources {
  const r = compile(storeOf(objects), node as Parameters<typeof compile>[1], {
    ...WITHOUT_STATS,
    ...mesh,
  });
  if (!r.ok) throw new Error(r.errors.join("\n"));
  checkedSnapshot(r.value);
  return r.value;
}

export const listener = (r: CompiledResources, name: string): Json =>
  decoded(named(r.listeners, name));
export const cluster = (r: CompiledResources, name: string): Json =>
  decoded(named(r.clusters, name));
export const clusterNames = (r: CompiledResources) => r.clusters.map(c => c.name);
export const filterNames = (filters: Json[]) => filters.map(f => f.name as string);
export const hcmFilters = (chain: Json): Json[] =>
  (chain.filters as Json[]).find(f => f.name === F.hcm)!.typed_config.http_filters;

// ---------------------------------------------------------------------------------------------
// The workload: service web (HTTP 80 → 8080, TCP 5432) selecting `app: web`, a sidecar web-0.

export const WEB = service(
  "web",
  "default",
  [
    { name: "http", port: 80, targetPort: 8080 },
    { name: "tcp-db", port: 5432 },
  ],
  { app: "web" },
);
export const WEB_SIDECAR = sidecarNode("10.0.0.5", "web-0", "default", { app: "web" });

/** virtualInbound's chains for `name` (`0.0.0.0_8080`, `0.0.0.0_5432`, …). */
export const inboundChains = (r: CompiledResources, name: string): Json[] =>
  (listener(r, "virtualInbound").filter_chains as Json[]).filter(c => c.name === name);
export const inboundHttpFilters = (r: CompiledResources) =>
  hcmFilters(inboundChains(r, "0.0.0.0_8080")[0]!);

// ---------------------------------------------------------------------------------------------
// Service echo with one meshed pod, and the clients that call it.

/** Service echo (8080 http, 9090 grpc) with one meshed pod, service account echo. */
export const ECHO: StoreObject[] = [
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
export const ECHO_HTTP = "outbound|8080||echo.default.svc.cluster.local";
export const ECHO_GRPC = "outbound|9090||echo.default.svc.cluster.local";
export const CLIENT_SIDECAR = sidecarNode("10.0.0.99", "client", "default", { app: "client" });
export const CLIENT_GRPC = grpcNode("10.0.0.98", "client", "default", { app: "client" });

// ---------------------------------------------------------------------------------------------
// trustDomain and trustDomainAliases: a policy naming cluster.local principals.

export const ALLOW_CLIENT = cfg("AuthorizationPolicy", "allow", "default", {
  selector: { matchLabels: { app: "web" } },
  rules: [{ from: [{ source: { principals: ["cluster.local/ns/default/sa/client"] } }] }],
});

/** Every `principal_name.exact` in an RBAC config, in order. */
export function principalNames(rbac: Json): string[] {
  const out: string[] = [];
  JSON.stringify(rbac, (key, value: unknown) => {
    if (key === "principal_name") out.push((value as Json).exact);
    return value;
  });
  return out;
}

const client = (td: string) => `spiffe://${td}/ns/default/sa/client`;
/** Mesh trust-domain settings and the client principals ALLOW_CLIENT then names. */
export const TRUST_DOMAINS: [string, MeshOptions, string[]][] = [
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

// ---------------------------------------------------------------------------------------------
// extensionProviders: the authorizer runs in namespace `authz`, not the workload's.

export const AUTHZ_HOST = "ext-authz.authz.svc.cluster.local";
export const AUTHZ = service("ext-authz", "authz", [
  { name: "grpc", port: 9000 },
  { name: "http", port: 8000 },
]);
export const GRPC_CLUSTER = `outbound|9000||${AUTHZ_HOST}`;
export const HTTP_CLUSTER = `outbound|8000||${AUTHZ_HOST}`;
export const PROVIDERS: MeshOptions["extensionProviders"] = [
  { name: "grpc-authz", envoyExtAuthzGrpc: { service: AUTHZ_HOST, port: 9000 } },
  {
    name: "http-authz",
    envoyExtAuthzHttp: { service: `authz/${AUTHZ_HOST}`, port: 8000, pathPrefix: "/check" },
  },
];

export const custom = (provider: string, name = "ext", namespace = "default", selector?: Json) =>
  cfg("AuthorizationPolicy", name, namespace, {
    ...(selector ? { selector: { matchLabels: selector } } : {}),
    action: "CUSTOM",
    provider: { name: provider },
    rules: [{ to: [{ operation: { paths: ["/admin"] } }] }],
  });

export const filterEnabled = (rbacFilter: string, provider: string) => ({
  filter: rbacFilter,
  path: [{ key: "istio_ext_authz_shadow_effective_policy_id" }],
  value: { string_match: { prefix: `istio-ext-authz-${provider}` } },
});

// ---------------------------------------------------------------------------------------------
// Gateways enforce the policies that select them.

export const GW_SELECTOR = { istio: "ingressgateway" };
/** A gateway proxy in `ns`, named as Istio's ingress gateway pods are. */
export const routerIn = (ns: string) => ({
  id: `router~10.1.2.3~ingressgateway-xyz.${ns}~${ns}.svc.cluster.local`,
  metadata: { NAMESPACE: ns, LABELS: GW_SELECTOR },
});
export const ROUTER = routerIn("istio-system");
export const WEB_HOST = "web.default.svc.cluster.local";

/** Gateway gw with a server of every kind, and the VirtualService bound to all of them. */
export const GATEWAY = [
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
export function gatewayFilters(r: CompiledResources): Record<string, string[][]> {
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
export const gatewayWith = (http: string[], tcp: string[]) => ({
  "0.0.0.0_80": [[...http, ...HTTP_TAIL]],
  "0.0.0.0_443": [[...http, ...HTTP_TAIL]],
  "0.0.0.0_8443": [[...tcp, F.tcpProxy]],
  "0.0.0.0_9443": [[...tcp, F.tcpProxy]],
  "0.0.0.0_31400": [[...tcp, F.tcpProxy]],
});

export const ISSUER = "https://issuer.example";
const JWKS = JSON.stringify({
  keys: [{ kty: "EC", crv: "P-256", x: "x0", y: "y0", kid: "k1" }],
});
export const jwks: MeshOptions["jwks"] = issuer => (issuer === ISSUER ? JWKS : undefined);
export const gatewayJwt = (namespace = "istio-system", selector: Json | undefined = GW_SELECTOR) =>
  cfg("RequestAuthentication", "jwt", namespace, {
    ...(selector ? { selector: { matchLabels: selector } } : {}),
    jwtRules: [{ issuer: ISSUER, jwksUri: `${ISSUER}/jwks` }],
  });
export const denyUntrusted = (
  namespace = "istio-system",
  selector: Json | undefined = GW_SELECTOR,
) =>
  cfg("AuthorizationPolicy", "deny", namespace, {
    ...(selector ? { selector: { matchLabels: selector } } : {}),
    action: "DENY",
    rules: [{ from: [{ source: { notIpBlocks: ["10.0.0.0/8"] } }] }],
  });
