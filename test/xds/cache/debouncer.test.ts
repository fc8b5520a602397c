import { createDebouncer, type Timers } from "../../../xds/cache/debouncer";
import {
  configChange,
  endpointChange,
  mergePushRequests,
  type PushRequest,
} from "../../../xds/cache/push-request";

/** A hand-driven clock: timers fire only when `advance` passes them. */
function fakeTimers(): Timers & { advance(ms: number): void; pending(): number } {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: handle => void timers.delete(handle as number),
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = [...timers.entries()].sort((a, b) => a[1].at - b[1].at)[0];
        if (!next || next[1].at > end) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = end;
    },
    pending: () => timers.size,
  };
}

function setup(options: { quietMs?: number; maxDelayMs?: number } = {}) {
  const timers = fakeTimers();
  const flushed: { at: number; batch: PushRequest; events: number; waitedMs: number }[] = [];
  const debouncer = createDebouncer<PushRequest>({
    ...options,
    timers,
    merge: mergePushRequests,
    flush: (batch, info) => void flushed.push({ at: timers.now(), batch, ...info }),
  });
  return { timers, flushed, debouncer };
}

describe("createDebouncer", () => {
  it("flushes after 100 ms of quiet by default", () => {
    const { timers, flushed, debouncer } = setup();
    debouncer.push(configChange("VirtualService default/reviews"));
    timers.advance(99);
    expect(flushed).toHaveLength(0);
    timers.advance(1);
    expect(flushed).toHaveLength(1);
    expect(flushed[0]).toMatchObject({ at: 100, events: 1, waitedMs: 100 });
  });

  it("restarts the quiet period on each event and merges the batch", () => {
    const { timers, flushed, debouncer } = setup();
    debouncer.push(endpointChange("a.default"));
    timers.advance(60);
    debouncer.push(endpointChange("b.default"));
    timers.advance(60);
    expect(flushed).toHaveLength(0);
    timers.advance(40);
    expect(flushed).toHaveLength(1);
    expect(flushed[0]!.batch.full).toBe(false);
    expect([...flushed[0]!.batch.endpoints].sort()).toEqual(["a.default", "b.default"]);
  });

  it("never waits longer than the cap under a steady stream of events", () => {
    const { timers, flushed, debouncer } = setup({ quietMs: 100, maxDelayMs: 1_000 });
    for (let t = 0; t < 2_500; t += 50) {
      debouncer.push(endpointChange(`s${t}`));
      timers.advance(50);
    }
    expect(flushed.map(f => f.at)).toEqual([1_000, 2_000]);
    expect(flushed[0]!.waitedMs).toBe(1_000);
  });

  it("a config change in a batch makes the push full; endpoint-only batches stay EDS-only", () => {
    const { timers, flushed, debouncer } = setup();
    debouncer.push(endpointChange("a.default"));
    debouncer.push(configChange("DestinationRule default/a"));
    timers.advance(100);
    debouncer.push(endpointChange("a.default"));
    timers.advance(100);
    expect(flushed.map(f => f.batch.full)).toEqual([true, false]);
    expect([...flushed[0]!.batch.reasons].sort()).toEqual([
      "DestinationRule default/a",
      "endpoints",
    ]);
  });

  it("does not overlap a slow push; events during it form the next batch", async () => {
    const timers = fakeTimers();
    const flushed: number[] = [];
    let release!: () => void;
    const debouncer = createDebouncer<number>({
      quietMs: 10,
      timers,
      merge: (a, b) => a + b,
      flush: batch => {
        flushed.push(batch);
        return new Promise<void>(r => (release = r));
      },
    });
    debouncer.push(1);
    timers.advance(10);
    debouncer.push(2);
    debouncer.push(3);
    timers.advance(10);
    expect(flushed).toEqual([1]);
    release();
    await new Promise(r => setImmediate(r));
    expect(flushed).toEqual([1, 5]);
  });

  it("flushNow and cancel", async () => {
    const { timers, flushed, debouncer } = setup();
    debouncer.push(configChange("x"));
    await debouncer.flushNow();
    expect(flushed).toHaveLength(1);
    debouncer.push(configChange("y"));
    debouncer.cancel();
    timers.advance(1_000);
    expect(flushed).toHaveLength(1);
    expect(timers.pending()).toBe(0);
  });
});
