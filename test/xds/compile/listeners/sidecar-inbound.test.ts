/**
 * What an Envoy sidecar's `virtualInbound` (15006) enforces for PeerAuthentication,
 * RequestAuthentication and AuthorizationPolicy, one case per row, asserted on the listener as
 * Envoy receives it: every resource is encoded against Envoy's protos and decoded back.
 *
 * Why the Envoy config itself is asserted, not traffic: grpc-js-xds, the data plane the other
 * security tests drive for real, has no `jwt_authn` filter and matches filter chains on nothing
 * but `transport_protocol: raw_buffer`, so it cannot tell a TLS connection from a plaintext one on
 * a port. It cannot run this listener, and there is no Envoy binary on this machine; the exact
 * generated config is what these tests can prove, and they prove it field by field.
 *
 * The trust domains it accepts (MeshConfig `trustDomain` and `trustDomainAliases`) close the file.
 */
import { FAIL_CLOSED_JWKS } from "../../../../mesh/authn";
import { storeOf, type StoreObject } from "../../../../mesh/store";
import { compile, type MeshOptions } from "../../../../xds/compile";
import {
  checkedSnapshot,
  decoded,
  grpcNode,
  named,
  sidecarNode,
  istioObject,
  WITHOUT_STATS,
} from "../fixtures";
import {
  ALLOW_CLIENT,
  build,
  inboundChains,
  inboundHttpFilters,
  principalNames,
  TRUST_DOMAINS,
  WEB_SIDECAR,
} from "../mesh-authz";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const ISSUER = "https://issuer.example";
const JWKS_URI = "https://issuer.example/jwks";
const JWKS = JSON.stringify({ keys: [{ kty: "EC", crv: "P-256", x: "x0", y: "y0", kid: "k1" }] });
/** The control plane's fetcher, as the runtime injects it: only JWKS_URI was fetched. */
const fetched: MeshOptions["jwks"] = (issuer, uri) =>
  issuer === ISSUER && uri === JWKS_URI ? JWKS : undefined;

const F = {
  jwt: "envoy.filters.http.jwt_authn",
  rbac: "envoy.filters.http.rbac",
  fault: "envoy.filters.http.fault",
  router: "envoy.filters.http.router",
  netRbac: "envoy.filters.network.rbac",
  tcpProxy: "envoy.filters.network.tcp_proxy",
  hcm: "envoy.filters.network.http_connection_manager",
};

const cfg = (kind: string, name: string, namespace: string, spec: Json, annotations?: Json) =>
  istioObject(kind, name, namespace, spec, annotations ? { annotations } : {});

/** Service web: HTTP 80 → 8080 and TCP 5432, selecting `app: web`. */
const WEB = {
  kind: "Service",
  metadata: { name: "web", namespace: "default" },
  spec: {
    selector: { app: "web" },
    ports: [
      { name: "http", port: 80, targetPort: 8080 },
      { name: "tcp-db", port: 5432 },
    ],
  },
} as unknown as StoreObject;

const peer = (name: string, namespace: string, spec: Json) =>
  cfg("PeerAuthentication", name, namespace, spec);
const meshMode = (mode: string) => peer("default", "istio-system", { mtls: { mode } });
const nsMode = (mode: string) => peer("default", "default", { mtls: { mode } });
const workloadPeer = (spec: Json) =>
  peer("web", "default", { selector: { matchLabels: { app: "web" } }, ...spec });

function compiled(objects: StoreObject[], labels: Json = { app: "web" }, jwks = fetched) {
  const r = compile(
    storeOf([WEB, ...objects]),
    sidecarNode("10.0.0.5", "web-0", "default", labels),
    { ...WITHOUT_STATS, jwks },
  );
  if (!r.ok) throw new Error(r.errors.join("\n"));
  checkedSnapshot(r.value); // every resource passes the encoder and the reference check
  return r.value;
}

/** virtualInbound, decoded from its bytes. */
const inbound = (objects: StoreObject[], labels?: Json, jwks?: MeshOptions["jwks"]) =>
  decoded(named(compiled(objects, labels, jwks).listeners, "virtualInbound")) as Json;

