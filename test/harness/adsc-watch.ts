/**
 * Istio's own ADS client (`istio.io/istio/pkg/adsc`) as a test proxy: tools/istio/cmd/adsc-watch,
 * built by scripts/istio-binaries.sh, connects as one sidecar and prints each response as a JSON
 * line. adsc reconnects after the server drops its stream and sends a non-empty
 * `response_nonce` on the new stream's requests, as Envoy does.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { repoRoot } from "./shared";
import { GaveUp, until } from "./poll";

/** One line adsc-watch printed. */
export interface AdscEvent {
  readonly event: "started" | "response" | "error";
  /** Unix ms. */
  readonly at: number;
  readonly type?: string;
  readonly version?: string;
  readonly nonce?: string;
  readonly names?: readonly string[];
  readonly node?: string;
  readonly error?: string;
}

/** A running adsc-watch. */
export interface AdscWatch {
  /** Its node id. */
  readonly nodeId: string;
  /** Everything printed so far, in order. */
  readonly events: AdscEvent[];
  /** Its stderr (adsc's own log), last lines. */
  readonly log: string[];
  /** Resolves when `predicate` holds over the events; rejects after `timeoutMs`. */
  waitFor(
    predicate: (events: readonly AdscEvent[]) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<void>;
  /** Stops the process. */
  stop(): Promise<void>;
}

/**
 * The adsc-watch binary. Tests never build it (`npm run istio:binaries` does); a missing binary
 * fails with that advice.
 */
export function adscWatchBinary(): string {
  const res = spawnSync(
    "bash",
    [join(repoRoot, "scripts", "istio-binaries.sh"), "--where", "adsc-watch"],
    { encoding: "utf8" },
  );
  const path = res.stdout.trim().split("\n").pop() ?? "";
  if (res.status !== 0 || !path || !existsSync(path)) {
    throw new Error(
      `adsc-watch not found${path ? ` at ${path}` : ""}: build it with \`npm run istio:binaries\` ` +
        "(bash scripts/istio-binaries.sh pilot-agent adsc-watch)",
    );
  }
  return path;
}

/** Starts adsc-watch against `address` as sidecar `workload` (IP `ip`) in namespace default. */
export function startAdscWatch(address: string, ip: string, workload: string): AdscWatch {
  const child: ChildProcess = spawn(
    adscWatchBinary(),
    ["-address", address, "-ip", ip, "-workload", workload, "-namespace", "default"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const events: AdscEvent[] = [];
  const log: string[] = [];
  createInterface({ input: child.stdout! }).on("line", line => {
    try {
      events.push(JSON.parse(line) as AdscEvent);
    } catch {
      log.push(line);
    }
  });
  createInterface({ input: child.stderr! }).on("line", line => {
    log.push(line);
    if (log.length > 200) log.shift();
  });
  const exited = new Promise<void>(resolve => child.once("exit", () => resolve()));
  return {
    nodeId: `sidecar~${ip}~${workload}.default~default.svc.cluster.local`,
    events,
    log,
    async waitFor(predicate, timeoutMs, what) {
      const recentLog = () => log.slice(-20).join("\n");
      const held = () => {
        if (predicate(events)) return true;
        if (child.exitCode !== null)
          throw new GaveUp(
            `adsc-watch exited (${child.exitCode}) waiting for ${what}:\n${recentLog()}`,
          );
        return false;
      };
      try {
        await until(what, held, timeoutMs);
      } catch (err) {
        if (err instanceof GaveUp) throw err;
        throw new Error(`${(err as Error).message}; adsc log:\n${recentLog()}`);
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
