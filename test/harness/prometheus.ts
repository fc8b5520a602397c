/**
 * A real Prometheus server (Debian's package, unpacked by scripts/prometheus-binary.sh into the
 * binary cache) on loopback, scraping targets the test names, and a client for its HTTP API.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../cli/local-cluster/ports";
import { GaveUp, until } from "./poll";
import { repoRoot } from "./shared";

/** One scrape job: an HTTPS target with a self-signed certificate (the module's own). */
export interface ScrapeTarget {
  readonly job: string;
  /** `127.0.0.1:port` */
  readonly address: string;
  readonly scheme: "http" | "https";
}

/** One sample of an instant-query result. */
export interface PromSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

/** A running Prometheus. */
export interface RunningPrometheus {
  readonly url: string;
  /** Runs an instant query; rejects with Prometheus's own error text on a bad expression. */
  query(expr: string): Promise<PromSample[]>;
  /** Stops the server and deletes its data. */
  stop(): Promise<void>;
}

/** Where scripts/prometheus-binary.sh keeps the binary; the test fails clearly if it is absent. */
export function prometheusBinary(): string {
  const where = spawnSync("bash", [join(repoRoot, "scripts", "prometheus-binary.sh"), "--where"], {
    encoding: "utf8",
  }).stdout.trim();
  if (!existsSync(where))
    throw new Error(`no Prometheus at ${where}: run npm run prometheus:binary (npm test does)`);
  return where;
}

/** The scrape config: every second, so a test sees a change within a few seconds. */
export function scrapeConfig(targets: readonly ScrapeTarget[]): string {
  const jobs = targets.map(t =>
    [
      `  - job_name: ${t.job}`,
      `    scheme: ${t.scheme}`,
      // The module serves /metrics with a certificate only it knows; the target is loopback.
      ...(t.scheme === "https" ? ["    tls_config:", "      insecure_skip_verify: true"] : []),
      `    static_configs:`,
      `      - targets: ["${t.address}"]`,
    ].join("\n"),
  );
  return [
    "global:",
    "  scrape_interval: 1s",
    "  evaluation_interval: 1s",
    "scrape_configs:",
    ...jobs,
  ]
    .join("\n")
    .concat("\n");
}

/** Starts Prometheus on a free loopback port and waits until it says it is ready. */
export async function startPrometheus(
  targets: readonly ScrapeTarget[],
): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "rigging-prometheus-"));
  writeFileSync(join(dir, "prometheus.yml"), scrapeConfig(targets));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const log: string[] = [];
  const child: ChildProcess = spawn(
    prometheusBinary(),
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout?.on("data", (b: Buffer) => log.push(b.toString()));
  child.stderr?.on("data", (b: Buffer) => log.push(b.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise(r => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise(r => setTimeout(r, 5000))]);
      child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const recentLog = () => log.join("").slice(-2000);
  const ready = async (): Promise<boolean> => {
    if (child.exitCode !== null)
      throw new GaveUp(`prometheus exited (${child.exitCode}):\n${recentLog()}`);
    return fetch(`${url}/-/ready`).then(
      r => r.ok,
      () => false,
    );
  };
  try {
    await until("prometheus to be ready", ready, 60_000, 250);
  } catch (err) {
    await stop();
    if (err instanceof GaveUp) throw err;
    throw new Error(`prometheus not ready after 60 s:\n${recentLog()}`);
  }
  return {
    url,
    stop,
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as {
        status: string;
        error?: string;
        data?: { resultType: string; result: PromSample[] };
      };
      if (body.status !== "success") throw new Error(`${expr}: ${body.error ?? res.status}`);
      return body.data?.resultType === "vector" ? body.data.result : [];
    },
  };
}
