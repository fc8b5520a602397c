/**
 * TLS on outbound clusters as Istio originates it: auto-mTLS by `transport_socket_matches` and
 * endpoint `tlsMode` metadata on Envoy sidecars and gateways; DestinationRule `tls` (DISABLE,
 * SIMPLE, MUTUAL, ISTIO_MUTUAL) with subset > port-level > rule precedence; a gateway's
 * `credentialName` served over ADS; and, for proxyless gRPC, what cannot be honoured failing
 * closed with a warning. Every build passes the snapshot check (encoder and references), and
 * clusters and endpoints are asserted as decoded from their bytes.
 */
import { storeOf, type StoreObject } from "../../../../mesh/store";
import { compile, type CompiledResources, type MeshOptions } from "../../../../xds/compile";
import { checkedSnapshot, decoded, grpcNode, named, sidecarNode, istioObject } from "../fixtures";
import { secret, selfSigned } from "../tls-fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const HOST = "echo.default.svc.cluster.local";
const cl = (port: number, subset = "") => `outbound|${port}|${subset}|${HOST}`;
const ECHO_ID = "spiffe://cluster.local/ns/default/sa/echo";
const LEGACY_ID = "spiffe://cluster.local/ns/default/sa/legacy";
const MESHED = { "security.istio.io/tlsMode": "istio" };
const SIDECAR = sidecarNode("10.0.0.99", "client", "default", { app: "client" });
const ROUTER = {
  id: "router~10.1.2.3~ingressgateway-xyz.istio-system~istio-system.svc.cluster.local",
  metadata: { NAMESPACE: "istio-system", LABELS: { istio: "ingressgateway" } },
};
const UPSTREAM_TLS =
  "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext";
const HTTP_OPTIONS = "envoy.extensions.upstreams.http.v3.HttpProtocolOptions";

const cfg = (kind: string, name: string, spec: Json, namespace = "default") =>
  istioObject(kind, name, namespace, spec);

/**
 * Service echo (8080 http, 9090 grpc): pod echo-0 meshed (sa echo, version v1), pod echo-1
 * without a proxy (sa legacy, version v2) unless `meshedOnly`. `headless` makes it an
 * original-destination service.
 */
function echo(headless = false, meshedOnly = false): StoreObject[] {
  const pods = [
    { sa: "echo", labels: { version: "v1", ...MESHED } },
    { sa: "legacy", labels: { version: "v2" } },
  ].slice(0, meshedOnly ? 1 : 2);
  return [
    {
      kind: "Service",
      metadata: { name: "echo", namespace: "default" },
      spec: {
        clusterIP: headless ? "None" : "10.96.0.9",
        selector: { app: "echo" },
        ports: [
          { name: "http", port: 8080 },
          { name: "grpc", port: 9090 },
        ],
      },
    } as StoreObject,
    ...pods.map(
      (p, i) =>
        ({
          kind: "Pod",
          metadata: {
            name: `echo-${i}`,
            namespace: "default",
            labels: { app: "echo", ...p.labels },
          },
          spec: { serviceAccountName: p.sa },
          status: { podIP: `10.0.0.${5 + i}` },
        }) as StoreObject,
    ),
    {
      kind: "EndpointSlice",
      metadata: {
        name: "echo-1",
        namespace: "default",
        labels: { "kubernetes.io/service-name": "echo" },
      },
      endpoints: pods.map((_, i) => ({
        addresses: [`10.0.0.${5 + i}`],
        targetRef: { kind: "Pod", name: `echo-${i}`, namespace: "default" },
      })),
      ports: [
        { name: "http", port: 8080 },
        { name: "grpc", port: 9090 },
      ],
    } as StoreObject,
  ];
}

const dr = (trafficPolicy: Json, extra: Json = {}) =>
  cfg("DestinationRule", "echo", { host: "echo", trafficPolicy, ...extra });
const peer = (mode: string, namespace = "default", selector?: Json) =>
  cfg("PeerAuthentication", "pa", { ...(selector ? { selector } : {}), mtls: { mode } }, namespace);

