/**
 * A gateway server's DownstreamTlsContext, with certificates over SDS named as Istio names them:
 * - `credentialName` (SIMPLE, MUTUAL): `kubernetes://<name>` and, for MUTUAL, the client CA
 *   `kubernetes://<name>-cacert` (or `kubernetes://<caCertCredentialName>`), served by the
 *   control plane over ADS from the Kubernetes Secret;
 * - ISTIO_MUTUAL: the gateway's own mesh certificate `default` and the mesh root `ROOTCA`,
 *   from the istio-agent's SDS server (the bootstrap's `sds-grpc` cluster);
 * - file paths (`serverCertificate`, `privateKey` or each of `tlsCertificates`, and
 *   `caCertificates`): `file-cert:<cert>~<key>` and `file-root:<ca>`, which the agent's SDS
 *   server reads from the gateway's disk.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/gateway/#ServerTLSSettings
 * @see istio/istio pilot/pkg/networking/core/gateway.go (buildGatewayListenerTLSContext)
 * @see istio/istio pilot/pkg/model/authentication.go (ConstructSdsSecretConfig*)
 */
import { adsSdsSecret, agentSdsSecret, SDS_IDENTITY, SDS_MESH_ROOT } from "../security/sds-config";
import type { GatewayServerSpec } from "./gateway-model";
import { UNSET_TLS_SETTINGS, type MeshTlsSettings } from "../../../mesh/meshconfig/mesh-tls";
import { filterCipherSuites } from "../../../mesh/validation/tls-names";
import { TLS_TRANSPORT_SOCKET } from "../security/grpc-tls";
import type {
  AnyOf,
  CertificateValidationContext,
  CommonTlsContext,
  SdsSecretConfig,
  TlsParameters,
  TlsParameters_TlsProtocol,
  TransportSocket,
} from "../shared/envoy";

/** A server's `tls` block. */
export type ServerTls = NonNullable<GatewayServerSpec["tls"]>;

const DOWNSTREAM_TLS =
  "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext";

/** Istio's prefix for secrets read from Kubernetes (`credentialName`). */
export const CREDENTIAL_PREFIX = "kubernetes://";
/** The suffix of the Secret (or key) holding a MUTUAL server's client CA. */
export const CA_CERT_SUFFIX = "-cacert";

/**
 * ALPN a terminating server offers, HTTPS and TLS-terminated TCP alike: Istio's `ALPNHttp`.
 * For an ISTIO_MUTUAL TCP server istiod offers `istio-peer-exchange` first
 * (`ALPNDownstreamWithMxc`) for its metadata-exchange filter; Rigging has no such filter, so it
 * offers what istiod offers with that exchange off (`PILOT_DISABLE_MX_ALPN`: `ALPNDownstream`,
 * the same list), as its sidecars' inbound chains do (`inbound-tls.ts`).
 */
const ALPN_HTTP = ["h2", "http/1.1"];

const PROTOCOLS: Readonly<Record<string, TlsParameters_TlsProtocol | undefined>> = {
  TLSV1_0: "TLSv1_0",
  TLSV1_1: "TLSv1_1",
  TLSV1_2: "TLSv1_2",
  TLSV1_3: "TLSv1_3",
};

/**
 * The server's TLS versions, curves and ciphers, only for SIMPLE, MUTUAL and OPTIONAL_MUTUAL
 * (istiod's isSimpleOrMutual: an ISTIO_MUTUAL server keeps the mesh's TLS settings): MeshConfig
 * `tlsDefaults` first, then what the server sets itself, its cipher suites without names Envoy
 * would refuse (the validator warns about those). Envoy's own downstream defaults (TLS 1.2 to
 * 1.3) apply to what neither sets.
 * @see istio/istio pilot/pkg/networking/core/listener.go (applyDownstreamTLSDefaults, applyServerTLSSettings)
 * @see istio/istio pilot/pkg/networking/core/gateway.go (FilterCipherSuites on server.tls)
 */
