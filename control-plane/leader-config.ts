import { hostname } from "node:os";

/**
 * The leader election's settings from the environment. The Lease lives in the control plane's
 * namespace; only its duration is tunable (tests shorten it), the renew deadline and retry period
 * follow from it (`electionIntervals` in `lease-decision.ts`).
 */

/** Shortest and longest lease accepted, in seconds. */
export const LEASE_DURATION_RANGE = { min: 2, max: 300 } as const;

/** The default lease: client-go's (and istiod's) 15 s. */
export const DEFAULT_LEASE_DURATION_SECONDS = 15;

/**
 * RIGGING_LEASE_DURATION_SECONDS: how long a leader's Lease holds without renewal, i.e. how long
 * root publishing may pause when the leader dies. Throws naming the variable and the rule.
 */
export function leaseDurationSeconds(env: NodeJS.ProcessEnv): number {
  const value = env.RIGGING_LEASE_DURATION_SECONDS;
  if (value === undefined || value === "") return DEFAULT_LEASE_DURATION_SECONDS;
  const n = Number(value);
  const { min, max } = LEASE_DURATION_RANGE;
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
    throw new Error(
      `RIGGING_LEASE_DURATION_SECONDS: "${value}" must be a whole number of seconds from ${min} to ${max}`,
    );
  }
  return n;
}

/**
 * This replica's identity in the Lease: the pod's name (its host name in a cluster) and a random
 * suffix, so that a restarted container, or a second process on one host, is a new candidate and
 * never mistakes a lease its predecessor held for its own.
 */
export function leaderIdentity(suffix: string, host: string = hostname()): string {
  return `${host}_${suffix}`;
}
