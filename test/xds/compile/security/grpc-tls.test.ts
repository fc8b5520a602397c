/** The mTLS transport socket of a proxyless gRPC server listener, per PeerAuthentication. */
import type { StoreObject } from "../../../../mesh/store";
import { cfg, echo, mesh, MESHED, serverChain } from "../grpc-echo";

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