/** Compiles for `node`; the snapshot (encoder and reference check) must build. */
function build(
  objects: StoreObject[],
  node: object = SIDECAR,
  options: MeshOptions = {},
): CompiledResources {
  const r = compile(storeOf(objects), node as Parameters<typeof compile>[1], options);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  checkedSnapshot(r.value);
  return r.value;
}

const cluster = (r: CompiledResources, name: string): Json => decoded(named(r.clusters, name));
const tlsOf = (c: Json): Json | undefined => c.transport_socket?.typed_config;
const sansOf = (ctx: Json | undefined): string[] | undefined =>
  ctx?.common_tls_context.combined_validation_context.default_validation_context.match_subject_alt_names?.map(
    (m: Json) => m.exact,
  );

/** The endpoints of a ClusterLoadAssignment: address → its `tlsMode` metadata (or undefined). */
function tlsModes(r: CompiledResources, name: string): Record<string, string | undefined> {
  const cla = decoded(named(r.endpoints, name)) as Json;
  const out: Record<string, string | undefined> = {};
  for (const l of cla.endpoints ?? [])
    for (const e of l.lb_endpoints)
      out[e.endpoint.address.socket_address.address] =
        e.metadata?.filter_metadata["envoy.transport_socket_match"].fields.tlsMode.string_value;
  return out;
}

/** Istio's SdsSecretConfig for a secret of the istio-agent (`sds-grpc`). */
const agentSds = (name: string, meshSecret = true): Json => ({
  name,
  sds_config: {
    api_config_source: {
      api_type: "GRPC",
      grpc_services: [{ envoy_grpc: { cluster_name: "sds-grpc" } }],
      set_node_on_first_message_only: true,
      transport_api_version: "V3",
    },
    ...(meshSecret ? { initial_fetch_timeout: { seconds: "0", nanos: 0 } } : {}),
    resource_api_version: "V3",
  },
});
const adsSds = (name: string): Json => ({
  name,
  sds_config: { ads: {}, resource_api_version: "V3" },
});
const TLS_PARAMS = {
  tls_minimum_protocol_version: "TLSv1_2",
  tls_maximum_protocol_version: "TLSv1_3",
};

/** The ISTIO_MUTUAL UpstreamTlsContext Istio writes. */
const istioMutual = (sans: string[], sni: string, alpn = ["istio-peer-exchange", "istio"]) => ({
  "@type": UPSTREAM_TLS,
  common_tls_context: {
    tls_params: TLS_PARAMS,
    alpn_protocols: alpn,
    tls_certificate_sds_secret_configs: [agentSds("default")],
    combined_validation_context: {
      default_validation_context: { match_subject_alt_names: sans.map(exact => ({ exact })) },
      validation_context_sds_secret_config: agentSds("ROOTCA"),
    },
  },
  sni,
});

