import { createPublicKey } from "node:crypto";
import { credentials, Metadata, type Client, type ServiceError } from "@grpc/grpc-js";
import forge from "node-forge";
import type { KeyGenerator } from "../../ca/deps";
import { certificateServiceClient } from "../../ca/server/proto";
import { nodeSigner } from "../../ca/server/node-crypto";
import { signCertificate } from "../../ca/sign";

/**
 * One `IstioCertificateService/CreateCertificate` call, as Istio's agent makes it: a fresh RSA
 * key, a CSR carrying only its public key (the CA takes the identity from the token, so the CSR
 * asks for no name), the ServiceAccount token as a bearer credential, over TLS to the CA.
 */

/** Where the CA is and how to reach it. */
export interface CaConnection {
  /** `host:port` of the CA (15012). */
  readonly address: string;
  /** PEM roots to verify the CA's serving certificate with. */
  readonly rootsPem: string;
  /** Name the CA's certificate must carry. @default the address's host */
  readonly serverName?: string;
  /** Per-call deadline in ms. @default 10 s */
  readonly deadlineMs?: number;
}

/** A new key and the chain the CA signed for it. */
export interface ObtainedCertificate {
  /** The private key, PEM (PKCS#8). */
  readonly keyPem: string;
  /** Leaf first, root last. */
  readonly certChain: readonly string[];
}

/** Requests a certificate; rejects with the CA's gRPC status and message on refusal. */
export async function requestCertificate(
  ca: CaConnection,
  token: string,
  ttlSeconds: number,
  generateKey: KeyGenerator,
): Promise<ObtainedCertificate> {
  const keyPem = generateKey();
  const csr = certificateRequest(keyPem);
  const Service = certificateServiceClient();
  const name = ca.serverName ?? hostOf(ca.address);
  const client = new Service(ca.address, credentials.createSsl(Buffer.from(ca.rootsPem)), {
    "grpc.ssl_target_name_override": name,
    "grpc.default_authority": name,
  }) as unknown as Client & {
    CreateCertificate: (
      req: unknown,
      md: Metadata,
      opts: { deadline: number },
      cb: (err: ServiceError | null, res?: { cert_chain: string[] }) => void,
    ) => void;
  };
  const metadata = new Metadata();
  metadata.set("authorization", `Bearer ${token}`);
  try {
    const response = await new Promise<{ cert_chain: string[] }>((resolve, reject) =>
      client.CreateCertificate(
        { csr, validity_duration: String(ttlSeconds) },
        metadata,
        { deadline: Date.now() + (ca.deadlineMs ?? 10_000) },
        (err, res) => (err || !res ? reject(err ?? new Error("empty response")) : resolve(res)),
      ),
    );
    const chain = response.cert_chain;
    if (chain.length < 2) {
      throw new Error(
        `CA answered a chain of ${chain.length} certificate(s); expected leaf … root`,
      );
    }
    if (!sameKey(chain[0]!, keyPem)) {
      throw new Error("CA answered a certificate for another public key than the one requested");
    }
    return { keyPem, certChain: chain };
  } finally {
    client.close();
  }
}

/** A PKCS#10 request for `keyPem`'s public key, with an empty subject and no extensions. */
export function certificateRequest(keyPem: string): string {
  const key = forge.pki.privateKeyFromPem(keyPem);
  const csr = forge.pki.createCertificationRequest();
  csr.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  csr.setSubject([]);
  signCertificate(csr, nodeSigner(keyPem));
  return forge.pki.certificationRequestToPem(csr);
}

/** The host of `host:port` (brackets of an IPv6 literal removed). */
export function hostOf(address: string): string {
  const host = address.replace(/:\d+$/, "");
  return host.replace(/^\[(.*)\]$/, "$1");
}

function sameKey(certPem: string, keyPem: string): boolean {
  try {
    const fromCert = createPublicKey(certPem).export({ type: "spki", format: "der" });
    const fromKey = createPublicKey(keyPem).export({ type: "spki", format: "der" });
    return Buffer.compare(fromCert, fromKey) === 0;
  } catch {
    return false;
  }
}
