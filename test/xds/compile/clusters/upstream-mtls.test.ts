/**
 * Proxyless gRPC client clusters: auto-mTLS when every endpoint takes it, and secure naming by
 * the service accounts behind the service (under the mesh's trust domain and its aliases, on
 * Envoy clusters too), asserted on Clusters decoded from their bytes.
 */
import type { StoreObject } from "../../../../mesh/store";
import type { MeshOptions } from "../../../../xds/compile";
import { cfg, clusterOf, echo, MESHED, mesh, type Json } from "../grpc-echo";
import {
  build,
  cluster,
  CLIENT_GRPC,
  CLIENT_SIDECAR,
  ECHO,
  ECHO_GRPC,
  ECHO_HTTP,
} from "../mesh-authz";

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

describe("trustDomain and trustDomainAliases", () => {
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