describe("auto-mTLS on Envoy sidecars", () => {
  it("mTLS to endpoints with mesh certificates (tlsMode-istio), plaintext to the others", () => {
    const r = build(echo());
    const c = cluster(r, cl(8080));
    expect(c.transport_socket).toBeUndefined();
    expect(c.transport_socket_matches).toEqual([
      {
        name: "tlsMode-istio",
        match: { fields: { tlsMode: { string_value: "istio" } } },
        transport_socket: {
          name: "envoy.transport_sockets.tls",
          typed_config: istioMutual(
            [ECHO_ID, LEGACY_ID],
            "outbound_.8080_._.echo.default.svc.cluster.local",
          ),
        },
      },
      {
        name: "tlsMode-disabled",
        match: {},
        transport_socket: {
          name: "envoy.transport_sockets.raw_buffer",
          typed_config: {
            "@type":
              "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer",
          },
        },
      },
    ]);
    expect(tlsModes(r, cl(8080))).toEqual({ "10.0.0.5": "istio", "10.0.0.6": undefined });
    // HTTP/2 ports offer h2 after Istio's mesh ALPN.
    expect(
      cluster(r, cl(9090)).transport_socket_matches[0].transport_socket.typed_config
        .common_tls_context.alpn_protocols,
    ).toEqual(["istio-peer-exchange", "istio", "h2"]);
    expect(r.warnings).toEqual([]);
  });

  it.each<[string, StoreObject[], boolean, Record<string, string | undefined>]>([
    ["mesh STRICT", [peer("STRICT", "istio-system")], true, { "10.0.0.5": "istio" }],
    ["namespace PERMISSIVE", [peer("PERMISSIVE")], true, { "10.0.0.5": "istio" }],
    ["namespace DISABLE: no auto-mTLS", [peer("DISABLE")], false, {}],
    [
      "the meshed workload DISABLEs mTLS: its endpoint is dialled plaintext",
      [peer("DISABLE", "default", { matchLabels: { version: "v1" } })],
      true,
      {},
    ],
    ["DestinationRule DISABLE overrides auto-mTLS", [dr({ tls: { mode: "DISABLE" } })], false, {}],
  ])("%s", (_, config, matches, modes) => {
    const r = build([...echo(), ...config]);
    const c = cluster(r, cl(8080));
    expect(c.transport_socket).toBeUndefined();
    expect(c.transport_socket_matches !== undefined).toBe(matches);
    expect(tlsModes(r, cl(8080))).toEqual({
      "10.0.0.5": undefined,
      "10.0.0.6": undefined,
      ...modes,
    });
  });

  it("SANs are the destination's service accounts in the mesh's trust domain", () => {
    const r = build(echo(), SIDECAR, { trustDomain: "example.org" });
    expect(
      sansOf(cluster(r, cl(8080)).transport_socket_matches[0].transport_socket.typed_config),
    ).toEqual([
      "spiffe://example.org/ns/default/sa/echo",
      "spiffe://example.org/ns/default/sa/legacy",
    ]);
  });

  const entry = (location: string, extra: Json = {}) =>
    cfg("ServiceEntry", "api", {
      hosts: ["api.internal.example"],
      location,
      resolution: "STATIC",
      ports: [{ number: 443, name: "tls", protocol: "TLS" }],
      endpoints: [{ address: "10.1.0.1", labels: MESHED, serviceAccount: "api" }],
      ...extra,
    });
  const API = "outbound|443||api.internal.example";

  it("a MESH_EXTERNAL ServiceEntry gets no auto-mTLS, even to an endpoint labelled meshed", () => {
    const c = cluster(build([entry("MESH_EXTERNAL")]), API);
    expect(c.transport_socket).toBeUndefined();
    expect(c.transport_socket_matches).toBeUndefined();
  });

  it("a MESH_INTERNAL ServiceEntry: auto-mTLS, SANs its workloads' and its subjectAltNames", () => {
    const r = build([entry("MESH_INTERNAL", { subjectAltNames: ["spiffe://other.td/ns/x/sa/y"] })]);
    expect(
      sansOf(cluster(r, API).transport_socket_matches[0].transport_socket.typed_config),
    ).toEqual(["spiffe://cluster.local/ns/default/sa/api", "spiffe://other.td/ns/x/sa/y"]);
    expect(tlsModes(r, API)).toEqual({ "10.1.0.1": "istio" });
  });

  it("original destination (headless): one mTLS socket when every endpoint is meshed, else plaintext", () => {
    const mixed = cluster(build(echo(true)), cl(8080));
    expect(mixed.type).toBe("ORIGINAL_DST");
    expect(mixed.transport_socket).toBeUndefined();
    expect(mixed.transport_socket_matches).toBeUndefined();
    const c = cluster(build(echo(true, true)), cl(8080));
    expect(c.transport_socket_matches).toBeUndefined();
    expect(tlsOf(c)).toEqual(
      istioMutual([ECHO_ID], "outbound_.8080_._.echo.default.svc.cluster.local"),
    );
  });
});

