/**
 * mTLS for proxyless gRPC in tests: the xDS transport sockets Istio sends grpc-js-xds (TLS from a
 * `file_watcher` certificate provider named `default`, peers checked by SPIFFE SAN) and a
 * bootstrap that declares that provider over a folder `rig agent certs` writes.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Authority } from "../../ca/authority";
import { issueWorkloadCertificate } from "../../ca/issue";
import { systemClock, systemRandomBytes } from "../../ca/server/node-crypto";
import { DEFAULT_TTL_POLICY } from "../../ca/ttl";
import type { ResourceObject } from "../../xds/encode/encode-resource";
import { makeCsr, rsaKeyPair } from "../ca/fixtures";
import { grpcBootstrapOptions } from "../../cli/dev/workloads/grpc-bootstrap";

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

/**
 * Channel/server options: a bootstrap whose `default` provider watches `certDir`; `labels`
 * become the node's `LABELS` metadata (what workload selectors see).
 */
export function mtlsBootstrapOptions(
  adsPort: number,
  nodeId: string,
  certDir: string,
  labels?: Record<string, string>,
): Record<string, string> {
  return grpcBootstrapOptions({ xdsAddress: `127.0.0.1:${adsPort}`, nodeId, certDir, labels });
}

/**
 * Issues `spiffe://cluster.local/ns/default/sa/<sa>` from `authority` into `<root>/<sa>`, laid out
 * as `rig agent certs` writes it (cert-chain.pem, key.pem, root-cert.pem); returns the folder.
 */
export function writeWorkloadCertFolder(
  authority: Authority,
  rootPem: string,
  sa: string,
  root: string,
): string {
  const key = rsaKeyPair();
  const issued = issueWorkloadCertificate(
    authority,
    {
      csrPem: makeCsr(key.privateKeyPem, [{ uri: `spiffe://cluster.local/ns/default/sa/${sa}` }]),
      identity: { trustDomain: "cluster.local", namespace: "default", serviceAccount: sa },
      requestedTtlSeconds: 3600,
    },
    DEFAULT_TTL_POLICY,
    { now: systemClock, randomBytes: systemRandomBytes },
  );
  if (!issued.ok) throw new Error(issued.errors.join("\n"));
  const dir = join(root, sa);
  mkdirSync(dir);
  writeFileSync(join(dir, "cert-chain.pem"), issued.value.certChain.join(""));
  writeFileSync(join(dir, "key.pem"), key.privateKeyPem);
  writeFileSync(join(dir, "root-cert.pem"), rootPem);
  return dir;
}
