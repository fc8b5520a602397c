import { readCertificates } from "../ca/pem";
import { previousRootRetiresAt, rootTrustBundle } from "../ca/rotation";
import type { TtlPolicy } from "../ca/ttl";
import { fail, ok, type Result } from "../mesh/result";

/**
 * What `istio-ca-root-cert` carries across a root rotation: the authority's current roots, and
 * each replaced root until no certificate signed under it can still be valid
 * (`previousRootRetiresAt`). Pure: the caller hands in the time and persists nothing but the
 * published ConfigMap, from which {@link adoptPublishedRoots} recovers the state after a restart.
 */

/** A replaced root kept in the bundle until `retiresAt`. */
export interface RetiringRoot {
  /** One PEM certificate. */
  readonly pem: string;
  /** When it may leave the bundle. */
  readonly retiresAt: Date;
}

/** The roots to publish. */
export interface TrustState {
  /** The authority's `root-cert.pem` (one or more PEM certificates). */
  readonly current: string;
  /** Replaced roots, oldest first. */
  readonly previous: readonly RetiringRoot[];
}

/** A first state: only the authority's roots. */
export function initialTrust(current: string): TrustState {
  return { current, previous: [] };
}

/**
 * The state after the authority's roots became `next` at `at`: every certificate of the old
 * `current` that `next` lacks starts retiring (a root that stays, e.g. the old root kept in a
 * plug-in `root-cert.pem` during a planned rotation, is simply still current).
 */
export function rotateTrust(
  state: TrustState,
  next: string,
  at: Date,
  policy: TtlPolicy,
): Result<TrustState> {
  const old = readCertificates("previous root-cert.pem", state.current);
  const now = readCertificates("root-cert.pem", next);
  if (!old.ok || !now.ok) return fail(...(old.ok ? [] : old.errors), ...(now.ok ? [] : now.errors));
  const keep = new Set(now.value.map(c => c.fingerprint));
  const retiresAt = previousRootRetiresAt(at, policy);
  const replaced = old.value
    .filter(c => !keep.has(c.fingerprint))
    .map(c => ({ pem: c.pem, retiresAt }));
  return ok({ current: next, previous: [...state.previous, ...replaced] });
}

/**
 * Roots found in the bundle published before a restart that the authority no longer has: they
 * are kept as retiring from `at` (the original rotation time is not recorded, so the bound is
 * restarted — later, never earlier, than needed).
 */
export function adoptPublishedRoots(
  state: TrustState,
  publishedPem: string | undefined,
  at: Date,
  policy: TtlPolicy,
): TrustState {
  if (!publishedPem) return state;
  // A mangled ConfigMap fails to parse: nothing is kept from it, and it is overwritten.
  const rotated = rotateTrust(
    { current: publishedPem, previous: state.previous },
    state.current,
    at,
    policy,
  );
  return rotated.ok ? rotated.value : state;
}

/** The `root-cert.pem` to publish at `at`: current roots first, then unretired previous ones. */
export function publishedBundle(state: TrustState, at: Date): Result<string> {
  const previous = state.previous.filter(r => at.getTime() < r.retiresAt.getTime()).map(r => r.pem);
  const bundle = rootTrustBundle({ current: state.current, previous }, at);
  return bundle.ok ? ok(bundle.value.join("")) : bundle;
}

/** The state without roots retired at `at` (so it does not grow forever). */
export function pruneTrust(state: TrustState, at: Date): TrustState {
  return { ...state, previous: state.previous.filter(r => at.getTime() < r.retiresAt.getTime()) };
}
