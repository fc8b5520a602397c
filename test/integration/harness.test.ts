import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { reapOrphans } from "../../cli/local-cluster/cluster";
import { isAlive } from "../../cli/local-cluster/processes";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { eventually, getJson } from "../harness/kube";
import { until } from "../harness/poll";

/** Starts a process that owns a cluster, and resolves with that cluster's folder and pids. */
function clusterOwner(): Promise<{ owner: ReturnType<typeof spawn>; dir: string; pids: number[] }> {
  const owner = spawn(
    process.execPath,
    ["--require", "tsx/cjs", join(__dirname, "..", "harness", "cluster-owner.ts")],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  return new Promise((resolve, reject) => {
    let out = "";
    owner.stdout!.on("data", chunk => {
      out += chunk;
      if (out.includes("\n")) resolve({ owner, ...JSON.parse(out) });
    });
    owner.on("exit", code => reject(new Error(`cluster owner exited early (${code})`)));
  });
}

// The harness itself: clusters must not collide, must leave nothing running, and must fail fast
// (with the dead component's log) instead of hanging.
describe("local cluster harness", () => {
  const pidsOf = (c: LocalCluster) => c.state.processes.map(p => p.pid);
  const expectGone = (c: LocalCluster) => {
    for (const pid of pidsOf(c))
      expect({ pid, alive: isAlive(pid) }).toEqual({ pid, alive: false });
    expect(existsSync(c.state.dir)).toBe(false);
  };
  const portsOf = (c: LocalCluster) => Object.values(c.state.ports);

  it("starts two clusters in a row on different ports and folders, leaving nothing behind", async () => {
    const first = await startTestCluster({ nodes: 1 });
    const firstPorts = portsOf(first);
    const firstDir = first.state.dir;
    expect(first.state.processes.map(p => p.name)).toEqual([
      "etcd",
      "kube-apiserver",
      "kube-controller-manager",
      "kube-scheduler",
      "kwok",
    ]);
    await first.stop();
    expectGone(first);

    const second = await startTestCluster({ nodes: 1 });
    try {
      expect(second.state.dir).not.toBe(firstDir);
      expect(portsOf(second)).not.toEqual(firstPorts);
      const ns = await getJson<{ items: Array<{ metadata: { name: string } }> }>(
        second,
        "/api/v1/namespaces",
      );
      expect(ns.items.map(n => n.metadata.name)).toEqual(
        expect.arrayContaining(["default", "kube-system"]),
      );
    } finally {
      await second.stop();
    }
    expectGone(second);
  });

  it("starts two clusters in parallel without sharing a port or a folder", async () => {
    const [a, b] = await Promise.all([
      startTestCluster({ nodes: 1 }),
      startTestCluster({ nodes: 1 }),
    ]);
    try {
      expect(a.state.dir).not.toBe(b.state.dir);
      const shared = portsOf(a).filter(p => portsOf(b).includes(p));
      expect(shared).toEqual([]);
      // Each API server holds its own data: a namespace made in one is absent from the other.
      await a.api("POST", "/api/v1/namespaces", { metadata: { name: "only-in-a" } });
      expect((await b.api("GET", "/api/v1/namespaces/only-in-a")).status).toBe(404);
      expect((await a.api("GET", "/api/v1/namespaces/only-in-a")).status).toBe(200);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
    expectGone(a);
    expectGone(b);
  });

  it("stops the cluster when its owner is interrupted (Ctrl-C)", async () => {
    const { owner, dir, pids } = await clusterOwner();
    expect(pids.every(isAlive)).toBe(true);
    owner.kill("SIGINT");
    // The owner stops every component and then deletes the folder, so wait for both.
    await eventually(
      "every component to stop and the cluster folder to be deleted",
      async () => (pids.some(isAlive) || existsSync(dir) ? undefined : true),
      20_000,
    );
    expect(pids.some(isAlive)).toBe(false);
    expect(existsSync(dir)).toBe(false);
  });

  it("reaps a cluster whose owner was killed outright before the next one starts", async () => {
    const { owner, dir, pids } = await clusterOwner();
    owner.kill("SIGKILL");
    await eventually("the owner to die", async () =>
      owner.exitCode !== null || owner.signalCode ? true : undefined,
    );
    expect(pids.every(isAlive)).toBe(true);
    expect(reapOrphans()).toBeGreaterThanOrEqual(1);
    await eventually(
      "every orphaned component to stop",
      async () => (pids.some(isAlive) ? undefined : true),
      20_000,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it("reports a crashed etcd with its log tail instead of hanging", async () => {
    const cluster = await startTestCluster({ nodes: 1 });
    try {
      const etcd = cluster.state.processes.find(p => p.name === "etcd")!;
      process.kill(etcd.pid, "SIGKILL");
      await until("the killed etcd to be gone", () => !isAlive(etcd.pid), 15_000, 50);
      expect(() => cluster.assertHealthy()).toThrow(
        /etcd \(pid \d+\) is not running; last log lines:\n/,
      );
    } finally {
      await cluster.stop();
    }
    expectGone(cluster);
  });
});