const chainsOf = (l: Json, name: string): Json[] =>
  (l.filter_chains as Json[]).filter(c => c.name === name);

/** A chain in one line: port, transport (+ALPN), whether it terminates mTLS, HTTP or TCP. */
function shape(c: Json): string {
  const m = c.filter_chain_match ?? {};
  const alpn = m.application_protocols ? `[${m.application_protocols.join(",")}]` : "";
  const kind = c.filters.some((f: Json) => f.name === F.hcm) ? "http" : "tcp";
  return `${m.destination_port?.value ?? "*"} ${m.transport_protocol}${alpn} ${c.transport_socket ? "mtls" : "-"} ${kind}`;
}

const ISTIO_ALPN = "[istio,istio-peer-exchange,istio-http/1.0,istio-http/1.1,istio-h2]";
const STRICT_PORTS = ["8080 tls mtls http", "5432 tls mtls tcp"];
const PERMISSIVE_PORTS = [
  `8080 tls${ISTIO_ALPN} mtls http`,
  "8080 raw_buffer - http",
  `5432 tls${ISTIO_ALPN} mtls tcp`,
  "5432 tls - tcp",
  "5432 raw_buffer - tcp",
];
const DISABLE_PORTS = ["8080 raw_buffer - http", "5432 raw_buffer - tcp"];

/** The served-port chains: 8080's (HTTP), then 5432's (TCP). */
const servedShapes = (l: Json) =>
  [...chainsOf(l, "0.0.0.0_8080"), ...chainsOf(l, "0.0.0.0_5432")].map(shape);

