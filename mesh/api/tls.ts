/**
 * TLS settings: the server side (Gateway servers, Sidecar ingress) and the client side
 * (DestinationRule). https://istio.io/latest/docs/reference/config/networking/gateway/#ServerTLSSettings
 * and https://istio.io/latest/docs/reference/config/networking/destination-rule/#ClientTLSSettings
 */
import { array, boolean, enumOf, object, string, type Infer } from "./schema";

const TlsProtocol = enumOf(["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"]);

/** How a server terminates (or passes through) TLS. */
export const ServerTlsMode = enumOf([
  "PASSTHROUGH",
  "SIMPLE",
  "MUTUAL",
  "AUTO_PASSTHROUGH",
  "ISTIO_MUTUAL",
  "OPTIONAL_MUTUAL",
]);

/** One server certificate with its key (a server may carry an RSA and an ECDSA one). */
export const TlsCertificate = object({
  caCertificates: string(),
  privateKey: string(),
  serverCertificate: string(),
});

/** TLS options of a server. */
export const ServerTlsSettings = object({
  caCertCredentialName: string(),
  caCertificates: string(),
  caCrl: string(),
  cipherSuites: array(string()),
  credentialName: string(),
  credentialNames: array(string(), { minItems: 1, maxItems: 2 }),
  ecdhCurves: array(string()),
  httpsRedirect: boolean(),
  insecureSkipVerify: boolean(),
  maxProtocolVersion: TlsProtocol,
  minProtocolVersion: TlsProtocol,
  mode: ServerTlsMode,
  privateKey: string(),
  serverCertificate: string(),
  subjectAltNames: array(string()),
  tlsCertificates: array(TlsCertificate, { minItems: 1, maxItems: 2 }),
  verifyCertificateHash: array(string()),
  verifyCertificateSpki: array(string()),
});
/** @see ServerTlsSettings */
export type ServerTlsSettings = Infer<typeof ServerTlsSettings>;

/** How a client originates TLS to an upstream. */
export const ClientTlsMode = enumOf(["DISABLE", "SIMPLE", "MUTUAL", "ISTIO_MUTUAL"]);

/** TLS options of an upstream connection. */
export const ClientTlsSettings = object({
  caCertificates: string(),
  caCrl: string(),
  clientCertificate: string(),
  credentialName: string(),
  insecureSkipVerify: boolean(),
  mode: ClientTlsMode,
  privateKey: string(),
  sni: string(),
  subjectAltNames: array(string()),
});
/** @see ClientTlsSettings */
export type ClientTlsSettings = Infer<typeof ClientTlsSettings>;
