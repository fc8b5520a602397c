/**
 * The TLS an outbound cluster originates, decided as istiod decides it (cluster_tls.go): with
 * no DestinationRule `tls`, auto-mTLS unless the service is MESH_EXTERNAL, its namespace (or the
 * mesh) DISABLEs mTLS, or a passthrough service has a workload without mesh certificates; with
 * one, DISABLE, ISTIO_MUTUAL (mesh SNI `outbound_.<port>_.<subset>_.<host>`), SIMPLE and MUTUAL
 * from files or a gateway's credentialName. What Istio would silently send in the clear fails
 * closed with the reason. The plan is read from the translator; MeshConfig `enableAutoMtls` is
 * asserted on the Clusters decoded from their bytes.
 */
import type { StoreObject } from "../../../../mesh/store";
import type { NodeDescription } from "../../../../xds/compile";
import {
  envoyUpstreamTlsPlan,
  grpcTlsProblem,
  isOriginalDst,
  meshSni,
  upstreamCredentialSecrets,
  upstreamTlsReport,
  upstreamTlsWarnings,
} from "../../../../xds/compile/clusters/upstream-tls-plan";
import { outboundClusters } from "../../../../xds/compile";
import { outboundCluster, scopeOf } from "../fixtures";
import { cfg, CLUSTER, echo, MESHED, mesh, type Json } from "../grpc-echo";
import {
  build,
  cluster,
  CLIENT_GRPC,
  CLIENT_SIDECAR,
  ECHO,
  ECHO_GRPC,
  ECHO_HTTP,
  GW_SELECTOR,
  ROUTER,
} from "../mesh-authz";
import { SE } from "../reviews-entry";
import { MYSQL } from "../tcp-services";
import { secret, selfSigned } from "../tls-fixtures";
import { EXTERNAL } from "../web-service";

const HOST = "echo.default.svc.cluster.local";
const ECHO_ID = "spiffe://cluster.local/ns/default/sa/echo";
const SUBSET_V1 = `outbound|9080|v1|${HOST}`;
/** echo with a meshed pod (v1, sa echo) and, unless `meshedOnly`, a pod without a proxy (v2). */
const ECHO_PODS = (meshedOnly = false) =>
  echo([
    { labels: { version: "v1", ...MESHED } },
    ...(meshedOnly ? [] : [{ labels: { version: "v2" }, sa: "legacy" }]),
  ]);
const headless = (objects: StoreObject[]) =>
  objects.map(o =>
    o.kind === "Service" ? ({ ...o, spec: { ...(o as Json).spec, clusterIP: "None" } } as Json) : o,
  ) as StoreObject[];
const dr = (trafficPolicy: Json, subsets?: Json[], host = "echo") =>
  cfg("DestinationRule", host, "default", { host, trafficPolicy, ...(subsets ? { subsets } : {}) });
const V1 = [{ name: "v1", labels: { version: "v1" } }];

function planOf(objects: StoreObject[], node: NodeDescription = CLIENT_SIDECAR, name = CLUSTER) {
  const scope = scopeOf(objects, node);
  return envoyUpstreamTlsPlan(scope, outboundCluster(scope, name));
}

describe("meshSni and isOriginalDst", () => {
  it("Istio's mesh SNI is the DNS SRV form of port, subset and host", () => {
    const scope = scopeOf([...ECHO_PODS(), dr({}, V1)], CLIENT_SIDECAR);
    expect(meshSni(outboundCluster(scope, CLUSTER))).toBe(`outbound_.9080_._.${HOST}`);
    expect(meshSni(outboundCluster(scope, SUBSET_V1))).toBe(`outbound_.9080_.v1_.${HOST}`);
  });

  it.each<[string, StoreObject[], string, boolean]>([
    ["a ClusterIP service (EDS) is not", ECHO_PODS(), CLUSTER, false],
    ["a headless service is", headless(ECHO_PODS()), CLUSTER, true],
    [
      "a ClusterIP service whose rule balances PASSTHROUGH is",
      [...ECHO_PODS(), dr({ loadBalancer: { simple: "PASSTHROUGH" } })],
      CLUSTER,
      true,
    ],
    ["a DNS ServiceEntry is not", [EXTERNAL], "outbound|443||api.example.com", false],
  ])("original destination: %s", (_, objects, name, want) => {
    const scope = scopeOf(objects, CLIENT_SIDECAR);
    expect(isOriginalDst(outboundCluster(scope, name))).toBe(want);
  });
});

