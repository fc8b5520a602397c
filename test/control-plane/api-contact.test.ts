import { ApiContactMonitor, apiContactVerdict } from "../../control-plane/api-contact";

describe("apiContactVerdict", () => {
  it.each([
    [
      "within the bound of the start, before any contact",
      { since: 0 },
      10_000,
      { reachable: true },
    ],
    [
      "within the bound of the last contact",
      { since: 0, lastOk: 5_000 },
      14_000,
      { reachable: true },
    ],
    [
      "past the bound of the last contact",
      { since: 0, lastOk: 5_000, lastError: "connect ECONNREFUSED 127.0.0.1:6443" },
      15_001,
      {
        reachable: false,
        reason:
          "no contact with the Kubernetes API server for 10.0s: connect ECONNREFUSED 127.0.0.1:6443",
      },
    ],
    [
      "past the bound of the start, never reached",
      { since: 1_000, lastError: "HTTP 503" },
      12_000,
      {
        reachable: false,
        reason: "no contact with the Kubernetes API server since start 11.0s ago: HTTP 503",
      },
    ],
  ])("%s", (_what, state, now, verdict) =>
    expect(apiContactVerdict(state, now, 10_000)).toEqual(verdict),
  );
});

describe("ApiContactMonitor", () => {
  it("turns unreachable once probes have failed for the bound, and reachable at the next success", async () => {
    let now = 0;
    let up = true;
    const changes: boolean[] = [];
    const monitor = new ApiContactMonitor({
      probe: async () => {
        if (!up) throw new Error("connect ECONNREFUSED");
      },
      boundMs: 1_000,
      now: () => now,
      onChange: v => changes.push(v.reachable),
    });
    await monitor.probeOnce();
    up = false;
    now = 900;
    await monitor.probeOnce();
    expect(monitor.verdict().reachable).toBe(true);
    now = 1_100;
    await monitor.probeOnce();
    expect(monitor.verdict()).toEqual({
      reachable: false,
      reason: "no contact with the Kubernetes API server for 1.1s: connect ECONNREFUSED",
    });
    up = true;
    now = 5_000;
    await monitor.probeOnce();
    expect(monitor.verdict().reachable).toBe(true);
    expect(changes).toEqual([false, true]);
  });

  it("counts a probe that never answers as failed after its timeout", async () => {
    let now = 0;
    const monitor = new ApiContactMonitor({
      probe: () => new Promise(() => undefined),
      boundMs: 1_000,
      timeoutMs: 20,
      now: () => now,
    });
    now = 2_000;
    await monitor.probeOnce();
    expect(monitor.verdict()).toEqual({
      reachable: false,
      reason:
        "no contact with the Kubernetes API server since start 2.0s ago: no answer within 20 ms",
    });
  });
});
