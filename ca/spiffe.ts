import { fail, ok, type Result } from "../mesh/result";

/**
 * SPIFFE identities of Kubernetes workloads, in the form Istio issues:
 * `spiffe://<trust-domain>/ns/<namespace>/sa/<service-account>`.
 *
 * - SPIFFE ID syntax: https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md
 *   (trust domain `[a-z0-9._-]`, path segments `[A-Za-z0-9._-]`, no `.`/`..` segments, at most
 *   2048 bytes).
 * - Istio's path convention: istio/istio `pkg/spiffe/spiffe.go`.
 * - Namespaces are RFC 1123 labels and ServiceAccount names RFC 1123 subdomains
 *   (https://kubernetes.io/docs/concepts/overview/working-with-objects/names/), which are a subset
 *   of the SPIFFE path alphabet, so a valid Kubernetes name is always a valid segment.
 */

/** The SPIFFE URI scheme prefix. */
export const SPIFFE_PREFIX = "spiffe://";

/** Istio's default trust domain. */
export const DEFAULT_TRUST_DOMAIN = "cluster.local";

/** The identity of a Kubernetes workload: who its ServiceAccount is, and in which mesh. */
export interface WorkloadIdentity {
  /** The SPIFFE trust domain, e.g. `cluster.local`. */
  readonly trustDomain: string;
  /** The workload's namespace. */
  readonly namespace: string;
  /** The workload's ServiceAccount name. */
  readonly serviceAccount: string;
}

const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const MAX_URI_BYTES = 2048;

/** Checks every part of an identity; the errors name the part and the rule broken. */
export function validateIdentity(id: WorkloadIdentity): Result<WorkloadIdentity> {
  const errors: string[] = [];
  if (!TRUST_DOMAIN.test(id.trustDomain)) {
    errors.push(
      `trust domain "${id.trustDomain}": must be non-empty and use only a-z, 0-9, ".", "-", "_"`,
    );
  }
  if (id.namespace.length > 63 || !DNS_LABEL.test(id.namespace)) {
    errors.push(`namespace "${id.namespace}": must be an RFC 1123 label (a-z, 0-9, "-"; ≤ 63)`);
  }
  if (id.serviceAccount.length > 253 || !DNS_SUBDOMAIN.test(id.serviceAccount)) {
    errors.push(
      `service account "${id.serviceAccount}": must be an RFC 1123 subdomain (a-z, 0-9, "-", "."; ≤ 253)`,
    );
  }
  if (errors.length > 0) return fail(...errors);
  const uri = unsafeUri(id);
  if (new TextEncoder().encode(uri).length > MAX_URI_BYTES) {
    return fail(`SPIFFE ID "${uri}": longer than ${MAX_URI_BYTES} bytes`);
  }
  return ok(id);
}

/** The SPIFFE URI of a valid identity; throws (a programmer error) when `id` is invalid. */
export function spiffeUri(id: WorkloadIdentity): string {
  const valid = validateIdentity(id);
  if (!valid.ok) throw new Error(`invalid workload identity: ${valid.errors.join("; ")}`);
  return unsafeUri(id);
}

/** Parses `spiffe://<td>/ns/<ns>/sa/<sa>`; anything else is refused with the reason. */
export function parseSpiffeUri(uri: string): Result<WorkloadIdentity> {
  if (!uri.startsWith(SPIFFE_PREFIX)) {
    return fail(`SPIFFE ID "${uri}": must start with "${SPIFFE_PREFIX}"`);
  }
  const [trustDomain = "", ...segments] = uri.slice(SPIFFE_PREFIX.length).split("/");
  if (segments.length !== 4 || segments[0] !== "ns" || segments[2] !== "sa") {
    return fail(`SPIFFE ID "${uri}": path must be /ns/<namespace>/sa/<service-account>`);
  }
  return validateIdentity({
    trustDomain,
    namespace: segments[1] ?? "",
    serviceAccount: segments[3] ?? "",
  });
}

function unsafeUri(id: WorkloadIdentity): string {
  return `${SPIFFE_PREFIX}${id.trustDomain}/ns/${id.namespace}/sa/${id.serviceAccount}`;
}