describe("virtualInbound: filter chains per PeerAuthentication mode", () => {
  it.each([
    ["no policy: PERMISSIVE", [], PERMISSIVE_PORTS],
    ["mesh-wide STRICT", [meshMode("STRICT")], STRICT_PORTS],
    ["mesh-wide DISABLE", [meshMode("DISABLE")], DISABLE_PORTS],
    ["namespace DISABLE over mesh STRICT", [meshMode("STRICT"), nsMode("DISABLE")], DISABLE_PORTS],
    [
      "workload STRICT over namespace PERMISSIVE over mesh DISABLE",
      [meshMode("DISABLE"), nsMode("PERMISSIVE"), workloadPeer({ mtls: { mode: "STRICT" } })],
      STRICT_PORTS,
    ],
    [
      "workload UNSET inherits the namespace's STRICT",
      [nsMode("STRICT"), workloadPeer({ mtls: { mode: "UNSET" } })],
      STRICT_PORTS,
    ],
    [
      "port-level: STRICT workload, port 5432 DISABLE",
      [workloadPeer({ mtls: { mode: "STRICT" }, portLevelMtls: { 5432: { mode: "DISABLE" } } })],
      ["8080 tls mtls http", "5432 raw_buffer - tcp"],
    ],
    [
      "port-level: DISABLE workload, port 8080 STRICT",
      [workloadPeer({ mtls: { mode: "DISABLE" }, portLevelMtls: { 8080: { mode: "STRICT" } } })],
      ["8080 tls mtls http", "5432 raw_buffer - tcp"],
    ],
  ])("%s", (_, policies, want) => {
    expect(servedShapes(inbound(policies as StoreObject[]))).toEqual(want);
  });

  it("a port of undeclared protocol is sniffed: HTTP and TCP chains, told apart by ALPN", () => {
    const misc = {
      kind: "Service",
      metadata: { name: "misc", namespace: "default" },
      spec: { selector: { app: "web" }, ports: [{ name: "misc", port: 7070 }] },
    } as unknown as StoreObject;
    expect(chainsOf(inbound([misc]), "0.0.0.0_7070").map(shape)).toEqual([
      "7070 tls[istio-http/1.0,istio-http/1.1,istio-h2] mtls http",
      "7070 raw_buffer[http/1.1,h2c] - http",
      "7070 tls[istio-peer-exchange,istio] mtls tcp",
      "7070 raw_buffer - tcp",
      "7070 tls - tcp",
    ]);
  });

  it("STRICT leaves plaintext no chain to match, so Envoy closes it", () => {
    const l = inbound([meshMode("STRICT")]);
    const plaintext = (l.filter_chains as Json[]).filter(
      c => c.filter_chain_match?.transport_protocol !== "tls",
    );
    // Only the loop guard on 15006 itself (it goes to the black hole).
    expect(plaintext.map(c => c.name)).toEqual(["virtualInbound-blackhole"]);
    expect(l.default_filter_chain).toBeUndefined();
  });

  it("terminates mTLS with the pilot-agent's SDS certificates, client certificate required", () => {
    const sds = (name: string) => ({
      name,
      sds_config: {
        api_config_source: {
          api_type: "GRPC",
          grpc_services: [{ envoy_grpc: { cluster_name: "sds-grpc" } }],
          set_node_on_first_message_only: true,
          transport_api_version: "V3",
        },
        initial_fetch_timeout: { seconds: "0", nanos: 0 },
        resource_api_version: "V3",
      },
    });
    const [chain] = chainsOf(inbound([meshMode("STRICT")]), "0.0.0.0_8080");
    expect(chain!.transport_socket).toEqual({
      name: "envoy.transport_sockets.tls",
      typed_config: {
        "@type":
          "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
        common_tls_context: {
          tls_params: {
            tls_minimum_protocol_version: "TLSv1_2",
            tls_maximum_protocol_version: "TLSv1_3",
            cipher_suites: [
              "ECDHE-ECDSA-AES256-GCM-SHA384",
              "ECDHE-RSA-AES256-GCM-SHA384",
              "ECDHE-ECDSA-AES128-GCM-SHA256",
              "ECDHE-RSA-AES128-GCM-SHA256",
              "AES256-GCM-SHA384",
              "AES128-GCM-SHA256",
            ],
          },
          alpn_protocols: ["h2", "http/1.1"],
          tls_certificate_sds_secret_configs: [sds("default")],
          combined_validation_context: {
            // Peers must be in the mesh trust domain, as istiod checks.
            default_validation_context: {
              match_subject_alt_names: [{ prefix: "spiffe://cluster.local/" }],
            },
            validation_context_sds_secret_config: sds("ROOTCA"),
          },
        },
        require_client_certificate: { value: true },
      },
    });
    // The same context on TCP chains: no `istio-peer-exchange` (no metadata exchange here).
    const [tcp] = chainsOf(inbound([meshMode("STRICT")]), "0.0.0.0_5432");
    expect(tcp!.transport_socket).toEqual(chain!.transport_socket);
  });

  const TLS_INSPECTOR = "envoy.filters.listener.tls_inspector";
  const HTTP_INSPECTOR = "envoy.filters.listener.http_inspector";
  const only = (...ports: number[]) =>
    ports.length === 1
      ? { destination_port_range: { start: ports[0], end: ports[0]! + 1 } }
      : {
          or_match: {
            rules: ports.map(p => ({ destination_port_range: { start: p, end: p + 1 } })),
          },
        };

  it.each([
    [
      "PERMISSIVE: TLS inspector (off on the loop guard); HTTP inspector for unknown ports only",
      [],
      [
        [TLS_INSPECTOR, only(15006)],
        [HTTP_INSPECTOR, only(5432, 8080, 15006)],
      ],
    ],
    ["STRICT: TLS inspector alone", [meshMode("STRICT")], [[TLS_INSPECTOR, only(15006)]]],
    [
      "DISABLE: no TLS inspector; HTTP sniffing for unknown ports",
      [meshMode("DISABLE")],
      [[HTTP_INSPECTOR, only(5432, 8080, 15006)]],
    ],
    [
      "DISABLE with one STRICT port: the TLS inspector runs on that port alone",
      [workloadPeer({ mtls: { mode: "DISABLE" }, portLevelMtls: { 8080: { mode: "STRICT" } } })],
      [
        [TLS_INSPECTOR, { not_match: only(8080) }],
        [HTTP_INSPECTOR, only(5432, 8080, 15006)],
      ],
    ],
  ])("listener filters, %s", (_, policies, want) => {
    const l = inbound(policies as StoreObject[]);
    expect(l.listener_filters[0].name).toBe("envoy.filters.listener.original_dst");
    expect(
      (l.listener_filters as Json[]).slice(1).map(f => [f.name, f.filter_disabled ?? null]),
    ).toEqual(want);
    expect(l.continue_on_listener_filters_timeout).toBe(true);
  });
});

