/**
 * The DownstreamTlsContext an Envoy sidecar terminates mesh mTLS with on `virtualInbound`: its
 * own workload certificate `default`, client certificates required and verified against the
 * mesh root `ROOTCA`, both fetched over SDS from the pilot-agent (the bootstrap's `sds-grpc`
 * cluster), never from the control plane — the private key stays in the pod.
 *
 * @see istio/istio pilot/pkg/security/authn/utils/utils.go (BuildInboundTLS)
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/transport_sockets/tls/v3/tls.proto
 */
import { TLS_TRANSPORT_SOCKET } from "./grpc-tls";
import { agentSdsSecret, SDS_IDENTITY, SDS_MESH_ROOT } from "./sds-config";
import type { TransportSocket } from "../shared/envoy";
import { UNSET_TLS_SETTINGS, type MeshTlsSettings } from "../../../mesh/meshconfig/mesh-tls";

/** The type URL of the server-side TLS context. */
export const DOWNSTREAM_TLS_CONTEXT =
  "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext";

/**
 * ALPN the server offers, for HTTP and TCP chains alike. Istio offers `istio-peer-exchange`
 * first on TCP chains, for its metadata-exchange filter; Rigging has no such filter, so it
 * offers what Istio offers with that exchange off (`DISABLE_MX_ALPN`): negotiating
 * `istio-peer-exchange` would make an Istio client send an exchange header the app would read.
 * Never `istio`: that value only selects the filter chain and would break HTTP/2 negotiation.
 */
export const INBOUND_ALPN = ["h2", "http/1.1"] as const;

/** Istio's server cipher suites for mesh mTLS (`SupportedCiphers`), strongest first. */
export const MESH_CIPHER_SUITES = [
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "AES256-GCM-SHA384",
  "AES128-GCM-SHA256",
] as const;

/**
 * The mTLS transport socket of an inbound filter chain. A peer must hold a certificate of the mesh
 * root whose URI SAN is in one of `trustDomains` (`spiffe://<td>/` prefixes: the mesh's trust
 * domain and its aliases), as istiod checks (pilot/pkg/networking/plugin/authn/util.go,
 * TrustDomainsForValidation; found by the xDS diff against istiod). Which identities may call is
 * then the RBAC filters' decision, from that SAN. MeshConfig `meshMTLS` raises the minimum to
 * TLS 1.3 and replaces the cipher suites (Istio's policy_applier.go and BuildInboundTLS).
 */
export function inboundMtlsSocket(
  trustDomains: readonly string[],
  meshMtls: MeshTlsSettings = UNSET_TLS_SETTINGS,
): TransportSocket {
  return {
    name: TLS_TRANSPORT_SOCKET,
    typed_config: {
      "@type": DOWNSTREAM_TLS_CONTEXT,
      common_tls_context: {
        // TLS 1.2 (Istio's GetMinTLSVersion for anything but TLSV1_3) up to 1.3.
        tls_params: {
          tls_minimum_protocol_version:
            meshMtls.minProtocolVersion === "TLSV1_3" ? "TLSv1_3" : "TLSv1_2",
          tls_maximum_protocol_version: "TLSv1_3",
          cipher_suites:
            meshMtls.cipherSuites.length > 0 ? [...meshMtls.cipherSuites] : [...MESH_CIPHER_SUITES],
        },
        alpn_protocols: [...INBOUND_ALPN],
        tls_certificate_sds_secret_configs: [agentSdsSecret(SDS_IDENTITY)],
        combined_validation_context: {
          default_validation_context:
            trustDomains.length > 0
              ? { match_subject_alt_names: trustDomains.map(td => ({ prefix: `spiffe://${td}/` })) }
              : {},
          validation_context_sds_secret_config: agentSdsSecret(SDS_MESH_ROOT),
        },
      },
      require_client_certificate: { value: true },
    },
  };
}
