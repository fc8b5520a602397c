import { status } from "@grpc/grpc-js";
import type { Result } from "../../mesh/result";
import type { Authority } from "../authority";
import type { IssueDeps } from "../deps";
import { issueWorkloadCertificate } from "../issue";
import type { TtlPolicy } from "../ttl";
import type { IstioCertificateRequest } from "./proto";

/**
 * `CreateCertificate`, as istio/istio `security/pkg/server/ca/server.go` does it: authenticate
 * the caller's bearer token, take the identity from the token (never the CSR), check the CSR and
 * TTL, sign, answer leaf + chain + root. Free of sockets so every refusal is testable directly;
 * `serve.ts` adapts it to grpc-js.
 */

/** Who a token belongs to. */
export interface ServiceAccountRef {
  /** The ServiceAccount's namespace. */
  readonly namespace: string;
  /** The ServiceAccount's name. */
  readonly serviceAccount: string;
}

/**
 * Checks a bearer token (the real one calls TokenReview with audience `istio-ca`); refusals carry
 * a reason the caller may read. A thrown error means "could not check", not "refused".
 */
export type TokenAuthenticator = (bearerToken: string) => Promise<Result<ServiceAccountRef>>;

/** What the handler needs; `authority` is read per call so a reload takes effect at once. */
export interface CertificateServiceOptions {
  /** The authority to sign with, or undefined while none is loaded. */
  readonly authority: () => Authority | undefined;
  /** Authenticates the caller. */
  readonly authenticate: TokenAuthenticator;
  /** The mesh's trust domain, e.g. `cluster.local`; read per call (MeshConfig may change it). */
  readonly trustDomain: () => string;
  /** Default and maximum lifetimes. */
  readonly policy: TtlPolicy;
  /** Clock and randomness. */
  readonly deps: IssueDeps;
}

/** A handled call: the chain, or a gRPC status and a message for the caller. */
export type Outcome =
  | { readonly ok: true; readonly certChain: string[] }
  | { readonly ok: false; readonly code: status; readonly message: string };

/** Istio's metadata key asking to sign for another identity (istio/istio `pkg/security`). */
export const IMPERSONATED_IDENTITY = "ImpersonatedIdentity";

/**
 * Handles one `CreateCertificate`. `authorization` holds the values of the call's
 * `authorization` metadata.
 */
export async function createCertificate(
  request: IstioCertificateRequest,
  authorization: readonly string[],
  options: CertificateServiceOptions,
): Promise<Outcome> {
  const token = bearerToken(authorization);
  if (token === undefined) {
    return refuse(
      status.UNAUTHENTICATED,
      'authorization: expected metadata "authorization: Bearer <ServiceAccount token>"',
    );
  }
  let caller: Result<ServiceAccountRef>;
  try {
    caller = await options.authenticate(token);
  } catch {
    return refuse(status.UNAVAILABLE, "authentication: the token could not be checked; retry");
  }
  if (!caller.ok) {
    return refuse(status.UNAUTHENTICATED, `authentication: ${caller.errors.join("; ")}`);
  }
  if (request.metadata?.fields?.[IMPERSONATED_IDENTITY]?.stringValue) {
    // Istio allows this only for trusted node agents (CA_TRUSTED_NODE_ACCOUNTS); we have none.
    return refuse(
      status.UNAUTHENTICATED,
      `metadata.${IMPERSONATED_IDENTITY}: impersonation is not supported; a workload may only ask for its own identity`,
    );
  }
  const authority = options.authority();
  if (!authority) return refuse(status.UNAVAILABLE, "the CA has no signing authority loaded yet");

  const issued = issueWorkloadCertificate(
    authority,
    {
      csrPem: request.csr,
      identity: { trustDomain: options.trustDomain(), ...caller.value },
      requestedTtlSeconds: Number(request.validity_duration || 0),
    },
    options.policy,
    options.deps,
  );
  if (!issued.ok) return refuse(status.INVALID_ARGUMENT, issued.errors.join("; "));
  return { ok: true, certChain: [...issued.value.certChain] };
}

/** The token of the first `Bearer` credential (the scheme is case-insensitive, RFC 7235 §2.1). */
export function bearerToken(authorization: readonly string[]): string | undefined {
  for (const value of authorization) {
    const m = /^bearer\s+(\S+)\s*$/i.exec(value);
    if (m) return m[1];
  }
  return undefined;
}

function refuse(code: status, message: string): Outcome {
  return { ok: false, code, message };
}