describe("virtualInbound: catch-all chains", () => {
  const names = (l: Json) => (l.filter_chains as Json[]).map(c => c.name);

  it("a workload no service selects gets only the loop guard and the passthrough chains", () => {
    const l = inbound([meshMode("PERMISSIVE")], { app: "batch" });
    expect(names(l)).toEqual([
      "virtualInbound-blackhole",
      "virtualInbound-catchall-http",
      "virtualInbound-catchall-http",
      "virtualInbound",
      "virtualInbound",
      "virtualInbound",
    ]);
    expect((l.filter_chains as Json[]).slice(1).map(shape)).toEqual([
      "* tls[istio-http/1.0,istio-http/1.1,istio-h2] mtls http",
      "* raw_buffer[http/1.1,h2c] - http",
      "* tls[istio-peer-exchange,istio] mtls tcp",
      "* raw_buffer - tcp",
      "* tls - tcp",
    ]);
    const tcp = chainsOf(l, "virtualInbound")[1]!;
    expect(tcp.filters[0].typed_config.cluster).toBe("InboundPassthroughCluster");
    const blackhole = chainsOf(l, "virtualInbound-blackhole")[0]!;
    expect(blackhole.filter_chain_match.destination_port.value).toBe(15006);
    expect(blackhole.filters[0].typed_config.cluster).toBe("BlackHoleCluster");
  });

  it("under STRICT, unknown ports take mTLS only", () => {
    const l = inbound([meshMode("STRICT")], { app: "batch" });
    expect((l.filter_chains as Json[]).slice(1).map(shape)).toEqual([
      "* tls[istio-http/1.0,istio-http/1.1,istio-h2] mtls http",
      "* tls mtls tcp",
    ]);
  });

  it("a port-level mode for a port no service serves gets its own passthrough chains", () => {
    const l = inbound([
      workloadPeer({ mtls: { mode: "STRICT" }, portLevelMtls: { 9999: { mode: "DISABLE" } } }),
    ]);
    expect((l.filter_chains as Json[]).slice(1, 5).map(shape)).toEqual([
      "* tls[istio-http/1.0,istio-http/1.1,istio-h2] mtls http",
      "* tls mtls tcp",
      "9999 raw_buffer[http/1.1,h2c] - http",
      "9999 raw_buffer - tcp",
    ]);
  });
});