describe("DestinationRule tls on Envoy clusters", () => {
  const fileRoot = (path: string) => agentSds(`file-root:${path}`, false);

  it.each<[string, Json, Json | undefined, Json | undefined]>([
    ["DISABLE", { mode: "DISABLE" }, undefined, undefined],
    [
      "ISTIO_MUTUAL: the destination's identities and Istio's SNI, on every endpoint",
      { mode: "ISTIO_MUTUAL" },
      istioMutual([ECHO_ID, LEGACY_ID], "outbound_.8080_._.echo.default.svc.cluster.local"),
      undefined,
    ],
    [
      "ISTIO_MUTUAL with its own sni and subjectAltNames",
      { mode: "ISTIO_MUTUAL", sni: "echo.custom", subjectAltNames: ["spiffe://td/ns/a/sa/b"] },
      istioMutual(["spiffe://td/ns/a/sa/b"], "echo.custom"),
      undefined,
    ],
    [
      "SIMPLE with caCertificates, sni and subjectAltNames",
      {
        mode: "SIMPLE",
        caCertificates: "/etc/certs/ca.pem",
        sni: "echo.example.com",
        subjectAltNames: ["echo.example.com"],
      },
      {
        "@type": UPSTREAM_TLS,
        common_tls_context: {
          tls_params: TLS_PARAMS,
          combined_validation_context: {
            default_validation_context: {
              match_subject_alt_names: [{ exact: "echo.example.com" }],
            },
            validation_context_sds_secret_config: fileRoot("/etc/certs/ca.pem"),
          },
        },
        sni: "echo.example.com",
      },
      undefined,
    ],
    [
      "SIMPLE alone: system roots, SNI and SAN check from the request's host",
      { mode: "SIMPLE" },
      {
        "@type": UPSTREAM_TLS,
        common_tls_context: {
          tls_params: TLS_PARAMS,
          combined_validation_context: {
            default_validation_context: {},
            validation_context_sds_secret_config: fileRoot("system"),
          },
        },
      },
      { auto_sni: true, auto_san_validation: true },
    ],
    [
      "SIMPLE insecureSkipVerify: no validation at all",
      { mode: "SIMPLE", insecureSkipVerify: true, sni: "echo.example.com" },
      {
        "@type": UPSTREAM_TLS,
        common_tls_context: { tls_params: TLS_PARAMS, validation_context: {} },
        sni: "echo.example.com",
      },
      undefined,
    ],
    [
      "MUTUAL with files: client certificate and CA from the agent, CRL from the file",
      {
        mode: "MUTUAL",
        clientCertificate: "/c/cert.pem",
        privateKey: "/c/key.pem",
        caCertificates: "/c/ca.pem",
        caCrl: "/c/crl.pem",
        subjectAltNames: ["echo.example.com"],
      },
      {
        "@type": UPSTREAM_TLS,
        common_tls_context: {
          tls_params: TLS_PARAMS,
          tls_certificate_sds_secret_configs: [agentSds("file-cert:/c/cert.pem~/c/key.pem", false)],
          combined_validation_context: {
            default_validation_context: {
              match_subject_alt_names: [{ exact: "echo.example.com" }],
              crl: { filename: "/c/crl.pem" },
            },
            validation_context_sds_secret_config: fileRoot("/c/ca.pem"),
          },
        },
      },
      { auto_sni: true },
    ],
  ])("%s", (_, tls, want, upstreamHttp) => {
    const r = build([...echo(), dr({ tls })]);
    const c = cluster(r, cl(8080));
    expect(c.transport_socket_matches).toBeUndefined();
    expect(tlsOf(c)).toEqual(want);
    expect(c.typed_extension_protocol_options?.[HTTP_OPTIONS]).toEqual(
      upstreamHttp && {
        "@type": `type.googleapis.com/${HTTP_OPTIONS}`,
        upstream_http_protocol_options: upstreamHttp,
        explicit_http_config: { http_protocol_options: {} },
      },
    );
    // Only ISTIO_MUTUAL marks endpoints for mTLS; a user's mode is the cluster's, not theirs.
    const mode = tls.mode === "ISTIO_MUTUAL" ? "istio" : undefined;
    expect(tlsModes(r, cl(8080))).toEqual({ "10.0.0.5": mode, "10.0.0.6": mode });
    expect(r.warnings).toEqual([]);
  });

  it("precedence: subset port-level > subset > rule port-level > rule", () => {
    const simple = { mode: "SIMPLE", caCertificates: "/ca.pem", sni: "echo" };
    const mutual = { mode: "MUTUAL", clientCertificate: "/c", privateKey: "/k", sni: "echo" };
    const r = build([
      ...echo(),
      dr(
        {
          tls: simple,
          portLevelSettings: [{ port: { number: 8080 }, tls: { mode: "ISTIO_MUTUAL" } }],
        },
        {
          subsets: [
            { name: "v1", labels: { version: "v1" }, trafficPolicy: { tls: { mode: "DISABLE" } } },
            {
              name: "v2",
              labels: { version: "v2" },
              trafficPolicy: { portLevelSettings: [{ port: { number: 9090 }, tls: mutual }] },
            },
          ],
        },
      ),
    ]);
    const kind = (name: string) => {
      const ctx = tlsOf(cluster(r, name));
      if (!ctx) return "plaintext";
      if (ctx.common_tls_context.tls_certificate_sds_secret_configs?.[0].name === "default")
        return `ISTIO_MUTUAL ${ctx.sni}`;
      return ctx.common_tls_context.tls_certificate_sds_secret_configs ? "MUTUAL" : "SIMPLE";
    };
    expect({
      [cl(8080)]: kind(cl(8080)),
      [cl(9090)]: kind(cl(9090)),
      [cl(8080, "v1")]: kind(cl(8080, "v1")),
      [cl(9090, "v1")]: kind(cl(9090, "v1")),
      [cl(8080, "v2")]: kind(cl(8080, "v2")),
      [cl(9090, "v2")]: kind(cl(9090, "v2")),
    }).toEqual({
      [cl(8080)]: "ISTIO_MUTUAL outbound_.8080_._.echo.default.svc.cluster.local",
      [cl(9090)]: "SIMPLE",
      [cl(8080, "v1")]: "plaintext",
      [cl(9090, "v1")]: "plaintext",
      [cl(8080, "v2")]: "ISTIO_MUTUAL outbound_.8080_.v2_.echo.default.svc.cluster.local",
      [cl(9090, "v2")]: "MUTUAL",
    });
    // The subset's DISABLE also keeps its meshed endpoint out of mTLS; ISTIO_MUTUAL takes all.
    expect(tlsModes(r, cl(8080, "v1"))).toEqual({ "10.0.0.5": undefined });
    expect(tlsModes(r, cl(8080, "v2"))).toEqual({ "10.0.0.6": "istio" });
  });
});

