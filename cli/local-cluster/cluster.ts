import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiRequest, type ApiConnection, type ApiResponse } from "./api";
import { ensureBinaries } from "./binaries";
import { renderKubeconfig } from "./kubeconfig";
import { createClusterPki, type ClusterPki } from "./pki";
import { freePort } from "./ports";
import {
  commandLine,
  isAlive,
  killNow,
  logTail,
  sleep,
  startProcess,
  stopProcess,
  type ManagedProcess,
} from "./processes";
import { fakeNode, isNodeReady } from "./nodes";
import { controlPlaneArgs, type ControlPlanePorts } from "./args";

/** What a running local cluster is, written to `state.json` in its folder. */
export interface ClusterState {
  name: string;
  dir: string;
  binDir: string;
  server: string;
  kubeconfig: string;
  ports: ControlPlanePorts;
  processes: ManagedProcess[];
  /** The process whose exit stops the cluster; `null` for a detached cluster (`rig cluster up`). */
  ownerPid: number | null;
  startedAt: string;
}

/** How to start a local cluster. */
export interface StartClusterOptions {
  /** Cluster (and kubeconfig context) name. @default "rigging" */
  name?: string;
  /** Folder for state, certificates, data and logs. @default a new temp folder */
  dir?: string;
  /** Fake nodes that kwok runs. @default 2 */
  nodes?: number;
  /** Leave the cluster running when this process exits (what `rig cluster up` does). */
  detached?: boolean;
  /** Folder with the binaries; built or found through `scripts/k8s-binaries.sh` when absent. */
  binDir?: string;
  /** Receives a line for every step, for progress output. */
  onProgress?: (line: string) => void;
}

const stateFile = "state.json";
const tempPrefix = "rigging-cluster-";
const owned = new Set<LocalCluster>();

/** A running etcd + kube-apiserver + controller-manager + scheduler + kwok on loopback ports. */
export class LocalCluster {
  constructor(
    readonly state: ClusterState,
    private readonly conn: ApiConnection,
  ) {}

  /** Path of the admin kubeconfig (cluster CA inlined, client certificate in system:masters). */
  get kubeconfigPath(): string {
    return this.state.kubeconfig;
  }

  /** How to reach the API server with the admin identity. */
  get connection(): ApiConnection {
    return this.conn;
  }

  /**
   * One API request; if it fails because a component died, the error carries its log tail.
   * Writes may wait on admission webhooks (Rigging's allow 10 s, the API 30 s at most), so only
   * reads are cut at 5 s.
   */
  async api(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const timeoutMs = method === "GET" ? 5_000 : 35_000;
    try {
      return await apiRequest(this.conn, method, path, body, timeoutMs);
    } catch (err) {
      this.assertHealthy();
      throw err;
    }
  }

  /** Each component with its pid and whether it still runs. */
  health(): Array<ManagedProcess & { alive: boolean }> {
    return this.state.processes.map(p => ({ ...p, alive: isAlive(p.pid) }));
  }

  /** Throws, with the log tail of each dead component, unless every component still runs. */
  assertHealthy(): void {
    const dead = this.health().filter(p => !p.alive);
    if (dead.length === 0) return;
    throw new Error(
      dead
        .map(p => `${p.name} (pid ${p.pid}) is not running; last log lines:\n${logTail(p.logPath)}`)
        .join("\n\n"),
    );
  }

  /**
   * Stops every component by pid and deletes the cluster's folder. All at once, with a short
   * grace: the data is deleted anyway, and an apiserver politely draining watches from
   * components that are themselves stopping only adds seconds.
   */
  async stop(): Promise<void> {
    owned.delete(this);
    await Promise.all(this.state.processes.map(p => stopProcess(p.pid, 2000)));
    rmSync(this.state.dir, { recursive: true, force: true });
  }
}

/**
 * Starts a local cluster: certificates, etcd, kube-apiserver, controller-manager, scheduler and
 * kwok with fake nodes, each on a free loopback port; resolves once `/readyz` answers, the
 * default ServiceAccount exists and every node is Ready. A component that dies during startup
 * rejects with its log tail; a port taken in the meantime is retried on another.
 */
