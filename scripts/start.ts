// `npm start`: the newcomer's first minute. Builds what is missing, starts the local cluster
// (left running for the next start), runs Rigging against it in the foreground, shows what the
// mesh does with a short demo, and prints what to try next. Ctrl-C stops Rigging and removes
// its webhooks; `npx rig cluster down` stops the cluster.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ensureBinaries, repoRoot } from "../cli/local-cluster/binaries";
import { loadCluster, startCluster } from "../cli/local-cluster/cluster";
import { namedClusterDir } from "../cli/local-cluster/paths";
import { runDev } from "../cli/dev/runner";
import { DEFAULT_DASHBOARD_PORT } from "../cli/commands/dashboard";
import { progressReporter } from "../cli/output";
import { runDemo } from "./demo";
import type { MeshDemo } from "./demo-mesh";
import { builtModuleIsCurrent } from "./module-freshness";

async function main(): Promise<void> {
  const started = performance.now();
  const progress = progressReporter();
  const binDir = await ensureBinaries(progress);
  const dir = namedClusterDir("default");
  let cluster = loadCluster(dir);
  if (!cluster || cluster.health().some(p => !p.alive)) {
    await cluster?.stop();
    cluster = await startCluster({
      name: "default",
      dir,
      binDir,
      detached: true,
      onProgress: progress,
    });
  } else {
    progress("reusing the running local cluster");
  }
  process.env.KUBECONFIG = cluster.kubeconfigPath;
  // The module's JSON logs would drown the demo; `npx rig dev` shows them.
  const build = !builtModuleIsCurrent(repoRoot);
  if (!build) progress("dist/ is newer than the module's sources: not rebuilding");
  const session = await runDev({ log: progress, build });
  const kubectl = (args: string[], input?: string) =>
    spawnSync(join(binDir, "kubectl"), args, { input, encoding: "utf8", env: process.env });
  let mesh: MeshDemo;
  try {
    mesh = await runDemo(kubectl, line => process.stdout.write(`${line}\n`));
  } catch (err) {
    await session.stop();
    throw err;
  }
  process.stdout.write(
    `npm start: ${((performance.now() - started) / 1000).toFixed(1)} s from start to the end of the demo\n`,
  );

  process.stdout.write(
    [
      "",
      "Rigging is running against the local cluster. In another terminal:",
      `  export KUBECONFIG=${cluster.kubeconfigPath} PATH=${binDir}:$PATH`,
      "  kubectl get pods -A                         # the demo's workloads",
      "  npx rig proxy-status                        # the demo's pods, connected to Rigging",
      "  npx rig proxy-config <pod>.shop listeners   # what one of them was sent",
      "  kubectl get validatingwebhookconfigurations  # Rigging's admission hooks",
      "  npx rig cluster status                      # the local cluster's processes",
      `  npx rig dashboard                           # the mesh in a browser: http://127.0.0.1:${DEFAULT_DASHBOARD_PORT}/`,
      "",
      "Ctrl-C stops the demo's pods and Rigging (and removes its webhooks); `npx rig cluster down` stops the cluster.",
      "",
    ].join("\n"),
  );
  const stop = async () => {
    mesh.stop();
    await session.stop();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
  const code = await session.exited;
  mesh.stop();
  await session.stop();
  process.stderr.write(`Rigging exited with code ${code}\n`);
  process.exit(1);
}

main().catch(err => {
  process.stderr.write(`npm start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