describe("virtualInbound: RequestAuthentication → jwt_authn", () => {
  const rule = {
    issuer: ISSUER,
    jwksUri: JWKS_URI,
    audiences: ["web", "web.example"],
    fromHeaders: [{ name: "x-jwt", prefix: "Bearer " }],
    forwardOriginalToken: true,
    outputPayloadToHeader: "x-jwt-payload",
  };
  const ra = (namespace = "default", jwtRule: Json = rule) =>
    cfg("RequestAuthentication", "jwt", namespace, {
      selector: { matchLabels: { app: "web" } },
      jwtRules: [jwtRule],
    });
  const allow = cfg("AuthorizationPolicy", "allow", "default", {
    rules: [{ from: [{ source: { requestPrincipals: [`${ISSUER}/*`] } }] }],
  });
  const httpFilters = (l: Json, chain = "0.0.0.0_8080"): Json[] =>
    chainsOf(l, chain)[0]!.filters[0].typed_config.http_filters;

  it("inlines the fetched key set with the rule's issuer, audiences and token handling", () => {
    const [jwt] = httpFilters(inbound([ra()]));
    expect(jwt!.name).toBe(F.jwt);
    expect(jwt!.typed_config.providers["origins-0"]).toEqual({
      issuer: ISSUER,
      audiences: ["web", "web.example"],
      local_jwks: { inline_string: JWKS },
      forward: true,
      from_headers: [{ name: "x-jwt", value_prefix: "Bearer " }],
      forward_payload_header: "x-jwt-payload",
      payload_in_metadata: "payload",
      normalize_payload_in_metadata: { space_delimited_claims: ["permission", "scope"] },
    });
  });

  it("runs before RBAC, which runs before fault and router, on every HTTP chain", () => {
    const l = inbound([ra(), allow]);
    for (const chain of [
      ...chainsOf(l, "0.0.0.0_8080"),
      ...chainsOf(l, "virtualInbound-catchall-http"),
    ]) {
      const names = (chain.filters[0].typed_config.http_filters as Json[]).map(f => f.name);
      expect(names.slice(0, 2)).toEqual([F.jwt, F.rbac]);
      expect(names.indexOf(F.fault)).toBeGreaterThan(1);
      expect(names[names.length - 1]).toBe(F.router);
    }
    // TCP chains have no HTTP filters: only network RBAC before tcp_proxy.
    for (const chain of chainsOf(l, "0.0.0.0_5432"))
      expect(chain.filters.map((f: Json) => f.name)).toEqual([F.netRbac, F.tcpProxy]);
  });

  it("without the key set fails closed and warns, naming the object and field", () => {
    const r = compiled([ra()], { app: "web" }, () => undefined);
    const l = decoded(named(r.listeners, "virtualInbound")) as Json;
    expect(httpFilters(l)[0]!.typed_config.providers["origins-0"].local_jwks).toEqual({
      inline_string: FAIL_CLOSED_JWKS,
    });
    expect(r.warnings).toEqual([
      `RequestAuthentication default/jwt: spec.jwtRules[0].jwksUri: key set of issuer "${ISSUER}" not available from ${JWKS_URI}; its tokens are rejected until it is`,
    ]);
  });

  it.each([
    ["another namespace's RequestAuthentication", [ra("other")]],
    ["no RequestAuthentication", []],
  ])("%s: no jwt_authn filter", (_, objects) => {
    const names = httpFilters(inbound(objects as StoreObject[])).map(f => f.name);
    expect(names).not.toContain(F.jwt);
  });

  it("a root-namespace RequestAuthentication without selector applies", () => {
    const mesh = cfg("RequestAuthentication", "jwt", "istio-system", { jwtRules: [rule] });
    expect(httpFilters(inbound([mesh]))[0]!.name).toBe(F.jwt);
  });
});

