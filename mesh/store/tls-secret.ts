/**
 * The TLS material of a Kubernetes Secret, read as Istio reads `credentialName` Secrets:
 * - certificate and key from `cert` + `key` (generic Secret) or else `tls.crt` + `tls.key`
 *   (`kubernetes.io/tls`);
 * - a client CA from `cacert` or else `ca.crt`.
 *
 * Only these PEM strings are kept, parsed and checked here, so a malformed Secret is reported
 * by what is wrong with it and the store never holds the rest of a Secret (tokens, Helm
 * releases, dockerconfigs). Nothing here is ever logged: problems name keys, never values.
 *
 * Pure: `node:crypto` parses certificates and keys; no clock (Envoy itself accepts expired
 * certificates, and expiry would need a clock), no I/O.
 *
 * @see istio/istio pilot/pkg/credentials/kube/secrets.go (extractKeyAndCert, extractRoot)
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import type { KubeSecret } from "./kube-types";

/** Keys of a generic Secret (Istio's GenericScrt*). */
const GENERIC = { cert: "cert", key: "key", ca: "cacert" } as const;
/** Keys of a `kubernetes.io/tls` Secret (Istio's TLSSecret*). */
const TLS = { cert: "tls.crt", key: "tls.key", ca: "ca.crt" } as const;
const TLS_KEYS = [GENERIC.cert, GENERIC.key, GENERIC.ca, TLS.cert, TLS.key, TLS.ca];

/** A usable value, or why it is not usable (naming keys only, never contents). */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problem: string };

/** A server certificate chain and its private key, as PEM. */
export interface PemKeyPair {
  readonly certificateChain: string;
  readonly privateKey: string;
}

/** The TLS material of one Secret; a part the Secret does not carry is absent. */
export interface TlsSecret {
  readonly namespace: string;
  readonly name: string;
  /** Certificate chain and key, when the Secret has either key pair's keys. */
  readonly keyPair?: Checked<PemKeyPair>;
  /** Trusted CA bundle (`cacert` or `ca.crt`), when the Secret has either key. */
  readonly caCertificate?: Checked<string>;
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

function pemBlocks(text: string): { label: string; pem: string }[] {
  return [...text.matchAll(PEM_BLOCK)].map(m => ({ label: m[1] ?? "", pem: m[0] }));
}

const has = (data: Readonly<Record<string, string>>, key: string) => data[key] !== undefined;
const filled = (data: Readonly<Record<string, string>>, key: string) =>
  decode(data, key).trim() !== "";

function decode(data: Readonly<Record<string, string>>, key: string): string {
  // The API server sends `data` base64-encoded; a bad character decodes to garbage, which the
  // PEM checks below then reject.
  return Buffer.from(data[key] ?? "", "base64").toString("utf8");
}

/** The PEM certificates of `text`, each checked to parse; a problem naming `key` if not. */
function certificates(text: string, key: string): Checked<{ pem: string; first: X509Certificate }> {
  const blocks = pemBlocks(text).filter(b => b.label === "CERTIFICATE");
  if (blocks.length === 0) return { ok: false, problem: `${key} holds no PEM CERTIFICATE` };
  try {
    const parsed = blocks.map(b => new X509Certificate(b.pem));
    return { ok: true, value: { pem: blocks.map(b => b.pem).join("\n"), first: parsed[0]! } };
  } catch {
    return { ok: false, problem: `${key} holds a CERTIFICATE that does not parse` };
  }
}

type Data = Readonly<Record<string, string>>;

function keyPair(data: Data, certKey: string, keyKey: string): Checked<PemKeyPair> {
  const missing = [certKey, keyKey].find(k => !has(data, k));
  if (missing) return { ok: false, problem: `key ${missing} is missing` };
  if (!filled(data, certKey) || !filled(data, keyKey))
    return { ok: false, problem: `found keys ${certKey} and ${keyKey}, but one is empty` };
  const certs = certificates(decode(data, certKey), certKey);
  if (!certs.ok) return certs;
  const keyBlock = pemBlocks(decode(data, keyKey)).find(b =>
    /^(RSA |EC )?PRIVATE KEY$/.test(b.label),
  );
  // Envoy cannot use an encrypted key (it has no passphrase), so say so rather than "no key".
  if (!keyBlock) return { ok: false, problem: `${keyKey} holds no unencrypted PEM PRIVATE KEY` };
  let matches: boolean;
  try {
    matches = certs.value.first.checkPrivateKey(createPrivateKey(keyBlock.pem));
  } catch {
    return { ok: false, problem: `${keyKey} holds a PRIVATE KEY that does not parse` };
  }
  // Envoy would reject the pair on load; say which keys disagree instead.
  if (!matches)
    return { ok: false, problem: `${keyKey} does not match the first certificate of ${certKey}` };
  return { ok: true, value: { certificateChain: certs.value.pem, privateKey: keyBlock.pem } };
}

function caBundle(data: Data, key: string): Checked<string> {
  if (!filled(data, key)) return { ok: false, problem: `found key ${key}, but it is empty` };
  const certs = certificates(decode(data, key), key);
  return certs.ok ? { ok: true, value: certs.value.pem } : certs;
}

/**
 * Istio's choice of key pair: `cert`/`key` when both have values, else `tls.crt`/`tls.key`
 * when both do; otherwise the pair that is (partly) present, to say what is wrong with it.
 */
function chooseKeyPair(data: Data): Checked<PemKeyPair> | undefined {
  for (const pair of [GENERIC, TLS])
    if (filled(data, pair.cert) && filled(data, pair.key))
      return keyPair(data, pair.cert, pair.key);
  const pair = [TLS, GENERIC].find(p => has(data, p.cert) || has(data, p.key));
  return pair ? keyPair(data, pair.cert, pair.key) : undefined;
}

/** Istio's choice of CA key: `cacert` if it has a value, else `ca.crt`. */
function chooseCa(data: Data): Checked<string> | undefined {
  const key =
    [GENERIC.ca, TLS.ca].find(k => filled(data, k)) ?? [GENERIC.ca, TLS.ca].find(k => has(data, k));
  return key ? caBundle(data, key) : undefined;
}

/**
 * The TLS material of a Secret, or undefined when it carries none of Istio's TLS keys — the
 * filter that keeps the many other Secrets of a cluster out of the store.
 */
export function tlsSecretOf(secret: KubeSecret): TlsSecret | undefined {
  const data = secret.data ?? {};
  if (!TLS_KEYS.some(k => has(data, k))) return undefined;
  const keys = chooseKeyPair(data);
  const ca = chooseCa(data);
  return {
    namespace: secret.metadata.namespace ?? "default",
    name: secret.metadata.name ?? "",
    ...(keys ? { keyPair: keys } : {}),
    ...(ca ? { caCertificate: ca } : {}),
  };
}
