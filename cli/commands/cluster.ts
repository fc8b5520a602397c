import { join } from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { apiRequest } from "../local-cluster/api";
import { loadCluster, startCluster } from "../local-cluster/cluster";
import { namedClusterDir } from "../local-cluster/paths";
import { exitCodes, progressReporter, table } from "../output";

/** `rig cluster up|down|status`: a real local Kubernetes (etcd, apiserver, controllers, kwok). */
export function clusterCommand(): Command {
  const cluster = new Command("cluster").description(
    "Run a local Kubernetes for development: etcd, kube-apiserver, controller-manager, scheduler and kwok fake nodes on loopback ports",
  );
  const nameOption = () => new Option("--name <name>", "cluster name").default("default");

  cluster
    .command("up")
    .description(
      "Start the local cluster (building its binaries on first use) and leave it running",
    )
    .addOption(nameOption())
    .addOption(new Option("--nodes <n>", "fake nodes to create").default(2).argParser(positiveInt))
    .action(async (opts: { name: string; nodes: number }) => {
      const dir = namedClusterDir(opts.name);
      const existing = loadCluster(dir);
      if (existing && existing.health().every(p => p.alive)) {
        process.stderr.write(`cluster ${opts.name} is already running\n`);
        process.stdout.write(`export KUBECONFIG=${existing.kubeconfigPath}\n`);
        return;
      }
      if (existing) await existing.stop();
      const running = await startCluster({
        name: opts.name,
        dir,
        nodes: opts.nodes,
        detached: true,
        onProgress: progressReporter(),
      });
      process.stderr.write(
        `cluster ${opts.name} is running; stop it with: npx rig cluster down --name ${opts.name}\n`,
      );
      process.stdout.write(`export KUBECONFIG=${running.kubeconfigPath}\n`);
    });

  cluster
    .command("down")
    .description("Stop the local cluster's processes and delete its data")
    .addOption(nameOption())
    .action(async (opts: { name: string }) => {
      const running = loadCluster(namedClusterDir(opts.name));
      if (!running) {
        process.stdout.write(`cluster ${opts.name} is not running\n`);
        return;
      }
      await running.stop();
      process.stdout.write(`cluster ${opts.name} stopped\n`);
    });

  cluster
    .command("status")
    .description(
      "Show the local cluster's components; exits 1 unless all run and the API server is ready",
    )
    .addOption(nameOption())
    .addOption(
      new Option("-o, --output <format>", "output format")
        .choices(["table", "json"])
        .default("table"),
    )
    .action(async (opts: { name: string; output: string }) => {
      const running = loadCluster(namedClusterDir(opts.name));
      if (!running) {
        if (opts.output === "json")
          process.stdout.write(`${JSON.stringify({ name: opts.name, running: false })}\n`);
        else process.stdout.write(`cluster ${opts.name} is not running\n`);
        process.exitCode = exitCodes.failure;
        return;
      }
      const health = running.health();
      const ready = await apiRequest(running.connection, "GET", "/readyz")
        .then(r => r.status === 200)
        .catch(() => false);
      const ports = running.state.ports as unknown as Record<string, number>;
      const portOf = (name: string) =>
        ({
          etcd: ports.etcd,
          "kube-apiserver": ports.apiserver,
          "kube-controller-manager": ports.controllerManager,
          "kube-scheduler": ports.scheduler,
          kwok: ports.kwok,
        })[name];
      if (opts.output === "json") {
        process.stdout.write(
          `${JSON.stringify({ name: opts.name, running: true, apiserverReady: ready, server: running.state.server, kubeconfig: running.kubeconfigPath, kubectl: join(running.state.binDir, "kubectl"), components: health.map(p => ({ name: p.name, pid: p.pid, alive: p.alive, port: portOf(p.name), log: p.logPath })) }, null, 2)}\n`,
        );
      } else {
        process.stdout.write(
          `${table(
            ["component", "pid", "status", "port", "log"],
            health.map(p => [
              p.name,
              String(p.pid),
              p.alive ? "Running" : "Stopped",
              String(portOf(p.name) ?? ""),
              p.logPath,
            ]),
          )}\n\nAPI server ${running.state.server}: ${ready ? "ready" : "NOT ready"}\nexport KUBECONFIG=${running.kubeconfigPath}\n`,
        );
      }
      if (!ready || health.some(p => !p.alive)) process.exitCode = exitCodes.failure;
    });
  return cluster;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("must be a positive integer");
  return n;
}
