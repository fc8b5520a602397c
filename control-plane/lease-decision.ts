/**
 * Leader election over a Kubernetes Lease (coordination.k8s.io/v1), the decisions only: given
 * the Lease as read, what this replica saw of it before, and the time, whether to create it,
 * take it over, renew it or wait. No I/O and no clock; `lease-store.ts` reads and writes the
 * Lease and `leader-elector.ts` runs the loop.
 *
 * The rules are client-go's (k8s.io/client-go/tools/leaderelection): a follower judges a lease
 * expired by its own clock, `leaseDurationSeconds` after it last *saw the record change*, never
 * by the `renewTime` another host wrote, so clock skew between replicas cannot make two leaders;
 * and a leader that cannot renew for its renew deadline (shorter than the lease) stops leading
 * before any follower may take over.
 */

/** The fields of a Lease's `spec` the election reads and writes. */
export interface LeaseSpec {
  readonly holderIdentity?: string;
  readonly leaseDurationSeconds?: number;
  /** RFC 3339 with microseconds (MicroTime), as the API server stores it. */
  readonly acquireTime?: string;
  readonly renewTime?: string;
  readonly leaseTransitions?: number;
}

/** The Lease as read: its spec and the resourceVersion that guards the next write. */
export interface LeaseRecord {
  readonly spec: LeaseSpec;
  readonly resourceVersion: string;
}

/** What this replica last saw of the Lease: the record's content and when it first saw it. */
export interface Observation {
  /** {@link recordKey} of the record. */
  readonly key: string;
  /** Local time (ms) this replica first saw that content. */
  readonly observedAtMs: number;
}

/** The election's settings. */
export interface ElectionTiming {
  /** How long a lease holds without renewal (the Lease's `leaseDurationSeconds`). */
  readonly leaseDurationSeconds: number;
}

/** What to do now. */
export type LeaseDecision =
  | { readonly action: "create"; readonly spec: LeaseSpec }
  | {
      readonly action: "acquire";
      readonly spec: LeaseSpec;
      /** The previous holder (empty when the Lease was released). */
      readonly from: string;
      /** Why the Lease could be taken: expired, released, or unreadable (with the problems). */
      readonly reason: "expired" | "released" | "malformed";
      readonly problems?: readonly string[];
    }
  | { readonly action: "renew"; readonly spec: LeaseSpec }
  | {
      readonly action: "wait";
      readonly holder: string;
      /** Local time (ms) at which the holder's lease expires unless renewed. */
      readonly expiresAtMs: number;
    };

/** The content of a record that changes on every renewal (the resourceVersion does too). */
export function recordKey(record: LeaseRecord): string {
  const s = record.spec;
  return [
    s.holderIdentity ?? "",
    s.renewTime ?? "",
    s.leaseTransitions ?? 0,
    record.resourceVersion,
  ]
    .map(String)
    .join("|");
}

/**
 * The problems that make a Lease unreadable for the election, each naming the field and the
 * rule; empty when it is well formed. `name` is `namespace/name`, for the messages.
 */
export function leaseProblems(name: string, spec: LeaseSpec): string[] {
  const problems: string[] = [];
  const at = (field: string) => `Lease ${name}: spec.${field}`;
  const d = spec.leaseDurationSeconds;
  if (spec.holderIdentity && (d === undefined || !Number.isInteger(d) || d <= 0)) {
    problems.push(`${at("leaseDurationSeconds")}: ${String(d)} must be a positive whole number`);
  }
  for (const field of ["acquireTime", "renewTime"] as const) {
    const v = spec[field];
    if (v !== undefined && Number.isNaN(Date.parse(v))) {
      problems.push(`${at(field)}: "${v}" must be an RFC 3339 time`);
    }
  }
  const t = spec.leaseTransitions;
  if (t !== undefined && (!Number.isInteger(t) || t < 0)) {
    problems.push(`${at("leaseTransitions")}: ${String(t)} must be a whole number ≥ 0`);
  }
  return problems;
}

/** The Lease's MicroTime text for `ms` (RFC 3339, six fractional digits, UTC). */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, ".$1000Z");
}

/**
 * Decides, for replica `me` at local time `nowMs`, given the Lease (undefined when absent) and
 * this replica's previous observation of it. Returns the decision and the observation to keep.
 */
export function decideLease(input: {
  readonly name: string;
  readonly me: string;
  readonly nowMs: number;
  readonly record: LeaseRecord | undefined;
  readonly observed: Observation | undefined;
  readonly timing: ElectionTiming;
}): { decision: LeaseDecision; observed: Observation | undefined } {
  const { me, nowMs, record, timing } = input;
  const mine = (transitions: number, acquiredMs: number): LeaseSpec => ({
    holderIdentity: me,
    leaseDurationSeconds: timing.leaseDurationSeconds,
    acquireTime: microTime(acquiredMs),
    renewTime: microTime(nowMs),
    leaseTransitions: transitions,
  });
  if (!record) return { decision: { action: "create", spec: mine(0, nowMs) }, observed: undefined };

  const key = recordKey(record);
  const observed: Observation =
    input.observed?.key === key ? input.observed : { key, observedAtMs: nowMs };
  const spec = record.spec;
  const holder = spec.holderIdentity ?? "";
  const transitions = Number.isInteger(spec.leaseTransitions) ? spec.leaseTransitions! : 0;
  const problems = leaseProblems(input.name, spec);

  if (holder === me && problems.length === 0) {
    const acquired = Date.parse(spec.acquireTime ?? "") || nowMs;
    return { decision: { action: "renew", spec: mine(transitions, acquired) }, observed };
  }
  const take = (reason: "expired" | "released" | "malformed") => ({
    decision: {
      action: "acquire" as const,
      spec: mine(holder === me ? transitions : transitions + 1, nowMs),
      from: holder,
      reason,
      ...(reason === "malformed" ? { problems } : {}),
    },
    observed,
  });
  // A Lease no replica can interpret protects nothing; rewriting it (guarded by its
  // resourceVersion) is the only way the election can continue.
  if (problems.length > 0) return take("malformed");
  if (!holder) return take("released");
  const expiresAtMs = observed.observedAtMs + spec.leaseDurationSeconds! * 1000;
  if (nowMs >= expiresAtMs) return take("expired");
  return { decision: { action: "wait", holder, expiresAtMs }, observed };
}

/**
 * Whether a leader whose last successful write was at `lastRenewMs` still leads at `nowMs`: it
 * stops at its renew deadline, before any follower's view of the lease can expire.
 */
export function stillLeads(lastRenewMs: number, nowMs: number, renewDeadlineMs: number): boolean {
  return nowMs - lastRenewMs < renewDeadlineMs;
}

/**
 * The loop's timing derived from the lease duration, in client-go's proportions (15 s lease,
 * 10 s renew deadline, 2 s retry): renew deadline ⅔ of the lease, retry ⅐ of it (at least 100 ms).
 */
export function electionIntervals(leaseDurationSeconds: number): {
  renewDeadlineMs: number;
  retryMs: number;
} {
  const leaseMs = leaseDurationSeconds * 1000;
  return {
    renewDeadlineMs: Math.round((leaseMs * 2) / 3),
    retryMs: Math.max(100, Math.round(leaseMs / 7)),
  };
}