describe("MeshConfig tlsDefaults on origination (istiod's applyTLSDefaults)", () => {
  const tlsDefaults = {
    minProtocolVersion: "TLSV1_3" as const,
    ecdhCurves: ["X25519"],
    cipherSuites: ["ECDHE-RSA-AES128-GCM-SHA256"],
  };

  it("SIMPLE and MUTUAL get its curves and ciphers; the client's minimum stays TLS 1.2", () => {
    for (const tls of [
      { mode: "SIMPLE" },
      { mode: "MUTUAL", clientCertificate: "/etc/c.pem", privateKey: "/etc/k.pem" },
    ]) {
      const r = build([...echo(), dr({ tls })], SIDECAR, { tlsDefaults });
      expect(tlsOf(cluster(r, cl(8080)))?.common_tls_context.tls_params).toEqual({
        ...TLS_PARAMS,
        ecdh_curves: ["X25519"],
        cipher_suites: ["ECDHE-RSA-AES128-GCM-SHA256"],
      });
    }
  });

  it("leaves the mesh's own mTLS (ISTIO_MUTUAL) alone", () => {
    const r = build([...echo(), dr({ tls: { mode: "ISTIO_MUTUAL" } })], SIDECAR, { tlsDefaults });
    expect(tlsOf(cluster(r, cl(8080)))?.common_tls_context.tls_params).toEqual(TLS_PARAMS);
  });
});

