/**
 * TLS test material: a self-signed certificate with its key (laid out by node-forge, keyed and
 * signed by OpenSSL through node:crypto, which is fast), and Secrets carrying PEM under chosen keys as the watch
 * delivers them (base64 `data`).
 */
import { generateKeyPairSync, sign } from "node:crypto";
import forge from "node-forge";
import type { StoreObject } from "../../../mesh/store";

/** A certificate for `cn` (its own issuer) and its private key, as PEM. */
export function selfSigned(cn: string): { cert: string; key: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey);
  cert.serialNumber = "01";
  cert.validity.notBefore = new Date("2025-01-01T00:00:00Z");
  cert.validity.notAfter = new Date("2035-01-01T00:00:00Z");
  const subject = [{ shortName: "CN", value: cn }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  // Signed by OpenSSL through node:crypto: forge's pure-JS RSA takes seconds per certificate.
  const oid = forge.pki.oids.sha256WithRSAEncryption!;
  cert.siginfo.algorithmOid = oid;
  cert.signatureOid = oid;
  const tbs = forge.asn1.toDer(tbsOf(cert)).getBytes();
  cert.signature = sign("sha256", Buffer.from(tbs, "binary"), privateKey).toString("binary");
  return {
    cert: forge.pki.certificateToPem(cert).replace(/\r\n/g, "\n").trim(),
    key: privateKey.trim(),
  };
}

// forge has getTBSCertificate at runtime; its type definitions leave it out.
const tbsOf = (cert: forge.pki.Certificate): forge.asn1.Asn1 =>
  (
    forge.pki as unknown as { getTBSCertificate(c: forge.pki.Certificate): forge.asn1.Asn1 }
  ).getTBSCertificate(cert);

const b64 = (s: string) => Buffer.from(s, "utf8").toString("base64");

/** A Secret `namespace/name` whose `data` holds `values` (plain text here, base64 inside). */
export function secret(
  name: string,
  namespace: string,
  values: Record<string, string>,
  type = "Opaque",
): StoreObject {
  const data = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, b64(v)]));
  return { kind: "Secret", type, metadata: { name, namespace }, data } as StoreObject;
}
