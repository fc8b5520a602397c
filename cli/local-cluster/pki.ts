import { generateKeyPairSync, randomBytes } from "node:crypto";
import forge from "node-forge";

/** A PEM certificate and its PEM private key. */
export interface CertPair {
  certPem: string;
  keyPem: string;
}

/** Everything a local cluster needs to serve and trust TLS, and to sign ServiceAccount tokens. */
export interface ClusterPki {
  ca: CertPair;
  apiserver: CertPair;
  admin: CertPair;
  serviceAccount: { privateKeyPem: string; publicKeyPem: string };
}

interface CertRequest {
  commonName: string;
  organization?: string;
  isCA?: boolean;
  dnsNames?: string[];
  ipAddresses?: string[];
  serverAuth?: boolean;
  clientAuth?: boolean;
  days: number;
}

// Node's RSA key generation is native and fast; node-forge only assembles and signs the
// certificates (it has no X.509 builder in node:crypto to replace it).
function rsaKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs1", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

function issue(req: CertRequest, issuer?: CertPair): CertPair {
  const key = rsaKey();
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(key.publicKeyPem);
  // A positive 128-bit serial: a leading 0x01 byte keeps the DER integer from reading negative.
  cert.serialNumber = "01" + randomBytes(16).toString("hex");
  const now = Date.now();
  cert.validity.notBefore = new Date(now - 60_000);
  cert.validity.notAfter = new Date(now + req.days * 86_400_000);
  const subject: forge.pki.CertificateField[] = [{ name: "commonName", value: req.commonName }];
  if (req.organization) subject.push({ name: "organizationName", value: req.organization });
  cert.setSubject(subject);
  const issuerCert = issuer ? forge.pki.certificateFromPem(issuer.certPem) : cert;
  cert.setIssuer(issuerCert.subject.attributes);
  const altNames = [
    ...(req.dnsNames ?? []).map(value => ({ type: 2, value })),
    ...(req.ipAddresses ?? []).map(ip => ({ type: 7, ip })),
  ];
  cert.setExtensions([
    { name: "basicConstraints", cA: req.isCA ?? false, critical: true },
    req.isCA
      ? {
          name: "keyUsage",
          keyCertSign: true,
          cRLSign: true,
          digitalSignature: true,
          critical: true,
        }
      : { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    ...(req.isCA
      ? []
      : [
          {
            name: "extKeyUsage",
            serverAuth: req.serverAuth ?? false,
            clientAuth: req.clientAuth ?? false,
          },
        ]),
    ...(altNames.length > 0 ? [{ name: "subjectAltName", altNames }] : []),
    { name: "subjectKeyIdentifier" },
  ]);
  const signer = forge.pki.privateKeyFromPem(issuer ? issuer.keyPem : key.privateKeyPem);
  cert.sign(signer, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: key.privateKeyPem };
}

/**
 * A fresh certificate authority for one local cluster, the kube-apiserver's serving certificate
 * (IP SAN 127.0.0.1, DNS localhost and the in-cluster names), an admin client certificate in
 * `system:masters`, and the ServiceAccount token signing key.
 */
export function createClusterPki(): ClusterPki {
  const ca = issue({ commonName: "rigging-local-ca", isCA: true, days: 3650 });
  const apiserver = issue(
    {
      commonName: "kube-apiserver",
      dnsNames: ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"],
      ipAddresses: ["127.0.0.1"],
      serverAuth: true,
      days: 365,
    },
    ca,
  );
  const admin = issue(
    { commonName: "rigging-admin", organization: "system:masters", clientAuth: true, days: 365 },
    ca,
  );
  return { ca, apiserver, admin, serviceAccount: rsaKey() };
}

/**
 * A serving certificate signed by `ca` for a process on this machine (IP SAN 127.0.0.1, DNS
 * localhost): what `rig dev` gives the admission server that the API server calls back.
 */
export function issueLocalServingCert(ca: CertPair, commonName: string): CertPair {
  return issue(
    {
      commonName,
      dnsNames: ["localhost"],
      ipAddresses: ["127.0.0.1"],
      serverAuth: true,
      days: 365,
    },
    ca,
  );
}

/** A self-signed certificate authority, e.g. for the admission server `rig dev` runs. */
export function createCa(commonName: string): CertPair {
  return issue({ commonName, isCA: true, days: 3650 });
}