export async function startCluster(options: StartClusterOptions = {}): Promise<LocalCluster> {
  const progress = options.onProgress ?? (() => {});
  reapOrphans();
  const binDir = options.binDir ?? (await ensureBinaries(progress));
  const name = options.name ?? "rigging";
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), tempPrefix));
  mkdirSync(dir, { recursive: true });
  const pki = createClusterPki();
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const cluster = await boot({ ...options, name, dir, binDir, pki, progress });
      progress(`cluster ${name} ready in ${((Date.now() - started) / 1000).toFixed(1)}s`);
      return cluster;
    } catch (err) {
      const retry = err instanceof PortInUseError && attempt < 3;
      if (!retry) {
        if (!options.dir) rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      progress(`${err.message}; retrying on other ports`);
    }
  }
}

class PortInUseError extends Error {}

interface BootInput extends StartClusterOptions {
  name: string;
  dir: string;
  binDir: string;
  pki: ClusterPki;
  progress: (line: string) => void;
}

async function boot(input: BootInput): Promise<LocalCluster> {
  const { dir, binDir, pki, progress, name } = input;
  const files = writePki(dir, pki);
  const ports: ControlPlanePorts = {
    etcd: await freePort(),
    etcdPeer: await freePort(),
    apiserver: await freePort(),
    controllerManager: await freePort(),
    scheduler: await freePort(),
    kwok: await freePort(),
  };
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const kubeconfig = join(dir, "kubeconfig");
  writeFileSync(
    kubeconfig,
    renderKubeconfig({
      name,
      server,
      caPem: pki.ca.certPem,
      certPem: pki.admin.certPem,
      keyPem: pki.admin.keyPem,
    }),
    { mode: 0o600 },
  );
  const stages = readdirSync(join(binDir, "kwok-stages")).map(f => join(binDir, "kwok-stages", f));
  const args = controlPlaneArgs({ dir, ports, files, kubeconfig, stages });
  const conn: ApiConnection = {
    server,
    caPem: pki.ca.certPem,
    certPem: pki.admin.certPem,
    keyPem: pki.admin.keyPem,
  };
  const state: ClusterState = {
    name,
    dir,
    binDir,
    server,
    kubeconfig,
    ports,
    processes: [],
    ownerPid: input.detached ? null : process.pid,
    startedAt: new Date().toISOString(),
  };
  const cluster = new LocalCluster(state, conn);
  if (!input.detached) trackOwned(cluster);
  const launch = (component: keyof typeof args) => {
    const p = startProcess(
      component,
      join(binDir, component),
      args[component],
      join(dir, `${component}.log`),
    );
    state.processes.push(p);
    writeFileSync(join(dir, stateFile), JSON.stringify(state, null, 2));
  };
  try {
    progress("starting etcd");
    launch("etcd");
    await waitFor(state, "etcd to report healthy", 30_000, async () => {
      const res = await fetch(`http://127.0.0.1:${ports.etcd}/health`).catch(() => undefined);
      return res?.ok === true;
    });
    progress("starting kube-apiserver");
    launch("kube-apiserver");
    await waitFor(state, "kube-apiserver /readyz", 90_000, async () => {
      const res = await apiRequest(conn, "GET", "/readyz").catch(() => undefined);
      return res?.status === 200;
    });
    progress("starting kube-controller-manager, kube-scheduler and kwok");
    launch("kube-controller-manager");
    launch("kube-scheduler");
    launch("kwok");
    await waitFor(state, "the default ServiceAccount", 60_000, async () => {
      const res = await apiRequest(
        conn,
        "GET",
        "/api/v1/namespaces/default/serviceaccounts/default",
      );
      return res.status === 200;
    });
    const nodeCount = input.nodes ?? 2;
    progress(`creating ${nodeCount} fake nodes`);
    for (let i = 0; i < nodeCount; i++) {
      const res = await apiRequest(conn, "POST", "/api/v1/nodes", fakeNode(i));
      if (res.status !== 201)
        throw new Error(`creating fake node ${i}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    }
    await waitFor(state, `${nodeCount} Ready nodes`, 60_000, async () => {
      const res = await apiRequest(conn, "GET", "/api/v1/nodes");
      const items = (res.body as { items?: unknown[] }).items ?? [];
      return items.length === nodeCount && items.every(isNodeReady);
    });
    return cluster;
  } catch (err) {
    owned.delete(cluster);
    await Promise.all(state.processes.map(p => stopProcess(p.pid, 2000)));
    const taken = state.processes.some(p => /address already in use/.test(logTail(p.logPath, 50)));
    if (taken) throw new PortInUseError("a port was taken by another process during startup");
    throw err;
  }
}

function writePki(dir: string, pki: ClusterPki) {
  const pkiDir = join(dir, "pki");
  mkdirSync(pkiDir, { recursive: true });
  const files = {
    caCert: join(pkiDir, "ca.crt"),
    caKey: join(pkiDir, "ca.key"),
    apiserverCert: join(pkiDir, "apiserver.crt"),
    apiserverKey: join(pkiDir, "apiserver.key"),
    saKey: join(pkiDir, "sa.key"),
    saPub: join(pkiDir, "sa.pub"),
  };
  writeFileSync(files.caCert, pki.ca.certPem);
  writeFileSync(files.caKey, pki.ca.keyPem, { mode: 0o600 });
  writeFileSync(files.apiserverCert, pki.apiserver.certPem);
  writeFileSync(files.apiserverKey, pki.apiserver.keyPem, { mode: 0o600 });
  writeFileSync(files.saKey, pki.serviceAccount.privateKeyPem, { mode: 0o600 });
  writeFileSync(files.saPub, pki.serviceAccount.publicKeyPem);
  return files;
}

/** Polls `check` until it holds; fails fast, with the log tail, if a component has died. */
async function waitFor(
  state: ClusterState,
  what: string,
  timeoutMs: number,
  check: () => Promise<boolean>,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const p of state.processes) {
      if (!isAlive(p.pid)) {
        throw new Error(
          `${p.name} exited while waiting for ${what}; last log lines:\n${logTail(p.logPath)}`,
        );
      }
    }
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) {
      const logs = state.processes.map(p => `--- ${p.name}\n${logTail(p.logPath, 10)}`).join("\n");
      throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}\n${logs}`);
    }
    await sleep(200);
  }
}

