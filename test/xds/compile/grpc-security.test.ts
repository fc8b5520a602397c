/**
 * What proxyless gRPC clients' clusters carry for PeerAuthentication and DestinationRule TLS
 * (auto-mTLS and secure naming, clusters/upstream-mtls.ts), one case per row, asserted on
 * resources decoded from their bytes. The server listener's blocks are in
 * security/grpc-tls.test.ts and security/grpc-server-authz.test.ts.
 */
import type { StoreObject } from "../../../mesh/store";
import { cfg, clusterOf, echo, mesh, MESHED, type Json } from "./grpc-echo";

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
