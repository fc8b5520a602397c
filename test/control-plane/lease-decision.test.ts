import {
  decideLease,
  electionIntervals,
  leaseProblems,
  microTime,
  recordKey,
  stillLeads,
  type LeaseRecord,
  type LeaseSpec,
  type Observation,
} from "../../control-plane/lease-decision";

const NAME = "pepr-system/rigging-control-plane-leader";
const T0 = Date.parse("2026-12-05T12:00:00Z");
const timing = { leaseDurationSeconds: 15 };
const held = (spec: Partial<LeaseSpec> = {}, resourceVersion = "7"): LeaseRecord => ({
  resourceVersion,
  spec: {
    holderIdentity: "b",
    leaseDurationSeconds: 15,
    acquireTime: microTime(T0 - 60_000),
    renewTime: microTime(T0 - 1_000),
    leaseTransitions: 3,
    ...spec,
  },
});
const seen = (record: LeaseRecord, atMs: number): Observation => ({
  key: recordKey(record),
  observedAtMs: atMs,
});
const decide = (record: LeaseRecord | undefined, observed?: Observation, nowMs = T0, me = "a") =>
  decideLease({ name: NAME, me, nowMs, record, observed, timing });

describe("deciding on the control-plane Lease", () => {
  it("creates an absent Lease, holding it from now, with no transitions yet", () => {
    expect(decide(undefined).decision).toEqual({
      action: "create",
      spec: {
        holderIdentity: "a",
        leaseDurationSeconds: 15,
        acquireTime: "2026-12-05T12:00:00.000000Z",
        renewTime: "2026-12-05T12:00:00.000000Z",
        leaseTransitions: 0,
      },
    });
  });

  it.each([
    ["first seen now: waits the whole duration", undefined, T0, T0 + 15_000],
    ["seen unchanged for 14.9 s: still waits", "same", T0 + 14_900, T0 + 15_000],
  ])("another replica's live Lease, %s", (_what, prior, nowMs, expiresAtMs) => {
    const record = held();
    const observed = prior ? seen(record, T0) : undefined;
    expect(decide(record, observed, nowMs).decision).toEqual({
      action: "wait",
      holder: "b",
      expiresAtMs,
    });
  });

  it("judges expiry by when this replica saw the record change, not by the holder's renewTime", () => {
    // renewTime is an hour old by our clock (skew): still live, because we just saw it change.
    const record = held({ renewTime: microTime(T0 - 3_600_000) });
    expect(decide(record, undefined, T0).decision.action).toBe("wait");
    // A renewal (new resourceVersion) restarts the wait.
    const renewed = held({}, "8");
    const { decision } = decide(renewed, seen(held(), T0 - 20_000), T0);
    expect(decision).toMatchObject({ action: "wait", expiresAtMs: T0 + 15_000 });
  });

  it("takes over a Lease unchanged for its duration, counting one more transition", () => {
    const record = held();
    const { decision } = decide(record, seen(record, T0 - 15_000), T0);
    expect(decision).toEqual({
      action: "acquire",
      from: "b",
      reason: "expired",
      spec: {
        holderIdentity: "a",
        leaseDurationSeconds: 15,
        acquireTime: microTime(T0),
        renewTime: microTime(T0),
        leaseTransitions: 4,
      },
    });
  });

  it("takes a released Lease (empty holder) at once", () => {
    const record = held({ holderIdentity: "", leaseDurationSeconds: 1 });
    expect(decide(record).decision).toMatchObject({ action: "acquire", reason: "released" });
  });

  it("renews its own Lease, keeping acquireTime and the transition count", () => {
    const { decision } = decide(held({ holderIdentity: "a" }));
    expect(decision).toEqual({
      action: "renew",
      spec: {
        holderIdentity: "a",
        leaseDurationSeconds: 15,
        acquireTime: microTime(T0 - 60_000),
        renewTime: microTime(T0),
        leaseTransitions: 3,
      },
    });
  });

  it.each([
    [
      { leaseDurationSeconds: 0 },
      `Lease ${NAME}: spec.leaseDurationSeconds: 0 must be a positive whole number`,
    ],
    [
      { leaseDurationSeconds: undefined },
      `Lease ${NAME}: spec.leaseDurationSeconds: undefined must be a positive whole number`,
    ],
    [
      { renewTime: "yesterday" },
      `Lease ${NAME}: spec.renewTime: "yesterday" must be an RFC 3339 time`,
    ],
    [{ acquireTime: "x" }, `Lease ${NAME}: spec.acquireTime: "x" must be an RFC 3339 time`],
    [
      { leaseTransitions: -1 },
      `Lease ${NAME}: spec.leaseTransitions: -1 must be a whole number ≥ 0`,
    ],
  ])("a malformed Lease %j is named and taken over", (patch, problem) => {
    const record = held(patch);
    expect(leaseProblems(NAME, record.spec)).toEqual([problem]);
    const { decision } = decide(record);
    expect(decision).toMatchObject({
      action: "acquire",
      reason: "malformed",
      from: "b",
      problems: [problem],
    });
  });

  it("a well-formed Lease has no problems", () => {
    expect(leaseProblems(NAME, held().spec)).toEqual([]);
  });

  it.each([
    [0, 9_999, true],
    [0, 10_000, false],
  ])(
    "a leader last renewed at %d still leads at %d: %s (renew deadline 10 s)",
    (last, now, leads) => {
      expect(stillLeads(last, now, 10_000)).toBe(leads);
    },
  );

  it.each([
    [15, { renewDeadlineMs: 10_000, retryMs: 2_143 }],
    [3, { renewDeadlineMs: 2_000, retryMs: 429 }],
    [2, { renewDeadlineMs: 1_333, retryMs: 286 }],
  ])("a %d s lease renews within %j", (seconds, intervals) => {
    expect(electionIntervals(seconds)).toEqual(intervals);
  });
});
