import { fail, ok, type Result } from "../mesh/result";

/**
 * How long workload certificates live. Defaults are Istio's: `DEFAULT_WORKLOAD_CERT_TTL` 24 h and
 * `MAX_WORKLOAD_CERT_TTL` 90 days (https://istio.io/latest/docs/reference/commands/pilot-discovery/).
 * As in istio/istio `security/pkg/pki/ca/ca.go` (`sign`), a non-positive request means "the
 * default" and a request above the maximum is refused rather than silently shortened, so a
 * misconfigured agent finds out.
 */

/** Default and maximum lifetimes, in seconds. */
export interface TtlPolicy {
  /** Lifetime when the request asks for none. @default 86400 (24 h) */
  readonly defaultTtlSeconds: number;
  /** Longest lifetime a request may ask for. @default 7776000 (90 days) */
  readonly maxTtlSeconds: number;
}

/** Istio's defaults. */
export const DEFAULT_TTL_POLICY: TtlPolicy = {
  defaultTtlSeconds: 24 * 3600,
  maxTtlSeconds: 90 * 24 * 3600,
};

/** Throws (a programmer error) unless 0 < default ≤ max. */
export function assertTtlPolicy(policy: TtlPolicy): TtlPolicy {
  const { defaultTtlSeconds: d, maxTtlSeconds: m } = policy;
  if (!(Number.isFinite(d) && d > 0 && Number.isFinite(m) && d <= m)) {
    throw new Error(`TTL policy needs 0 < defaultTtlSeconds (${d}) ≤ maxTtlSeconds (${m})`);
  }
  return policy;
}

/** The lifetime to issue for a requested `validity_duration` (seconds). */
export function resolveTtl(requestedSeconds: number, policy: TtlPolicy): Result<number> {
  if (!Number.isFinite(requestedSeconds) || !Number.isInteger(requestedSeconds)) {
    return fail(`validity_duration: ${requestedSeconds} is not a whole number of seconds`);
  }
  if (requestedSeconds <= 0) return ok(policy.defaultTtlSeconds);
  if (requestedSeconds > policy.maxTtlSeconds) {
    return fail(
      `validity_duration: ${requestedSeconds}s exceeds the maximum of ${policy.maxTtlSeconds}s`,
    );
  }
  return ok(requestedSeconds);
}
