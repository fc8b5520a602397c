/**
 * Continuous echo RPCs from several grpc-js-xds clients, counted per client, as a workload that
 * keeps calling while the control plane fails over. Calls use wait-for-ready, as a real service
 * would (a call then waits out a channel that is reconnecting instead of failing at once), with
 * a deadline long enough for that but short enough to count a stall as a failure.
 */
import * as grpc from "@grpc/grpc-js";
import { ECHO_SERVICE } from "./xds-echo";

const raw = (b: Buffer): Buffer => b;
const PATH = ECHO_SERVICE.Who!.path;

/** One client's tally. */
export interface ClientTally {
  ok: number;
  failed: number;
  /** Failures by status code and details, for the failure message. */
  errors: string[];
  /** Answers (backend names) of the last calls, newest last. */
  recent: string[];
  /** Answers by backend name. */
  byBackend: Record<string, number>;
}

/** Running traffic. */
export interface Traffic {
  /** Tallies by client name (live; read them any time). */
  readonly tallies: Record<string, ClientTally>;
  /** Stops calling and resolves once every call in flight has finished. */
  stop(): Promise<void>;
}

/** One wait-for-ready echo call. */
export function readyEcho(client: grpc.Client, deadlineMs: number): Promise<string> {
  return new Promise((resolve, reject) =>
    client.makeUnaryRequest(
      PATH,
      raw,
      raw,
      Buffer.alloc(0),
      new grpc.Metadata({ waitForReady: true }),
      { deadline: Date.now() + deadlineMs },
      (err: grpc.ServiceError | null, value?: Buffer) =>
        err ? reject(err) : resolve(String(value)),
    ),
  );
}

/**
 * Starts one calling loop per client (`concurrency` calls in flight each, `pauseMs` between a
 * loop's calls).
 */
export function startTraffic(
  clients: Readonly<Record<string, grpc.Client>>,
  { concurrency = 2, pauseMs = 5, deadlineMs = 10_000 } = {},
): Traffic {
  let running = true;
  const tallies: Record<string, ClientTally> = {};
  const loops: Promise<void>[] = [];
  for (const [name, client] of Object.entries(clients)) {
    const tally: ClientTally = { ok: 0, failed: 0, errors: [], recent: [], byBackend: {} };
    tallies[name] = tally;
    for (let i = 0; i < concurrency; i++) {
      loops.push(
        (async () => {
          while (running) {
            try {
              const who = await readyEcho(client, deadlineMs);
              tally.ok++;
              tally.byBackend[who] = (tally.byBackend[who] ?? 0) + 1;
              tally.recent.push(who);
              if (tally.recent.length > 20) tally.recent.shift();
            } catch (err) {
              tally.failed++;
              const e = err as grpc.ServiceError;
              if (tally.errors.length < 10) tally.errors.push(`${e.code}: ${e.details}`);
            }
            await new Promise(r => setTimeout(r, pauseMs));
          }
        })(),
      );
    }
  }
  return {
    tallies,
    stop: async () => {
      running = false;
      await Promise.all(loops);
    },
  };
}

/** Sum of ok and failed calls over every client. */
export function totals(tallies: Readonly<Record<string, ClientTally>>): {
  ok: number;
  failed: number;
} {
  let ok = 0;
  let failed = 0;
  for (const t of Object.values(tallies)) {
    ok += t.ok;
    failed += t.failed;
  }
  return { ok, failed };
}
