import { leaderIdentity, leaseDurationSeconds } from "../../control-plane/leader-config";

describe("RIGGING_LEASE_DURATION_SECONDS", () => {
  it.each([
    [undefined, 15],
    ["", 15],
    ["2", 2],
    ["300", 300],
  ])("%j → %d s", (value, seconds) => {
    expect(leaseDurationSeconds({ RIGGING_LEASE_DURATION_SECONDS: value })).toBe(seconds);
  });

  it.each(["1", "301", "0", "-5", "2.5", "15s", "abc"])(
    "refuses %j, naming the variable and the rule",
    value => {
      expect(() => leaseDurationSeconds({ RIGGING_LEASE_DURATION_SECONDS: value })).toThrow(
        `RIGGING_LEASE_DURATION_SECONDS: "${value}" must be a whole number of seconds from 2 to 300`,
      );
    },
  );
});

describe("a replica's Lease identity", () => {
  it("is the host (pod) name with a suffix, so a restarted container is a new candidate", () => {
    expect(leaderIdentity("1a2b3c4d", "pepr-rigging-watcher-7d9f-x2")).toBe(
      "pepr-rigging-watcher-7d9f-x2_1a2b3c4d",
    );
  });
});
