import { createPublicKey } from "node:crypto";
import { ServerCredentials } from "@grpc/grpc-js";
import type { Authority } from "../ca/authority";
import type { IssueDeps, KeyGenerator } from "../ca/deps";
import { issueServingCertificate } from "../ca/issue";
import { fail, ok, type Result } from "../mesh/result";

/**
 * The TLS identity of the control plane's 15012 port: a certificate from the mesh's own CA (as
 * istiod's, so workloads trust it through `istio-ca-root-cert`), replaced at half-life and when
 * the authority changes — without rebinding the port, through grpc-js's secure-context watchers.
 */

/** A serving key and certificate chain. */
export interface ServingIdentity {
  /** Leaf then intermediates, PEM. */
  readonly certChainPem: string;
  /** The leaf's private key, PEM. */
  readonly privateKeyPem: string;
  /** Start of the leaf's validity. */
  readonly notBefore: Date;
  /** End of the leaf's validity. */
  readonly notAfter: Date;
}

/** What a serving certificate is issued for. */
export interface ServingRequestOptions {
  /** DNS names, e.g. `istiod.istio-system.svc`. */
  readonly dnsNames: readonly string[];
  /** Lifetime in seconds. */
  readonly ttlSeconds: number;
  /** Makes the serving key (a fresh one each time). */
  readonly generateKey: KeyGenerator;
}

/** Issues a fresh key and serving certificate under `authority`. */
export function issueServingIdentity(
  authority: Authority,
  request: ServingRequestOptions,
  deps: IssueDeps,
): Result<ServingIdentity> {
  const privateKeyPem = request.generateKey();
  const publicKeyPem = createPublicKey(privateKeyPem).export({ type: "spki", format: "pem" });
  const issued = issueServingCertificate(
    authority,
    {
      publicKeyPem: String(publicKeyPem),
      dnsNames: request.dnsNames,
      ttlSeconds: request.ttlSeconds,
    },
    deps,
  );
  if (!issued.ok) return fail(...issued.errors.map(e => `serving certificate: ${e}`));
  // The root is left out: a client either trusts it already or must not be talked into it.
  return ok({
    certChainPem: [issued.value.certPem, ...authority.chainPem].join(""),
    privateKeyPem,
    notBefore: issued.value.notBefore,
    notAfter: issued.value.notAfter,
  });
}

/**
 * Server credentials whose key and certificate can be replaced while the server runs: grpc-js
 * calls `setSecureContext` on its TLS servers when a credential's context options change (the
 * mechanism its xDS certificate providers use), so new handshakes get the new certificate and
 * open connections are left alone.
 */
export class RotatingServerCredentials extends ServerCredentials {
  constructor(identity: ServingIdentity) {
    super({ requestCert: false }, contextOf(identity));
  }

  /** Serves `identity` from the next handshake on. */
  update(identity: ServingIdentity): void {
    this.updateSecureContextOptions(contextOf(identity));
  }

  /** Credentials are equal only to themselves (each holds its own rotating identity). */
  _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}

function contextOf(identity: ServingIdentity): { cert: Buffer; key: Buffer } {
  return { cert: Buffer.from(identity.certChainPem), key: Buffer.from(identity.privateKeyPem) };
}
