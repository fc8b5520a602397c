/**
 * The Envoy side of an outbound cluster's TLS plan (`upstream-tls-plan.ts`): its
 * `transport_socket`, or for auto-mTLS its `transport_socket_matches` — `tlsMode-istio` for
 * endpoints whose EDS metadata says `tlsMode: istio`, `tlsMode-disabled` (plaintext) for the
 * rest — and the HTTP options that let Envoy take SNI from the request.
 *
 * @see istio/istio pilot/pkg/networking/core/cluster_tls.go (applyUpstreamTLSSettings)
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/cluster.proto#config-cluster-v3-cluster-transportsocketmatch
 */
import { TLS_TRANSPORT_SOCKET } from "../security/grpc-tls";
import { adsSdsSecret, agentSdsSecret, SDS_IDENTITY, SDS_MESH_ROOT } from "../security/sds-config";
import type { SdsRef, UpstreamTlsPlan } from "./upstream-tls-plan";
import { UNSET_TLS_SETTINGS, type MeshTlsSettings } from "../../../mesh/meshconfig/mesh-tls";
import type {
  CertificateValidationContext,
  Cluster,
  Cluster_TransportSocketMatch,
  CommonTlsContext,
  SdsSecretConfig,
  TlsParameters,
  TransportSocket,
  UpstreamHttpProtocolOptions,
  UpstreamTlsContext,
} from "../shared/envoy";

const UPSTREAM_TLS =
  "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext";
const RAW_BUFFER = "type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer";

/** The endpoint metadata key Envoy matches `transport_socket_matches` against. */
export const TRANSPORT_SOCKET_MATCH_KEY = "envoy.transport_socket_match";

/** Istio's upstream defaults: at least TLS 1.2, at most 1.3. */
const TLS_PARAMS: TlsParameters = {
  tls_minimum_protocol_version: "TLSv1_2",
  tls_maximum_protocol_version: "TLSv1_3",
};

/**
 * ALPN Istio offers to mesh peers: `istio` marks mesh traffic, `istio-peer-exchange` asks for
 * TCP metadata exchange; HTTP/2 clusters add `h2`.
 */
const MESH_ALPN = ["istio-peer-exchange", "istio"];

const sds = (ref: SdsRef): SdsSecretConfig =>
  ref.ads ? adsSdsSecret(ref.name) : agentSdsSecret(ref.name);

const sanMatchers = (sans: readonly string[]): CertificateValidationContext =>
  sans.length > 0 ? { match_subject_alt_names: sans.map(exact => ({ exact })) } : {};

function tlsSocket(context: UpstreamTlsContext): TransportSocket {
  return { name: TLS_TRANSPORT_SOCKET, typed_config: { "@type": UPSTREAM_TLS, ...context } };
}

/** ISTIO_MUTUAL: the proxy's mesh certificate, the server checked against the mesh root and SANs. */
function istioMutualSocket(sans: readonly string[], sni: string, h2: boolean): TransportSocket {
  return tlsSocket({
    common_tls_context: {
      tls_params: TLS_PARAMS,
      alpn_protocols: h2 ? [...MESH_ALPN, "h2"] : MESH_ALPN,
      tls_certificate_sds_secret_configs: [agentSdsSecret(SDS_IDENTITY)],
      combined_validation_context: {
        default_validation_context: sanMatchers(sans),
        validation_context_sds_secret_config: agentSdsSecret(SDS_MESH_ROOT),
      },
    },
    sni,
  });
}

/**
 * Istio's upstream TLS versions with MeshConfig `tlsDefaults`' curves and ciphers (its minimum
 * version is for servers only: applyTLSDefaults leaves the client's at 1.2).
 */
function originationParams(tlsDefaults: MeshTlsSettings): TlsParameters {
  return {
    ...TLS_PARAMS,
    ...(tlsDefaults.ecdhCurves.length > 0 ? { ecdh_curves: [...tlsDefaults.ecdhCurves] } : {}),
    ...(tlsDefaults.cipherSuites.length > 0
      ? { cipher_suites: [...tlsDefaults.cipherSuites] }
      : {}),
  };
}

/** SIMPLE or MUTUAL to a server outside the mesh's identities. */
function originationSocket(
  plan: Extract<UpstreamTlsPlan, { kind: "originate" }>,
  h2: boolean,
  tlsDefaults: MeshTlsSettings,
): TransportSocket {
  const common: CommonTlsContext = { tls_params: originationParams(tlsDefaults) };
  if (plan.certificate) common.tls_certificate_sds_secret_configs = [sds(plan.certificate)];
  if (plan.root) {
    common.combined_validation_context = {
      default_validation_context: {
        ...sanMatchers(plan.sans),
        ...(plan.crl ? { crl: { filename: plan.crl } } : {}),
      },
      validation_context_sds_secret_config: sds(plan.root),
    };
  } else {
    // insecureSkipVerify: any server certificate is accepted.
    common.validation_context = {};
  }
  if (h2) common.alpn_protocols = ["h2"];
  return tlsSocket({ common_tls_context: common, ...(plan.sni ? { sni: plan.sni } : {}) });
}

/** Auto-mTLS: mTLS to endpoints with mesh certificates, plaintext to the others. */
function autoMtlsMatches(socket: TransportSocket): Cluster_TransportSocketMatch[] {
  return [
    {
      name: "tlsMode-istio",
      match: { fields: { tlsMode: { string_value: "istio" } } },
      transport_socket: socket,
    },
    {
      name: "tlsMode-disabled",
      match: {},
      transport_socket: {
        name: "envoy.transport_sockets.raw_buffer",
        typed_config: { "@type": RAW_BUFFER },
      },
    },
  ];
}

/**
 * The cluster fields carrying `plan`: `transport_socket`, or `transport_socket_matches` for
 * auto-mTLS (except to an original destination, which Istio only auto-mTLSes when every
 * endpoint has mesh certificates, so one socket serves all). Nothing for plaintext.
 */
export function upstreamTlsFields(
  plan: UpstreamTlsPlan,
  h2: boolean,
  originalDst: boolean,
  tlsDefaults: MeshTlsSettings = UNSET_TLS_SETTINGS,
): Pick<Cluster, "transport_socket" | "transport_socket_matches"> {
  switch (plan.kind) {
    case "istio-mutual": {
      const socket = istioMutualSocket(plan.sans, plan.sni, h2);
      return plan.auto && !originalDst
        ? { transport_socket_matches: autoMtlsMatches(socket) }
        : { transport_socket: socket };
    }
    case "originate":
      return { transport_socket: originationSocket(plan, h2, tlsDefaults) };
    default:
      return {};
  }
}

/**
 * `upstream_http_protocol_options` for an origination without a fixed SNI: Envoy sends the
 * request's host as SNI and, when the rule names no SANs, checks the certificate against it.
 */
export function upstreamHttpOptions(
  plan: UpstreamTlsPlan,
): UpstreamHttpProtocolOptions | undefined {
  if (plan.kind !== "originate" || (!plan.autoSni && !plan.autoSanValidation)) return undefined;
  return {
    ...(plan.autoSni ? { auto_sni: true } : {}),
    ...(plan.autoSanValidation ? { auto_san_validation: true } : {}),
  };
}