/** Reads a cluster from its folder's `state.json`, or `undefined` when there is none. */
export function loadCluster(dir: string): LocalCluster | undefined {
  let state: ClusterState;
  try {
    state = JSON.parse(readFileSync(join(dir, stateFile), "utf8")) as ClusterState;
  } catch {
    return undefined;
  }
  const pkiDir = join(dir, "pki");
  const kubeconfig = readFileSync(state.kubeconfig, "utf8");
  const field = (key: string) =>
    Buffer.from(new RegExp(`${key}: (\\S+)`).exec(kubeconfig)?.[1] ?? "", "base64").toString();
  return new LocalCluster(state, {
    server: state.server,
    caPem: readFileSync(join(pkiDir, "ca.crt"), "utf8"),
    certPem: field("client-certificate-data"),
    keyPem: field("client-key-data"),
  });
}

function stopAllOwnedNow(): void {
  for (const cluster of owned) {
    for (const p of cluster.state.processes) killNow(p.pid);
    rmSync(cluster.state.dir, { recursive: true, force: true });
  }
  owned.clear();
}

let handlersInstalled = false;

// A cluster owned by this process dies with it: on a normal exit, on Ctrl-C and on SIGTERM.
function trackOwned(cluster: LocalCluster): void {
  owned.add(cluster);
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on("exit", stopAllOwnedNow);
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    process.once(signal, () => {
      stopAllOwnedNow();
      process.exit(code);
    });
  }
}

/**
 * Stops clusters left behind by a process that was killed before it could clean up (temp
 * folders whose owner is gone). A pid is only killed if it still runs a binary of that cluster,
 * so a reused pid is never touched.
 */
export function reapOrphans(root = tmpdir()): number {
  let reaped = 0;
  for (const entry of readdirSync(root)) {
    if (!entry.startsWith(tempPrefix)) continue;
    const dir = join(root, entry);
    let state: ClusterState;
    try {
      state = JSON.parse(readFileSync(join(dir, stateFile), "utf8")) as ClusterState;
    } catch {
      continue;
    }
    if (state.ownerPid === null || isAlive(state.ownerPid)) continue;
    for (const p of state.processes) {
      if (isAlive(p.pid) && commandLine(p.pid).includes(state.binDir)) killNow(p.pid);
    }
    rmSync(dir, { recursive: true, force: true });
    reaped++;
  }
  return reaped;
}
