/**
 * What MeshConfig `enableAutoMtls` changes in the TLS of outbound clusters, asserted on the
 * Clusters decoded from their bytes.
 */
import type { StoreObject } from "../../../../mesh/store";
import { cfg, type Json } from "../grpc-echo";
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