describe("without a DestinationRule tls: auto-mTLS as BestEffortInferServiceMTLSMode", () => {
  const AUTO = {
    kind: "istio-mutual",
    auto: true,
    sans: [ECHO_ID],
    sni: `outbound_.9080_._.${HOST}`,
  };
  const PLAINTEXT = { kind: "plaintext" };
  const ns = (mode: string) => cfg("PeerAuthentication", "default", "default", { mtls: { mode } });
  const workload = (mode: string) =>
    cfg("PeerAuthentication", "echo", "default", {
      selector: { matchLabels: { app: "echo" } },
      mtls: { mode },
    });

  it.each<[string, StoreObject[], Json]>([
    ["a meshed service: mTLS per endpoint, to its service accounts", ECHO_PODS(true), AUTO],
    [
      "identities of every workload behind the port, sorted",
      ECHO_PODS(),
      { ...AUTO, sans: [ECHO_ID, "spiffe://cluster.local/ns/default/sa/legacy"] },
    ],
    [
      "the namespace's PeerAuthentication DISABLE: plaintext",
      [...ECHO_PODS(true), ns("DISABLE")],
      PLAINTEXT,
    ],
    [
      "the mesh's PeerAuthentication DISABLE: plaintext",
      [...ECHO_PODS(true), mesh("DISABLE")],
      PLAINTEXT,
    ],
    [
      "the namespace's STRICT over the mesh's DISABLE: auto-mTLS",
      [...ECHO_PODS(true), mesh("DISABLE"), ns("STRICT")],
      AUTO,
    ],
    [
      "a workload-selector DISABLE does not turn the cluster off (only its endpoints)",
      [...ECHO_PODS(true), workload("DISABLE")],
      AUTO,
    ],
    [
      "a headless service whose workloads all carry mesh certificates",
      headless(ECHO_PODS(true)),
      AUTO,
    ],
    [
      "a headless service with one workload without them: plaintext to all",
      headless(ECHO_PODS()),
      PLAINTEXT,
    ],
    ["a headless service without endpoints: plaintext", headless(echo([])), PLAINTEXT],
  ])("%s", (_, objects, want) => {
    expect(planOf(objects)).toEqual(want);
  });

  it("a headless service over a WorkloadEntry: meshed by its service account, as istiod's TLS mode reads it", () => {
    const vm = (serviceAccount?: string) =>
      cfg("WorkloadEntry", "vm", "default", {
        address: "10.0.0.90",
        labels: { app: "echo" },
        ...(serviceAccount ? { serviceAccount } : {}),
      });
    expect(planOf(headless([...echo([]), vm("vm")]))).toEqual({
      ...AUTO,
      sans: ["spiffe://cluster.local/ns/default/sa/vm"],
    });
    expect(planOf(headless([...echo([]), vm()]))).toEqual(PLAINTEXT);
  });

  it("a MESH_EXTERNAL service: plaintext", () => {
    expect(planOf([EXTERNAL], CLIENT_SIDECAR, "outbound|443||api.example.com")).toEqual(PLAINTEXT);
  });
});