describe("virtualInbound: AuthorizationPolicy → RBAC", () => {
  const policy = (name: string, spec: Json, annotations?: Json) =>
    cfg("AuthorizationPolicy", name, "default", spec, annotations);
  const httpRbac = (l: Json): Json[] =>
    (chainsOf(l, "0.0.0.0_8080")[0]!.filters[0].typed_config.http_filters as Json[]).filter(
      f => f.name === F.rbac,
    );

  it("requestPrincipals and request.auth.claims read the jwt_authn payload", () => {
    const l = inbound([
      policy("claims", {
        rules: [
          {
            from: [{ source: { requestPrincipals: [`${ISSUER}/alice`] } }],
            when: [{ key: "request.auth.claims[group]", values: ["admins"] }],
          },
        ],
      }),
    ]);
    const [rbac] = httpRbac(l);
    const rules = rbac!.typed_config.rules;
    expect(rules.action).toBe("ALLOW");
    const payload = (claim: string, value: Json) => ({
      metadata: {
        filter: F.jwt,
        path: [{ key: "payload" }, { key: claim }],
        value,
      },
    });
    const exact = (v: string) => ({ string_match: { exact: v } });
    // The principal `iss/sub` and the claim are both read from jwt_authn's verified payload.
    expect(rules.policies["ns[default]-policy[claims]-rule[0]"].principals).toEqual([
      {
        and_ids: {
          ids: [
            { and_ids: { ids: [payload("iss", exact(ISSUER)), payload("sub", exact("alice"))] } },
            payload("group", {
              or_match: {
                value_matchers: [{ list_match: { one_of: exact("admins") } }, exact("admins")],
              },
            }),
          ],
        },
      },
    ]);
  });

  it("source.principal matches the peer certificate's SPIFFE URI (authenticated)", () => {
    const [rbac] = httpRbac(
      inbound([
        policy("peers", {
          rules: [{ from: [{ source: { principals: ["cluster.local/ns/default/sa/client"] } }] }],
        }),
      ]),
    );
    expect(JSON.stringify(rbac!.typed_config.rules)).toContain(
      '"authenticated":{"principal_name":{"exact":"spiffe://cluster.local/ns/default/sa/client"}}',
    );
  });

  const deny = policy("deny", {
    action: "DENY",
    rules: [{ from: [{ source: { namespaces: ["untrusted"] } }] }],
  });
  const allow = policy("allow", {
    rules: [{ from: [{ source: { principals: ["cluster.local/ns/default/sa/client"] } }] }],
  });

  it("DENY is evaluated before ALLOW on HTTP chains", () => {
    expect(httpRbac(inbound([allow, deny])).map(f => f.typed_config.rules.action)).toEqual([
      "DENY",
      "ALLOW",
    ]);
  });

  it("a TCP port gets network RBAC, DENY then ALLOW, before tcp_proxy", () => {
    const l = inbound([allow, deny]);
    for (const chain of chainsOf(l, "0.0.0.0_5432")) {
      const filters = chain.filters as Json[];
      expect(filters.map(f => f.name)).toEqual([F.netRbac, F.netRbac, F.tcpProxy]);
      expect(filters.slice(0, 2).map(f => f.typed_config.rules.action)).toEqual(["DENY", "ALLOW"]);
      expect(filters[0]!.typed_config.stat_prefix).toBe("tcp.");
    }
  });

  it("the passthrough chains enforce the same policies", () => {
    const l = inbound([allow, deny], { app: "web" });
    for (const chain of chainsOf(l, "virtualInbound"))
      expect(chain.filters.map((f: Json) => f.name)).toEqual([F.netRbac, F.netRbac, F.tcpProxy]);
  });

  it("AUDIT becomes a LOG rule set on Envoy, without a warning", () => {
    const r = compiled([policy("audit", { action: "AUDIT", rules: [{}] })]);
    const l = decoded(named(r.listeners, "virtualInbound")) as Json;
    expect(httpRbac(l).map(f => f.typed_config.rules.action)).toEqual(["LOG"]);
    expect(r.warnings).toEqual([]);
  });
});

describe("compile warnings carry the policy notes", () => {
  const custom = cfg("AuthorizationPolicy", "ext", "default", {
    action: "CUSTOM",
    provider: { name: "my-authz" },
    rules: [{ to: [{ operation: { paths: ["/admin"] } }] }],
  });

  it("a CUSTOM policy whose provider is not configured denies, and says so once", () => {
    const r = compiled([custom]);
    expect(r.warnings).toEqual([
      'AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "my-authz": available providers are [] but found "my-authz"; its rules deny',
    ]);
    const l = decoded(named(r.listeners, "virtualInbound")) as Json;
    const rbac = (
      chainsOf(l, "0.0.0.0_8080")[0]!.filters[0].typed_config.http_filters as Json[]
    )[0]!;
    expect(rbac.typed_config.rules.action).toBe("DENY");
    expect(Object.keys(rbac.typed_config.rules.policies)).toEqual([
      "istio-ext-authz-my-authz-ns[default]-policy[ext]-rule[0]-deny-due-to-bad-CUSTOM-action",
    ]);
  });

  it("an unreadable dry-run annotation is reported and the policy enforced", () => {
    const r = compiled([
      cfg(
        "AuthorizationPolicy",
        "dry",
        "default",
        { action: "DENY", rules: [{}] },
        {
          "istio.io/dry-run": "maybe",
        },
      ),
    ]);
    expect(r.warnings).toEqual([
      'AuthorizationPolicy default/dry: metadata.annotations["istio.io/dry-run"]: "maybe" is not a boolean; policy enforced',
    ]);
  });

  it("proxyless gRPC server listeners report what they cannot enforce (AUDIT, CUSTOM)", () => {
    const grpcPod = {
      kind: "Pod",
      metadata: { name: "web-0", namespace: "default", labels: { app: "web" } },
      status: { podIP: "10.0.0.5" },
    } as unknown as StoreObject;
    const r = compile(
      storeOf([
        WEB,
        grpcPod,
        cfg("AuthorizationPolicy", "audit", "default", { action: "AUDIT", rules: [{}] }),
        custom,
      ]),
      grpcNode("10.0.0.5", "web-0", "default", { app: "web" }),
    );
    if (!r.ok) throw new Error(r.errors.join("\n"));
    checkedSnapshot(r.value);
    expect(r.value.warnings).toEqual([
      "AuthorizationPolicy default/audit: AUDIT is not supported by proxyless gRPC; not applied",
      "AuthorizationPolicy default/ext: spec.action: CUSTOM is not supported by proxyless gRPC; its rules deny",
    ]);
  });

  it("a sidecar without policies has no warnings", () => {
    expect(compiled([meshMode("STRICT")]).warnings).toEqual([]);
  });
});

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
});

