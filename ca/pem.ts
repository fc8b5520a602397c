import forge from "node-forge";
import { fail, ok, type Result } from "../mesh/result";
import { sha256Hex } from "./bytes";

/**
 * Reading PEM input the authority is handed (RFC 7468). Every error names the source (a file of
 * the `cacerts` Secret such as `ca-key.pem`, or `csr`) and never quotes the input, so a key
 * pasted into the wrong field cannot end up in a log.
 */

/** A parsed certificate with the exact bytes it came from. */
export interface ParsedCertificate {
  /** node-forge's view of it (RSA keys only: node-forge has no ECDSA). */
  readonly cert: forge.pki.Certificate;
  /** The original DER as a forge binary string (re-encoding could alter signed bytes). */
  readonly der: string;
  /** Canonical PEM of {@link ParsedCertificate.der}. */
  readonly pem: string;
  /** SHA-256 of the DER, lowercase hex: the identity used to compare certificates. */
  readonly fingerprint: string;
}

/** Splits PEM text into its blocks; a PEM that node-forge cannot frame is an error. */
export function pemBlocks(source: string, text: string): Result<forge.pem.ObjectPEM[]> {
  if (text.trim() === "") return fail(`${source}: is empty`);
  try {
    return ok(forge.pem.decode(text));
  } catch {
    return fail(`${source}: not PEM (no well-formed -----BEGIN/END----- block)`);
  }
}

/**
 * Reads every `CERTIFICATE` block of `text`. `allowEmpty` is for `cert-chain.pem`, which Istio
 * leaves empty when the signing certificate is the root.
 */
export function readCertificates(
  source: string,
  text: string | undefined,
  allowEmpty = false,
): Result<ParsedCertificate[]> {
  if (text === undefined || text.trim() === "") {
    return allowEmpty ? ok([]) : fail(`${source}: missing or empty`);
  }
  const blocks = pemBlocks(source, text);
  if (!blocks.ok) return blocks;
  const errors: string[] = [];
  const certs: ParsedCertificate[] = [];
  blocks.value.forEach((block, i) => {
    const where = `${source}: block ${i + 1}`;
    if (block.type !== "CERTIFICATE") {
      errors.push(`${where}: is "${block.type}", expected "CERTIFICATE"`);
      return;
    }
    const parsed = parseCertificateDer(block.body);
    if (parsed.ok) certs.push(parsed.value);
    else errors.push(...parsed.errors.map(e => `${where}: ${e}`));
  });
  if (errors.length > 0) return fail(...errors);
  if (certs.length === 0 && !allowEmpty) return fail(`${source}: no CERTIFICATE block`);
  return ok(certs);
}

/**
 * Reads exactly one certificate (for `ca-cert.pem`, whose one certificate is the signer). Istio
 * silently uses the first block of a longer file; we refuse, since extra certificates there are
 * almost always a chain pasted into the wrong key.
 */
export function readOneCertificate(
  source: string,
  text: string | undefined,
): Result<ParsedCertificate> {
  const certs = readCertificates(source, text);
  if (!certs.ok) return certs;
  if (certs.value.length !== 1) {
    return fail(`${source}: holds ${certs.value.length} certificates, expected exactly 1`);
  }
  return ok(certs.value[0]!);
}

/** Parses certificate DER (a forge binary string). */
export function parseCertificateDer(der: string): Result<ParsedCertificate> {
  let cert: forge.pki.Certificate;
  try {
    cert = forge.pki.certificateFromAsn1(forge.asn1.fromDer(der));
  } catch (e) {
    return fail(describeForgeError(e, "certificate"));
  }
  return ok({ cert, der, pem: toPem("CERTIFICATE", der), fingerprint: sha256Hex(der) });
}

/**
 * PEM text for DER bytes (RFC 7468): 64-column base64 and LF line ends (node-forge writes CRLF,
 * which is legal but reads oddly in ConfigMaps and files).
 */
export function toPem(type: string, der: string): string {
  return forge.pem.encode({ type, body: der }, { maxline: 64 }).replace(/\r\n/g, "\n");
}

/** A forge certificate as LF-terminated PEM. */
export function certificateToPem(cert: forge.pki.Certificate): string {
  return toPem("CERTIFICATE", forge.asn1.toDer(forge.pki.certificateToAsn1(cert)).getBytes());
}

/** Reads an RSA private key in PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`) PEM. */
export function readRsaPrivateKey(
  source: string,
  text: string | undefined,
): Result<forge.pki.rsa.PrivateKey> {
  if (text === undefined || text.trim() === "") return fail(`${source}: missing or empty`);
  const blocks = pemBlocks(source, text);
  if (!blocks.ok) return blocks;
  const keys = blocks.value.filter(b => b.type.endsWith("PRIVATE KEY"));
  if (keys.length !== 1) {
    return fail(`${source}: holds ${keys.length} private keys, expected exactly 1`);
  }
  const block = keys[0]!;
  if (block.procType?.type === "ENCRYPTED" || block.type === "ENCRYPTED PRIVATE KEY") {
    return fail(`${source}: the private key is encrypted; the CA needs it unencrypted`);
  }
  if (block.type !== "PRIVATE KEY" && block.type !== "RSA PRIVATE KEY") {
    return fail(`${source}: "${block.type}" is not an RSA key; ${RSA_ONLY}`);
  }
  try {
    const key = forge.pki.privateKeyFromAsn1(forge.asn1.fromDer(block.body));
    return ok(key as forge.pki.rsa.PrivateKey);
  } catch (e) {
    return fail(`${source}: ${describeForgeError(e, "RSA private key")}`);
  }
}

/*
 * ECDSA: not supported, by choice. node-forge has no elliptic-curve X.509 support (it cannot even
 * parse an EC public key: "Cannot read public key. OID is not RSA.", see test/ca/csr.test.ts),
 * and Istio's agent requests RSA 2048 unless ECC_SIGNATURE_ALGORITHM is set, so RSA covers the
 * default mesh. ECDSA would need either another X.509 library (@peculiar/x509 over WebCrypto, or
 * pkijs — neither is installed) or node-forge's ASN.1 plus Node's crypto for EC keys and
 * signatures, i.e. a hand-written certificate encoder to own. Until a user needs it, an EC CSR or
 * CA key is refused with a message that says so, rather than half-supported.
 */

/** Why only RSA: said once, used in every message that refuses another key type. */
export const RSA_ONLY = "Rigging's CA signs with node-forge, which supports RSA only (no ECDSA)";

/**
 * Turns node-forge's exceptions into a short reason. Its messages never contain the input, but
 * some attach the offending bytes as properties, so only `.message` is used.
 */
export function describeForgeError(e: unknown, what: string): string {
  const message = e instanceof Error ? e.message : String(e);
  if (/OID is not RSA|does not contain an RSAPrivateKey|Unknown OID/i.test(message)) {
    return `the ${what} is not RSA; ${RSA_ONLY}`;
  }
  return `the ${what} could not be parsed (${message.replace(/\s+/g, " ").trim()})`;
}
