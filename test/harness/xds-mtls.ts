/**
 * mTLS for proxyless gRPC in tests: the xDS transport sockets Istio sends grpc-js-xds (TLS from a
 * `file_watcher` certificate provider named `default`, peers checked by SPIFFE SAN) and a
 * bootstrap that declares that provider over a folder `rig agent certs` writes.
 */
import type { ResourceObject } from "../../xds/encode/encode-resource";
import { bootstrapJson, BOOTSTRAP_OPTION } from "./xds-bootstrap";

const T = "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.";

const common = (sans?: readonly string[]) => ({
  tls_certificate_provider_instance: { instance_name: "default", certificate_name: "default" },
  validation_context: {
    ca_certificate_provider_instance: { instance_name: "default", certificate_name: "ROOTCA" },
    ...(sans ? { match_subject_alt_names: sans.map(exact => ({ exact })) } : {}),
  },
});

/** Adds a DownstreamTlsContext requiring client certificates to every filter chain. */
export function withServerMtls(listener: ResourceObject): ResourceObject {
  const chains = (listener as unknown as { filter_chains: Record<string, unknown>[] })
    .filter_chains;
  return {
    ...listener,
    filter_chains: chains.map(chain => ({
      ...chain,
      transport_socket: {
        name: "envoy.transport_sockets.tls",
        typed_config: {
          "@type": `${T}DownstreamTlsContext`,
          require_client_certificate: { value: true },
          common_tls_context: common(),
        },
      },
    })),
  };
}

/** Adds an UpstreamTlsContext accepting only servers with one of `sans`. */
export function withClientMtls(cluster: ResourceObject, sans: readonly string[]): ResourceObject {
  return {
    ...cluster,
    transport_socket: {
      name: "envoy.transport_sockets.tls",
      typed_config: { "@type": `${T}UpstreamTlsContext`, common_tls_context: common(sans) },
    },
  };
}

/** Channel/server options: a bootstrap whose `default` provider watches `certDir`. */
export function mtlsBootstrapOptions(
  adsPort: number,
  nodeId: string,
  certDir: string,
): Record<string, string> {
  const bootstrap = JSON.parse(bootstrapJson(adsPort, nodeId)) as Record<string, unknown>;
  bootstrap.certificate_providers = {
    default: {
      plugin_name: "file_watcher",
      config: {
        certificate_file: `${certDir}/cert-chain.pem`,
        private_key_file: `${certDir}/key.pem`,
        ca_certificate_file: `${certDir}/root-cert.pem`,
        refresh_interval: "1s",
      },
    },
  };
  return { [BOOTSTRAP_OPTION]: JSON.stringify(bootstrap) };
}
