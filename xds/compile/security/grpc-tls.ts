/**
 * TLS transport sockets for proxyless gRPC. Certificates come from the bootstrap's
 * `file_watcher` certificate provider instance `default` (the workload's key and chain as
 * `default`, the mesh root as `ROOTCA`), which is how Istio's grpc-agent bootstrap hands them to
 * grpc-js-xds; there is no SDS for proxyless gRPC.
 *
 * @see istio/istio pilot/pkg/networking/grpcgen/grpcgen.go (buildCommonTLSContext)
 * @see https://github.com/grpc/proposal/blob/master/A29-xds-tls-security.md
 */
import type { CommonTlsContext, TransportSocket } from "../shared/envoy";

const T = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.";

/** The transport socket name grpc-js-xds requires (it rejects any other). */
export const TLS_TRANSPORT_SOCKET = "envoy.transport_sockets.tls";

/** Istio's certificate provider instance and certificate names for proxyless gRPC. */
export const GRPC_CERT_PROVIDER = {
  instance: "default",
  identity: "default",
  root: "ROOTCA",
} as const;

function commonTlsContext(sans: readonly string[]): CommonTlsContext {
  return {
    tls_certificate_provider_instance: {
      instance_name: GRPC_CERT_PROVIDER.instance,
      certificate_name: GRPC_CERT_PROVIDER.identity,
    },
    validation_context: {
      ca_certificate_provider_instance: {
        instance_name: GRPC_CERT_PROVIDER.instance,
        certificate_name: GRPC_CERT_PROVIDER.root,
      },
      ...(sans.length > 0 ? { match_subject_alt_names: sans.map(exact => ({ exact })) } : {}),
    },
  };
}

/**
 * A server's mTLS socket: its mesh certificate, client certificates required and checked
 * against the mesh root. No SAN match: gRPC servers do not support one (authorization by
 * identity is the RBAC filter's job).
 */
export function downstreamMtlsSocket(): TransportSocket {
  return {
    name: TLS_TRANSPORT_SOCKET,
    typed_config: {
      "@type": `${T}DownstreamTlsContext`,
      common_tls_context: commonTlsContext([]),
      require_client_certificate: { value: true },
    },
  };
}

/**
 * A client's ISTIO_MUTUAL socket: its mesh certificate, the server checked against the mesh
 * root and — secure naming — against `sans`, the SPIFFE identities allowed to serve the
 * destination. With no known identity any mesh certificate is accepted, as in Istio.
 */
export function upstreamMtlsSocket(sans: readonly string[]): TransportSocket {
  return {
    name: TLS_TRANSPORT_SOCKET,
    typed_config: { "@type": `${T}UpstreamTlsContext`, common_tls_context: commonTlsContext(sans) },
  };
}