describe("credentialName: gateways load it over ADS, others fail closed", () => {
  const CA = selfSigned("upstream-ca");
  const CLIENT = selfSigned("gateway-client");
  const gatewayConfig = [
    cfg("Gateway", "gw", {
      selector: { istio: "ingressgateway" },
      servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
    }),
    cfg("VirtualService", "to-echo", {
      hosts: ["echo.example.com"],
      gateways: ["gw"],
      http: [{ route: [{ destination: { host: "echo", port: { number: 8080 } } }] }],
    }),
  ];
  const caSecret = secret("upstream", "istio-system", { "ca.crt": CA.cert });
  const clientSecret = secret(
    "upstream",
    "istio-system",
    { "tls.crt": CLIENT.cert, "tls.key": CLIENT.key, "ca.crt": CA.cert },
    "kubernetes.io/tls",
  );

  it.each<[string, Json, StoreObject, Json]>([
    [
      "SIMPLE: the server verified against kubernetes://<name>-cacert",
      { mode: "SIMPLE", credentialName: "upstream", sni: "echo.example.com" },
      caSecret,
      {
        "kubernetes://upstream-cacert": {
          validation_context: { trusted_ca: { inline_string: CA.cert } },
        },
      },
    ],
    [
      "MUTUAL: and the client certificate kubernetes://<name>",
      { mode: "MUTUAL", credentialName: "kubernetes://upstream", sni: "echo.example.com" },
      clientSecret,
      {
        "kubernetes://upstream": {
          tls_certificate: {
            certificate_chain: { inline_string: CLIENT.cert },
            private_key: { inline_string: CLIENT.key },
          },
        },
        "kubernetes://upstream-cacert": {
          validation_context: { trusted_ca: { inline_string: CA.cert } },
        },
      },
    ],
  ])("%s", (_, tls, credential, secrets) => {
    const r = build([...echo(), ...gatewayConfig, credential, dr({ tls })], ROUTER);
    expect(r.warnings).toEqual([]);
    const common = tlsOf(cluster(r, cl(8080)))!.common_tls_context;
    const loaded = [
      ...(common.tls_certificate_sds_secret_configs ?? []),
      common.combined_validation_context.validation_context_sds_secret_config,
    ];
    expect(loaded).toEqual(Object.keys(secrets).map(adsSds));
    const served = Object.fromEntries(
      r.secrets.map(s => {
        const { name, "@type": _type, ...rest } = decoded(s) as Json;
        return [name, rest];
      }),
    );
    expect(served).toEqual(secrets);
  });

  it("a missing Secret: a warning, and that cluster fails closed while the gateway is served", () => {
    const tls = { mode: "SIMPLE", credentialName: "absent" };
    const r = build([...echo(), ...gatewayConfig, dr({ tls })], ROUTER);
    expect(r.warnings).toEqual([
      `DestinationRule default/echo: spec.trafficPolicy.tls.credentialName: "absent": ` +
        `no Secret istio-system/absent-cacert or istio-system/absent with ca.crt; ` +
        `cluster ${cl(8080)} fails closed (no endpoints)`,
    ]);
    const c = cluster(r, cl(8080));
    expect(c.transport_socket).toBeUndefined();
    expect(c.transport_socket_matches).toBeUndefined();
    expect(decoded(named(r.endpoints, cl(8080))).endpoints ?? []).toEqual([]);
    expect(r.listeners.map(l => l.name)).toEqual(["0.0.0.0_80"]);
    expect(r.secrets).toEqual([]);
  });

  it("on a sidecar: a warning, and the cluster fails closed rather than going plaintext", () => {
    const r = build([
      ...echo(),
      caSecret,
      dr({ tls: { mode: "SIMPLE", credentialName: "upstream" } }),
    ]);
    expect(r.warnings).toContain(
      `DestinationRule default/echo: spec.trafficPolicy.tls.credentialName: "upstream" is ` +
        `honoured only on gateways; cluster ${cl(8080)} fails closed (no endpoints)`,
    );
    expect(tlsOf(cluster(r, cl(8080)))).toBeUndefined();
    expect(tlsModes(r, cl(8080))).toEqual({});
  });
});