function tlsParams(
  tls: ServerTls,
  mode: string,
  defaults: MeshTlsSettings,
): TlsParameters | undefined {
  if (mode !== "SIMPLE" && mode !== "MUTUAL" && mode !== "OPTIONAL_MUTUAL") return undefined;
  const out: TlsParameters = {};
  if (defaults.ecdhCurves.length > 0) out.ecdh_curves = [...defaults.ecdhCurves];
  if (defaults.cipherSuites.length > 0) out.cipher_suites = [...defaults.cipherSuites];
  if (defaults.minProtocolVersion !== "TLS_AUTO")
    out.tls_minimum_protocol_version = PROTOCOLS[defaults.minProtocolVersion];
  const min = PROTOCOLS[tls.minProtocolVersion ?? ""];
  if (min) out.tls_minimum_protocol_version = min;
  const ciphers = filterCipherSuites(tls.cipherSuites ?? []);
  if (ciphers.length > 0) out.cipher_suites = ciphers;
  const max = PROTOCOLS[tls.maxProtocolVersion ?? ""];
  if (max) out.tls_maximum_protocol_version = max;
  if (tls.ecdhCurves && tls.ecdhCurves.length > 0) out.ecdh_curves = [...tls.ecdhCurves];
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The client-certificate checks that do not need a CA: SANs, SPKI and hash pins. */
function defaultValidation(tls: ServerTls): CertificateValidationContext {
  const out: CertificateValidationContext = {};
  if (tls.subjectAltNames?.length)
    out.match_subject_alt_names = tls.subjectAltNames.map(exact => ({ exact }));
  if (tls.verifyCertificateSpki?.length)
    out.verify_certificate_spki = [...tls.verifyCertificateSpki];
  if (tls.verifyCertificateHash?.length)
    out.verify_certificate_hash = [...tls.verifyCertificateHash];
  return out;
}

function combined(tls: ServerTls, ca: SdsSecretConfig): CommonTlsContext {
  return {
    combined_validation_context: {
      default_validation_context: defaultValidation(tls),
      validation_context_sds_secret_config: ca,
    },
  };
}

/** Whether the server asks for client certificates (OPTIONAL_MUTUAL asks but does not insist). */
function verifiesClients(mode: string): boolean {
  return mode === "MUTUAL" || mode === "ISTIO_MUTUAL" || mode === "OPTIONAL_MUTUAL";
}

/** The Kubernetes credentials a server loads over ADS SDS, without the `kubernetes://` prefix. */
export interface ServerCredentials {
  /** The server's credentialName (the first of credentialNames): what messages name. */
  readonly credentialName: string;
  /** Secrets holding server certificates (several: e.g. an RSA and an ECDSA one). */
  readonly certificates: readonly string[];
  /** The client CA's SDS name (`<credentialName>-cacert` or caCertCredentialName), if it verifies clients. */
  readonly caCertificate?: string;
}

/**
 * What a terminating server needs from Kubernetes Secrets; undefined when its certificates
 * come from the mesh (ISTIO_MUTUAL) or from files.
 */
export function serverCredentials(
  tls: ServerTls,
  mode: string = tls.mode ?? "SIMPLE",
): ServerCredentials | undefined {
  if (mode === "ISTIO_MUTUAL") return undefined;
  const credential = tls.credentialName ?? tls.credentialNames?.[0];
  if (!credential) return undefined;
  const certificates = tls.credentialNames?.length ? tls.credentialNames : [credential];
  const ca = tls.caCertCredentialName ?? `${credential}${CA_CERT_SUFFIX}`;
  return {
    credentialName: credential,
    certificates,
    ...(verifiesClients(mode) ? { caCertificate: ca } : {}),
  };
}

/** Server certificate and client CA, by where the server's credentials come from. */
function certificates(tls: ServerTls, mode: string): CommonTlsContext {
  const mutual = verifiesClients(mode);
  if (mode === "ISTIO_MUTUAL") {
    return {
      tls_certificate_sds_secret_configs: [agentSdsSecret(SDS_IDENTITY)],
      ...combined(tls, agentSdsSecret(SDS_MESH_ROOT)),
    };
  }
  const credentials = serverCredentials(tls, mode);
  if (credentials) {
    const { certificates: names, caCertificate: ca } = credentials;
    return {
      tls_certificate_sds_secret_configs: names.map(n => adsSdsSecret(`${CREDENTIAL_PREFIX}${n}`)),
      ...(ca ? combined(tls, adsSdsSecret(`${CREDENTIAL_PREFIX}${ca}`)) : {}),
    };
  }
  const out: CommonTlsContext = {};
  // `tlsCertificates` (e.g. an RSA and an ECDSA pair) takes the place of the single pair; the
  // client CA stays the server's `caCertificates`, as in istiod (ApplyToCommonTLSContext).
  const pairs = (
    tls.tlsCertificates?.length
      ? tls.tlsCertificates
      : [{ serverCertificate: tls.serverCertificate, privateKey: tls.privateKey }]
  ).filter(c => c.serverCertificate && c.privateKey);
  if (pairs.length > 0)
    out.tls_certificate_sds_secret_configs = pairs.map(c =>
      agentSdsSecret(`file-cert:${c.serverCertificate}~${c.privateKey}`),
    );
  if (mutual && tls.caCertificates)
    Object.assign(out, combined(tls, agentSdsSecret(`file-root:${tls.caCertificates}`)));
  return out;
}

/**
 * The transport socket terminating TLS for a server, HTTPS or TLS-terminated TCP: both offer
 * h2 and http/1.1 by ALPN, as istiod's BuildListenerTLSContext does.
 * @see istio/istio pilot/pkg/networking/core/listener.go (BuildListenerTLSContext)
 */
export function gatewayTlsSocket(
  spec: GatewayServerSpec,
  tlsDefaults: MeshTlsSettings = UNSET_TLS_SETTINGS,
): TransportSocket {
  const tls: ServerTls = spec.tls ?? {};
  const mode = tls.mode ?? "SIMPLE";
  const params = tlsParams(tls, mode, tlsDefaults);
  const common: CommonTlsContext = {
    ...(params ? { tls_params: params } : {}),
    ...certificates(tls, mode),
    alpn_protocols: ALPN_HTTP,
  };
  const context: AnyOf<typeof DOWNSTREAM_TLS> = {
    "@type": DOWNSTREAM_TLS,
    common_tls_context: common,
    require_client_certificate: { value: mode === "MUTUAL" || mode === "ISTIO_MUTUAL" },
  };
  return { name: TLS_TRANSPORT_SOCKET, typed_config: context };
}
