import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { isAlive } from "../../cli/local-cluster/processes";
import { repoRoot } from "../harness/shared";

// `rig cluster` as a user runs it: a separate process that leaves the cluster running, then a
// second that finds it by name, and a third that stops it.
describe("rig cluster up | status | down", () => {
  const name = `it-${process.pid}`;
  const rig = (...args: string[]) =>
    spawnSync(
      process.execPath,
      [join(repoRoot, "bin", "rig.cjs"), "cluster", ...args, "--name", name],
      {
        encoding: "utf8",
        timeout: 120_000,
      },
    );
  afterAll(() => {
    rig("down");
  });

  it("starts a cluster kubectl can use, reports it, and stops every process it started", () => {
    const up = rig("up", "--nodes", "1");
    expect(up.stderr).toMatch(/cluster it-\d+ ready in \d+\.\ds/);
    expect(up.status).toBe(0);
    const kubeconfig = /^export KUBECONFIG=(.+)$/m.exec(up.stdout)?.[1];
    expect(kubeconfig).toBeDefined();

    const status = rig("status", "-o", "json");
    expect(status.status).toBe(0);
    const state = JSON.parse(status.stdout) as {
      apiserverReady: boolean;
      kubeconfig: string;
      kubectl: string;
      components: Array<{ name: string; pid: number; alive: boolean }>;
    };
    expect(state.apiserverReady).toBe(true);
    expect(state.kubeconfig).toBe(kubeconfig);
    expect(state.components.map(c => [c.name, c.alive])).toEqual([
      ["etcd", true],
      ["kube-apiserver", true],
      ["kube-controller-manager", true],
      ["kube-scheduler", true],
      ["kwok", true],
    ]);

    const kubectl = spawnSync(state.kubectl, ["get", "ns", "-o", "name"], {
      encoding: "utf8",
      env: { ...process.env, KUBECONFIG: kubeconfig },
    });
    expect(kubectl.stderr).toBe("");
    expect(kubectl.stdout.split("\n")).toEqual(
      expect.arrayContaining(["namespace/default", "namespace/kube-system"]),
    );

    const down = rig("down");
    expect(down.status).toBe(0);
    expect(down.stdout).toBe(`cluster ${name} stopped\n`);
    for (const c of state.components)
      expect({ name: c.name, alive: isAlive(c.pid) }).toEqual({ name: c.name, alive: false });
    expect(existsSync(kubeconfig!)).toBe(false);

    const after = rig("status");
    expect(after.status).toBe(1);
    expect(after.stdout).toBe(`cluster ${name} is not running\n`);
  });
});
