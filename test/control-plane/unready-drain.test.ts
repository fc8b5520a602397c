import { UnreadyDrain } from "../../control-plane/unready-drain";
import { until } from "../harness/poll";

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

describe("UnreadyDrain", () => {
  it("drains at once when unready, again while streams keep arriving, and stops when ready", async () => {
    let drains = 0;
    let streams = 3;
    const unready = new UnreadyDrain({
      drain: () => {
        drains += 1;
        streams = 0;
      },
      openStreams: () => streams,
      intervalMs: 20,
    });

    unready.unready();
    expect(drains).toBe(1);
    expect(unready.active).toBe(true);

    // Nothing arrives: no further drain.
    await sleep(100);
    expect(drains).toBe(1);

    // A proxy reconnects through a Service that still lists this replica: it is sent away.
    streams = 1;
    await until("the late arrival to be drained", () => drains === 2);
    expect(streams).toBe(0);

    // Turning unready again while draining does not start a second timer.
    unready.unready();
    expect(drains).toBe(3);
    streams = 1;
    await until("one more drain", () => drains === 4);
    await sleep(100);
    expect(drains).toBe(4);

    // Ready again: proxies stay.
    unready.ready();
    expect(unready.active).toBe(false);
    streams = 2;
    await sleep(100);
    expect(drains).toBe(4);
  });
});