describe("bad inputs: the compiler copes and fails closed", () => {
  const noCert = { mode: "MUTUAL", caCertificates: "/ca.pem" };

  it("MUTUAL without a client certificate (validation refuses it): fails closed, port-level path named", () => {
    const r = build([
      ...echo(),
      dr({ portLevelSettings: [{ port: { number: 8080 }, tls: noCert }] }),
    ]);
    expect(r.warnings).toEqual([
      `DestinationRule default/echo: spec.trafficPolicy.portLevelSettings[0].tls.clientCertificate: ` +
        `MUTUAL needs clientCertificate and privateKey; cluster ${cl(8080)} fails closed (no endpoints)`,
    ]);
    expect(tlsOf(cluster(r, cl(8080)))).toBeUndefined();
    expect(tlsModes(r, cl(8080))).toEqual({});
    // The other port is untouched: auto-mTLS as before.
    expect(cluster(r, cl(9090)).transport_socket_matches).toHaveLength(2);
  });

  it("an original-destination cluster failing closed becomes an empty static one", () => {
    const c = cluster(build([...echo(true), dr({ tls: noCert })]), cl(8080));
    expect(c.type).toBe("STATIC");
    expect(c.load_assignment).toEqual({ cluster_name: cl(8080) });
    expect(c.transport_socket).toBeUndefined();
  });

  it("SIMPLE to a TCP host with no SAN information: TLS still, and a warning", () => {
    const r = build([
      cfg("ServiceEntry", "db", {
        hosts: ["db.example.com"],
        location: "MESH_EXTERNAL",
        resolution: "DNS",
        ports: [{ number: 5432, name: "tcp", protocol: "TCP" }],
      }),
      cfg("DestinationRule", "db", {
        host: "db.example.com",
        trafficPolicy: { tls: { mode: "SIMPLE" } },
      }),
    ]);
    const ctx = tlsOf(cluster(r, "outbound|5432||db.example.com"));
    expect(
      ctx?.common_tls_context.combined_validation_context.validation_context_sds_secret_config.name,
    ).toBe("file-root:system");
    expect(r.warnings).toEqual([
      "DestinationRule default/db: spec.trafficPolicy.tls.mode: SIMPLE to db.example.com:5432 (TCP) " +
        "checks no server name: set sni or subjectAltNames",
    ]);
  });
});

describe("proxyless gRPC: ISTIO_MUTUAL and DISABLE honoured, SIMPLE and MUTUAL fail closed", () => {
  const GRPC = grpcNode("10.0.0.99", "client", "default", { app: "client" });

  it.each<[string, Json, boolean, boolean]>([
    [
      "ISTIO_MUTUAL: certificate providers and secure naming",
      { mode: "ISTIO_MUTUAL" },
      true,
      false,
    ],
    ["DISABLE: plaintext", { mode: "DISABLE" }, false, false],
    [
      "SIMPLE: no certificate provider can hold its CA",
      { mode: "SIMPLE", caCertificates: "/ca.pem" },
      false,
      true,
    ],
    [
      "MUTUAL",
      { mode: "MUTUAL", clientCertificate: "/c", privateKey: "/k", caCertificates: "/ca" },
      false,
      true,
    ],
  ])("%s", (_, tls, mtls, closed) => {
    const r = build([...echo(), dr({ tls })], GRPC);
    const c = cluster(r, cl(9090));
    if (mtls) {
      expect(tlsOf(c)?.common_tls_context).toEqual({
        tls_certificate_provider_instance: {
          instance_name: "default",
          certificate_name: "default",
        },
        validation_context: {
          ca_certificate_provider_instance: {
            instance_name: "default",
            certificate_name: "ROOTCA",
          },
          match_subject_alt_names: [{ exact: ECHO_ID }, { exact: LEGACY_ID }],
        },
      });
    } else expect(c.transport_socket).toBeUndefined();
    const endpoints = (decoded(named(r.endpoints, cl(9090))) as Json).endpoints ?? [];
    expect(endpoints.length === 0).toBe(closed);
    expect(r.warnings).toEqual(
      closed
        ? [8080, 9090].map(
            port =>
              `DestinationRule default/echo: spec.trafficPolicy.tls.mode: ${tls.mode} is not ` +
              `supported for proxyless gRPC (only ISTIO_MUTUAL and DISABLE are); ` +
              `cluster ${cl(port)} fails closed (no endpoints)`,
          )
        : [],
    );
  });
});
