import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalCluster } from "./cluster";
import { sleep, startProcess, stopProcess } from "./processes";

/** How a component's restart went. */
export interface Restart {
  /** From the stop signal until the component was gone. */
  readonly stoppingMs: number;
  /** From the new start until `ready` held. */
  readonly startingMs: number;
}

/**
 * Restarts one component of a running local cluster (`kube-apiserver`, `etcd`, …) with the command
 * line it runs with now: SIGTERM (SIGKILL after `graceMs`), `downMs` with nothing running, then
 * the same binary and flags again, appending to the same log. The cluster's state (and
 * `state.json`, which `rig cluster down` and orphan reaping read) follows the new pid. Resolves
 * once `ready` holds (for the API server: `/readyz` answers 200).
 */
export async function restartComponent(
  cluster: LocalCluster,
  name: string,
  { downMs = 0, graceMs = 5_000, ready = async () => true, timeoutMs = 120_000 } = {},
): Promise<Restart> {
  const processes = cluster.state.processes;
  const index = processes.findIndex(p => p.name === name);
  if (index < 0) throw new Error(`the cluster has no component ${name}`);
  const old = processes[index]!;
  // Linux: the exact argv, so the restart reuses every port, certificate and data folder.
  const argv = readFileSync(`/proc/${old.pid}/cmdline`, "utf8").split("\0").filter(Boolean);
  const stopping = Date.now();
  await stopProcess(old.pid, graceMs);
  const stoppingMs = Date.now() - stopping;
  await sleep(downMs);
  const starting = Date.now();
  processes[index] = startProcess(name, argv[0]!, argv.slice(1), old.logPath);
  writeFileSync(join(cluster.state.dir, "state.json"), JSON.stringify(cluster.state, null, 2));
  const deadline = starting + timeoutMs;
  while (!(await ready().catch(() => false))) {
    if (Date.now() > deadline)
      throw new Error(`${name} was not ready ${timeoutMs / 1000}s after its restart`);
    await sleep(100);
  }
  return { stoppingMs, startingMs: Date.now() - starting };
}

/** Restarts the API server and waits for `/readyz`. */
export function restartApiServer(
  cluster: LocalCluster,
  options: { downMs?: number } = {},
): Promise<Restart> {
  return restartComponent(cluster, "kube-apiserver", {
    ...options,
    ready: async () => (await cluster.api("GET", "/readyz")).status === 200,
  });
}