describe("MeshConfig meshMTLS on virtualInbound's mTLS chains", () => {
  it("every mTLS chain, HTTP and TCP, takes the mesh's minimum version and cipher suites", () => {
    const meshMTLS = {
      minProtocolVersion: "TLSV1_3" as const,
      ecdhCurves: [],
      cipherSuites: ["ECDHE-ECDSA-AES256-GCM-SHA384"],
    };
    const r = build([WEB, ALLOW_CLIENT], WEB_SIDECAR, { meshMTLS });
    const mtlsChains = [...inboundChains(r, "0.0.0.0_8080"), ...inboundChains(r, "0.0.0.0_5432")]
      .filter(c => c.transport_socket)
      .map(c => c.transport_socket.typed_config.common_tls_context.tls_params);
    expect(mtlsChains.length).toBeGreaterThanOrEqual(2);
    for (const params of mtlsChains)
      expect(params).toEqual({
        tls_minimum_protocol_version: "TLSv1_3",
        tls_maximum_protocol_version: "TLSv1_3",
        cipher_suites: ["ECDHE-ECDSA-AES256-GCM-SHA384"],
      });
  });
});

describe("gRPC and HTTP/2 ports on virtualInbound (istiod's inbound HTTP options)", () => {
  const service = (name: string, portName: string) =>
    ({
      kind: "Service",
      metadata: { name: `api-${portName}`, namespace: "default" },
      spec: { selector: { app: "web" }, ports: [{ name: portName, port: 9090 }] },
    }) as unknown as StoreObject;
  const route = (l: Json, hcm: Json) =>
    hcm.typed_config.route_config.virtual_hosts[0].routes[0].route as Json;
  const hcmOn = (objects: StoreObject[]) => {
    const l = inbound(objects);
    const chain = (l.filter_chains as Json[]).find(
      c => c.filter_chain_match?.destination_port?.value === 9090 && c.transport_socket,
    )!;
    return { l, hcm: (chain.filters as Json[]).find(f => f.name === F.hcm)! };
  };

  it.each(["grpc", "grpc-web"])(
    "a %s port: HTTP/2 options, and no retry of resets (it does not work for gRPC streams)",
    portName => {
      const { l, hcm } = hcmOn([service("api", portName), meshMode("STRICT")]);
      expect(hcm.typed_config.http2_protocol_options).toEqual({});
      expect(route(l, hcm).retry_policy).toBeUndefined();
    },
  );

  it("an http2 port: HTTP/2 options, and the reset retry HTTP ports have", () => {
    const { l, hcm } = hcmOn([service("api", "http2"), meshMode("STRICT")]);
    expect(hcm.typed_config.http2_protocol_options).toEqual({});
    expect(route(l, hcm).retry_policy).toEqual({
      retry_on: "reset-before-request",
      num_retries: { value: 2 },
    });
  });

  it("an http port: no HTTP/2 options", () => {
    const { hcm } = hcmOn([service("api", "http"), meshMode("STRICT")]);
    expect(hcm.typed_config.http2_protocol_options).toBeUndefined();
  });
});