describe("a DestinationRule tls block decides", () => {
  const FILE_ROOT = (path: string) => ({ name: `file-root:${path}`, ads: false });
  const ORIGINATE = {
    kind: "originate",
    sans: [],
    root: FILE_ROOT("system"),
    autoSni: true,
    autoSanValidation: true,
    notes: [],
    secrets: [],
  };

  it.each<[string, StoreObject[], string, Json]>([
    [
      "DISABLE: plaintext, even to meshed workloads",
      [dr({ tls: { mode: "DISABLE" } })],
      CLUSTER,
      { kind: "plaintext" },
    ],
    [
      "ISTIO_MUTUAL: mesh certificates to every endpoint, not per endpoint",
      [dr({ tls: { mode: "ISTIO_MUTUAL" } })],
      CLUSTER,
      {
        kind: "istio-mutual",
        auto: false,
        sans: [ECHO_ID, "spiffe://cluster.local/ns/default/sa/legacy"],
        sni: `outbound_.9080_._.${HOST}`,
      },
    ],
    [
      "ISTIO_MUTUAL on a subset: the subset's SNI",
      [dr({}, [{ ...V1[0], trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" } } }])],
      SUBSET_V1,
      {
        kind: "istio-mutual",
        auto: false,
        sans: [ECHO_ID, "spiffe://cluster.local/ns/default/sa/legacy"],
        sni: `outbound_.9080_.v1_.${HOST}`,
      },
    ],
    [
      "ISTIO_MUTUAL with its own sni and subjectAltNames: those",
      [
        dr({
          tls: { mode: "ISTIO_MUTUAL", sni: "echo.gw", subjectAltNames: ["spiffe://x/ns/y/sa/z"] },
        }),
      ],
      CLUSTER,
      { kind: "istio-mutual", auto: false, sans: ["spiffe://x/ns/y/sa/z"], sni: "echo.gw" },
    ],
    [
      "SIMPLE without caCertificates: verified against the system roots, SNI and SAN from the request",
      [dr({ tls: { mode: "SIMPLE" } })],
      CLUSTER,
      ORIGINATE,
    ],
    [
      "SIMPLE with caCertificates and caCrl: the file root over the agent's SDS, with the CRL",
      [dr({ tls: { mode: "SIMPLE", caCertificates: "/etc/ca.pem", caCrl: "/etc/crl.pem" } })],
      CLUSTER,
      { ...ORIGINATE, root: FILE_ROOT("/etc/ca.pem"), crl: "/etc/crl.pem" },
    ],
    [
      "SIMPLE with sni and subjectAltNames: no auto SNI nor auto SAN validation",
      [
        dr({
          tls: { mode: "SIMPLE", sni: "echo.example.com", subjectAltNames: ["echo.example.com"] },
        }),
      ],
      CLUSTER,
      {
        ...ORIGINATE,
        sni: "echo.example.com",
        sans: ["echo.example.com"],
        autoSni: false,
        autoSanValidation: false,
      },
    ],
    [
      "SIMPLE with insecureSkipVerify: no root, no SAN validation",
      [dr({ tls: { mode: "SIMPLE", insecureSkipVerify: true } })],
      CLUSTER,
      {
        kind: "originate",
        sans: [],
        autoSni: true,
        autoSanValidation: false,
        notes: [],
        secrets: [],
      },
    ],
    [
      "MUTUAL with files: the client certificate as file-cert:<cert>~<key>",
      [dr({ tls: { mode: "MUTUAL", clientCertificate: "/c.pem", privateKey: "/k.pem" } })],
      CLUSTER,
      { ...ORIGINATE, certificate: { name: "file-cert:/c.pem~/k.pem", ads: false } },
    ],
  ])("%s", (_, rules, name, want) => {
    expect(planOf([...ECHO_PODS(), ...rules], CLIENT_SIDECAR, name)).toEqual(want);
  });

  it("MUTUAL without a private key fails closed (Istio would send plaintext), naming the field", () => {
    const plan = planOf([
      ...ECHO_PODS(),
      dr({ tls: { mode: "MUTUAL", clientCertificate: "/c.pem" } }),
    ]);
    expect(plan).toEqual({
      kind: "fail-closed",
      problem:
        "DestinationRule default/echo: spec.trafficPolicy.tls.clientCertificate: MUTUAL needs " +
        `clientCertificate and privateKey; cluster ${CLUSTER} fails closed (no endpoints)`,
    });
  });

  it("a ServiceEntry's subjectAltNames stand in for the rule's; a Kubernetes Service's do not", () => {
    const entry = SE("reviews", "default", { subjectAltNames: ["spiffe://ext/ns/x/sa/y"] });
    const simple = { tls: { mode: "SIMPLE" } };
    const reviews = planOf(
      [entry, dr(simple, undefined, "reviews")],
      CLIENT_SIDECAR,
      "outbound|9080||reviews.default.svc.cluster.local",
    );
    expect(reviews).toMatchObject({
      kind: "originate",
      sans: ["spiffe://ext/ns/x/sa/y"],
      autoSanValidation: true,
    });
    expect(planOf([...ECHO_PODS(), dr(simple)])).toMatchObject({ kind: "originate", sans: [] });
  });

  it("SIMPLE to a TCP port with no sni nor subjectAltNames is noted: no server name is checked", () => {
    const rule = dr({ tls: { mode: "SIMPLE" } }, undefined, "mysql");
    const scope = scopeOf([MYSQL, rule], CLIENT_SIDECAR);
    const c = outboundCluster(scope, "outbound|3306||mysql.default.svc.cluster.local");
    const note =
      "DestinationRule default/mysql: spec.trafficPolicy.tls.mode: SIMPLE to " +
      "mysql.default.svc.cluster.local:3306 (TCP) checks no server name: set sni or subjectAltNames";
    expect(envoyUpstreamTlsPlan(scope, c)).toMatchObject({ kind: "originate", notes: [note] });
    expect(c.notes).toEqual([note]);
    expect(upstreamTlsReport(scope, c)).toEqual({ notes: [note] });
    // With an sni the server's name is checked: nothing to note.
    const named = dr({ tls: { mode: "SIMPLE", sni: "db.example.com" } }, undefined, "mysql");
    expect(planOf([MYSQL, named], CLIENT_SIDECAR, c.name)).toMatchObject({ notes: [] });
  });
});

describe("credentialName: a gateway's Secrets over ADS", () => {
  const { cert, key } = selfSigned("upstream.example.com");
  const UPSTREAM = secret(
    "upstream",
    "istio-system",
    { "tls.crt": cert, "tls.key": key, "ca.crt": cert },
    "kubernetes.io/tls",
  );
  const credential = (mode: string, credentialName = "upstream", more: Json = {}) =>
    dr({ tls: { mode, credentialName, sni: "echo.example.com", ...more } });

  it("MUTUAL: the client certificate kubernetes://<name> and its CA kubernetes://<name>-cacert", () => {
    // caCrl names a file on the proxy: Istio applies it to file roots only.
    const rule = credential("MUTUAL", "upstream", { caCrl: "/etc/crl.pem" });
    const plan = planOf([...ECHO_PODS(), UPSTREAM, rule], ROUTER);
    expect(plan).not.toHaveProperty("crl");
    expect(plan).toMatchObject({
      kind: "originate",
      sni: "echo.example.com",
      certificate: { name: "kubernetes://upstream", ads: true },
      root: { name: "kubernetes://upstream-cacert", ads: true },
    });
    expect(plan.kind === "originate" && plan.secrets.map(s => s.name)).toEqual([
      "kubernetes://upstream",
      "kubernetes://upstream-cacert",
    ]);
  });

  it("SIMPLE: the CA alone; a kubernetes:// prefix names the same Secret", () => {
    const plan = planOf(
      [...ECHO_PODS(), UPSTREAM, credential("SIMPLE", "kubernetes://upstream")],
      ROUTER,
    );
    expect(plan).toMatchObject({ root: { name: "kubernetes://upstream-cacert", ads: true } });
    expect(plan.kind === "originate" && [plan.certificate, plan.secrets.map(s => s.name)]).toEqual([
      undefined,
      ["kubernetes://upstream-cacert"],
    ]);
  });

  it.each<[string, StoreObject[], NodeDescription, string]>([
    [
      "on a sidecar",
      [UPSTREAM, credential("SIMPLE")],
      CLIENT_SIDECAR,
      '"upstream" is honoured only on gateways',
    ],
    [
      "another scheme than kubernetes://",
      [UPSTREAM, credential("SIMPLE", "configmap://upstream")],
      ROUTER,
      '"configmap://upstream": only Kubernetes Secrets are supported',
    ],
    [
      "a Secret in another namespace than the gateway's",
      [
        secret("upstream", "default", { "tls.crt": cert, "tls.key": key, "ca.crt": cert }),
        credential("MUTUAL"),
      ],
      ROUTER,
      '"upstream": no Secret istio-system/upstream with tls.crt and tls.key',
    ],
  ])("fails closed %s", (_, objects, node, why) => {
    expect(planOf([...ECHO_PODS(), ...objects], node)).toEqual({
      kind: "fail-closed",
      problem:
        `DestinationRule default/echo: spec.trafficPolicy.tls.credentialName: ${why}; ` +
        `cluster ${CLUSTER} fails closed (no endpoints)`,
    });
  });

  it("the gateway's SDS Secrets come only from clusters that do not fail closed", () => {
    const broken = cfg("DestinationRule", "mysql", "default", {
      host: "mysql",
      trafficPolicy: { tls: { mode: "SIMPLE", credentialName: "absent" } },
    });
    const scope = scopeOf([...ECHO_PODS(), MYSQL, UPSTREAM, credential("MUTUAL"), broken], ROUTER);
    const clusters = outboundClusters(scope);
    expect(
      clusters.find(c => c.name.endsWith("mysql.default.svc.cluster.local"))?.failClosed,
    ).toMatch(
      /"absent": no Secret istio-system\/absent-cacert or istio-system\/absent with ca.crt/,
    );
    expect(upstreamCredentialSecrets(scope, clusters).map(s => s.name)).toEqual([
      "kubernetes://upstream",
      "kubernetes://upstream-cacert",
    ]);
    const echoCluster = outboundCluster(scope, CLUSTER);
    expect(upstreamCredentialSecrets(scope, [{ ...echoCluster, failClosed: "closed" }])).toEqual(
      [],
    );
  });
});

describe("proxyless gRPC clusters", () => {
  it.each([
    ["SIMPLE", "fails closed", { mode: "SIMPLE" }, true],
    [
      "MUTUAL",
      "fails closed",
      { mode: "MUTUAL", clientCertificate: "/c.pem", privateKey: "/k.pem" },
      true,
    ],
    ["ISTIO_MUTUAL", "is honoured", { mode: "ISTIO_MUTUAL" }, false],
    ["DISABLE", "is honoured", { mode: "DISABLE" }, false],
  ])("%s %s", (mode, _, tls, fails) => {
    const scope = scopeOf([...ECHO_PODS(), dr({ tls })], CLIENT_GRPC);
    const c = outboundCluster(scope, CLUSTER);
    const problem = fails
      ? `DestinationRule default/echo: spec.trafficPolicy.tls.mode: ${mode} is not supported for ` +
        `proxyless gRPC (only ISTIO_MUTUAL and DISABLE are); cluster ${CLUSTER} fails closed (no endpoints)`
      : undefined;
    expect(grpcTlsProblem(scope, c)).toBe(problem);
    expect(upstreamTlsReport(scope, c)).toEqual(problem ? { failClosed: problem } : {});
  });
});

describe("upstreamTlsWarnings", () => {
  it("lists why clusters fail closed (instead of their notes) and the notes of the others, in order", () => {
    expect(
      upstreamTlsWarnings([
        { failClosed: "a fails", notes: ["not this"] },
        {},
        { notes: ["b", "c"] },
        { failClosed: "d fails" },
      ]),
    ).toEqual(["a fails", "b", "c", "d fails"]);
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
