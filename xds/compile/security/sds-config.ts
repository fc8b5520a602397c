/**
 * Where an Envoy TLS context fetches a certificate from, as Istio writes it (`SdsSecretConfig`):
 * the mesh identity `default`, the mesh root `ROOTCA` and `file-cert:`/`file-root:` names from
 * the istio-agent's SDS server (the bootstrap's `sds-grpc` cluster); `kubernetes://` names
 * (`credentialName`) from the control plane on the ADS stream.
 *
 * @see istio/istio pkg/model/authentication.go (ConstructSdsSecretConfig)
 * @see istio/istio pilot/pkg/security/model/authentication.go (ConstructSdsSecretConfigForCredential)
 */
import type { SdsSecretConfig } from "../shared/envoy";

/** Istio's SDS name of the proxy's own mesh certificate. */
export const SDS_IDENTITY = "default";
/** Istio's SDS name of the mesh root certificate. */
export const SDS_MESH_ROOT = "ROOTCA";
/** The bootstrap cluster of the istio-agent's SDS server. */
export const SDS_AGENT_CLUSTER = "sds-grpc";

const ZERO = { seconds: 0, nanos: 0 };

/**
 * A secret the istio-agent serves. Istio waits for the mesh identity and root without a timeout
 * (`initial_fetch_timeout: 0s`) — the agent always has them — and leaves file secrets at
 * Envoy's default.
 */
export function agentSdsSecret(name: string): SdsSecretConfig {
  const mesh = name === SDS_IDENTITY || name === SDS_MESH_ROOT;
  return {
    name,
    sds_config: {
      api_config_source: {
        api_type: "GRPC",
        set_node_on_first_message_only: true,
        transport_api_version: "V3",
        grpc_services: [{ envoy_grpc: { cluster_name: SDS_AGENT_CLUSTER } }],
      },
      ...(mesh ? { initial_fetch_timeout: ZERO } : {}),
      resource_api_version: "V3",
    },
  };
}

/**
 * A secret the control plane serves on the proxy's ADS stream (a `credentialName`). No
 * `initial_fetch_timeout: 0s`, as in Istio: a Secret that never comes must not block the
 * cluster forever (the compiler only references Secrets it serves anyway).
 */
export function adsSdsSecret(name: string): SdsSecretConfig {
  return { name, sds_config: { ads: {}, resource_api_version: "V3" } };
}
