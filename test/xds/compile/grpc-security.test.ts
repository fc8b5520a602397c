/**
 * What proxyless gRPC listeners and clusters carry for PeerAuthentication, AuthorizationPolicy
 * and DestinationRule TLS, one case per row, asserted on resources decoded from their bytes.
 */
import { storeOf, type StoreObject } from "../../../mesh/store";
import { compile } from "../../../xds/compile";
import { checkedSnapshot, decoded, grpcNode, named, istioObject } from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const MESHED = { "security.istio.io/tlsMode": "istio" };
const LISTENER = "xds.istio.io/grpc/lds/inbound/10.0.0.5:8080";
const CLUSTER = "outbound|9080||echo.default.svc.cluster.local";

const cfg = istioObject;

/** Service echo:9080 → 8080, one pod per entry of `pods` (labels, template, service account). */
function echo(pods: { labels: Json; proxyless?: boolean; sa?: string }[]): StoreObject[] {
  return [
    {
      kind: "Service",
      metadata: { name: "echo", namespace: "default" },
      spec: { selector: { app: "echo" }, ports: [{ name: "grpc", port: 9080, targetPort: 8080 }] },
    } as StoreObject,
    ...pods.map(
      (p, i) =>
        ({
          kind: "Pod",
          metadata: {
            name: `echo-${i}`,
            namespace: "default",
            labels: { app: "echo", ...p.labels },
            annotations: p.proxyless ? { "inject.istio.io/templates": "grpc-agent" } : {},
          },
          spec: { serviceAccountName: p.sa ?? "echo" },
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
      ports: [{ name: "grpc", port: 8080 }],
    } as StoreObject,
  ];
}

function compiled(objects: StoreObject[], ip: string, labels: Json) {
  const r = compile(storeOf(objects), grpcNode(ip, "w", "default", labels));
  if (!r.ok) throw new Error(r.errors.join("\n"));
  checkedSnapshot(r.value); // every resource passes the encoder and consistency check
  return r.value;
}

const serverChain = (objects: StoreObject[], labels: Json = { app: "echo", ...MESHED }) =>
  (decoded(named(compiled(objects, "10.0.0.5", labels).listeners, LISTENER)) as Json)
    .filter_chains[0] as Json;

const clusterOf = (objects: StoreObject[]) =>
  decoded(named(compiled(objects, "10.0.0.99", { app: "client" }).clusters, CLUSTER)) as Json;

const mesh = (mode: string) =>
  cfg("PeerAuthentication", "default", "istio-system", { mtls: { mode } });

describe("proxyless gRPC server listener: mTLS per PeerAuthentication", () => {
  it.each([
    ["no policy (PERMISSIVE), workload with certificates", [], MESHED, true],
    ["no policy (PERMISSIVE), workload without certificates", [], {}, false],
    ["mesh STRICT", [mesh("STRICT")], {}, true],
    ["mesh DISABLE", [mesh("DISABLE")], MESHED, false],
    [
      "namespace DISABLE over mesh STRICT",
      [mesh("STRICT"), cfg("PeerAuthentication", "ns", "default", { mtls: { mode: "DISABLE" } })],
      MESHED,
      false,
    ],
    [
      "port-level STRICT over workload DISABLE",
      [
        cfg("PeerAuthentication", "w", "default", {
          selector: { matchLabels: { app: "echo" } },
          mtls: { mode: "DISABLE" },
          portLevelMtls: { 8080: { mode: "STRICT" } },
        }),
      ],
      {},
      true,
    ],
  ])("%s", (_, policies, labels, tls) => {
    const chain = serverChain([...echo([{ labels }]), ...(policies as StoreObject[])], {
      app: "echo",
      ...labels,
    });
    expect(chain.name).toBe(tls ? "inbound-mtls|8080" : "inbound-plaintext|8080");
    if (!tls) return expect(chain.transport_socket).toBeUndefined();
    expect(chain.transport_socket).toEqual({
      name: "envoy.transport_sockets.tls",
      typed_config: {
        "@type":
          "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
        common_tls_context: {
          tls_certificate_provider_instance: {
            instance_name: "default",
            certificate_name: "default",
          },
          validation_context: {
            ca_certificate_provider_instance: {
              instance_name: "default",
              certificate_name: "ROOTCA",
            },
          },
        },
        require_client_certificate: { value: true },
      },
    });
  });
});

describe("proxyless gRPC server listener: RBAC filters", () => {
  const deny = (ns: string, selector?: Json) =>
    cfg("AuthorizationPolicy", "deny", ns, {
      ...(selector ? { selector: { matchLabels: selector } } : {}),
      action: "DENY",
      rules: [{ to: [{ operation: { paths: ["/x.Y/Z"] } }] }],
    });
  const allow = cfg("AuthorizationPolicy", "allow", "default", {
    rules: [{ from: [{ source: { principals: ["cluster.local/ns/default/sa/client"] } }] }],
  });
  const filters = (policies: StoreObject[]) =>
    serverChain([
      ...echo([{ labels: MESHED }]),
      ...policies,
    ]).filters[0].typed_config.http_filters.map((f: Json) => f.name);

  it.each([
    ["no policy", [], []],
    [
      "DENY then ALLOW, router last",
      [allow, deny("default")],
      ["envoy.filters.http.rbac.DENY", "envoy.filters.http.rbac"],
    ],
    [
      "a root-namespace policy applies mesh-wide",
      [deny("istio-system")],
      ["envoy.filters.http.rbac.DENY"],
    ],
    ["another namespace's policy does not", [deny("other")], []],
    ["a selector not matching the workload does not", [deny("default", { app: "other" })], []],
    [
      "a selector matching it does",
      [deny("default", { app: "echo" })],
      ["envoy.filters.http.rbac.DENY"],
    ],
  ])("%s", (_, policies, want) => {
    expect(filters(policies as StoreObject[])).toEqual([...want, "envoy.filters.http.router"]);
  });

  it("matches the principal as the SPIFFE URI of the peer certificate", () => {
    const chain = serverChain([...echo([{ labels: MESHED }]), allow]);
    expect(JSON.stringify(chain.filters[0].typed_config.http_filters[0])).toContain(
      "spiffe://cluster.local/ns/default/sa/client",
    );
  });
});

describe("proxyless gRPC client cluster: auto-mTLS and secure naming", () => {
  const sans = (c: Json) =>
    c.transport_socket?.typed_config.common_tls_context.validation_context.match_subject_alt_names?.map(
      (m: Json) => m.exact,
    );
  const dr = (tls: Json) =>
    cfg("DestinationRule", "echo", "default", { host: "echo", trafficPolicy: { tls } });
  const ECHO_ID = "spiffe://cluster.local/ns/default/sa/echo";

  it.each([
    [
      "proxyless, certificates, PERMISSIVE (it listens mTLS)",
      [{ labels: MESHED, proxyless: true }],
      [],
      [ECHO_ID],
    ],
    [
      "proxyless without certificates",
      [{ labels: {}, proxyless: true }],
      [mesh("STRICT")],
      undefined,
    ],
    ["sidecar workload, PERMISSIVE (takes plaintext)", [{ labels: MESHED }], [], undefined],
    ["sidecar workload, STRICT", [{ labels: MESHED }], [mesh("STRICT")], [ECHO_ID]],
    ["mesh DISABLE", [{ labels: MESHED, proxyless: true }], [mesh("DISABLE")], undefined],
    [
      "one workload takes plaintext: the whole cluster is plaintext",
      [{ labels: MESHED, proxyless: true }, { labels: {} }],
      [mesh("STRICT")],
      undefined,
    ],
    [
      "two service accounts: both identities accepted",
      [
        { labels: MESHED, proxyless: true },
        { labels: MESHED, proxyless: true, sa: "echo-canary" },
      ],
      [],
      [
        "spiffe://cluster.local/ns/default/sa/echo",
        "spiffe://cluster.local/ns/default/sa/echo-canary",
      ],
    ],
    [
      "DestinationRule DISABLE wins over auto-mTLS",
      [{ labels: MESHED, proxyless: true }],
      [dr({ mode: "DISABLE" })],
      undefined,
    ],
    [
      "DestinationRule ISTIO_MUTUAL to an unmeshed workload",
      [{ labels: {} }],
      [dr({ mode: "ISTIO_MUTUAL" })],
      [ECHO_ID],
    ],
    [
      "DestinationRule ISTIO_MUTUAL with its own subjectAltNames",
      [{ labels: {} }],
      [dr({ mode: "ISTIO_MUTUAL", subjectAltNames: ["spiffe://other/ns/x/sa/y"] })],
      ["spiffe://other/ns/x/sa/y"],
    ],
  ])("%s", (_, pods, config, want) => {
    const c = clusterOf([...echo(pods), ...(config as StoreObject[])]);
    expect(sans(c)).toEqual(want);
    if (want)
      expect(
        c.transport_socket.typed_config.common_tls_context.tls_certificate_provider_instance,
      ).toEqual({
        instance_name: "default",
        certificate_name: "default",
      });
  });
});
