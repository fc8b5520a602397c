import { Command, InvalidArgumentError, Option } from "commander";
import { runDev } from "../dev/runner";
import { exitCodes, progressReporter } from "../output";

/** `rig dev`: the module running on this machine against the cluster in KUBECONFIG. */
export function devCommand(): Command {
  return new Command("dev")
    .description(
      "Build Rigging and run it in the foreground against the cluster in KUBECONFIG, with webhooks that call it on 127.0.0.1; Ctrl-C removes them",
    )
    .addOption(
      new Option(
        "--port <port>",
        "admission server port on 127.0.0.1 (default: a free port)",
      ).argParser(port),
    )
    .option("--no-build", "run the module already in dist/ instead of building it")
    .action(async (opts: { port?: number; build: boolean }) => {
      if (!process.env.KUBECONFIG) {
        process.stderr.write(
          "rig dev: KUBECONFIG is not set; start a cluster with `npx rig cluster up` and export the line it prints\n",
        );
        process.exitCode = exitCodes.failure;
        return;
      }
      const progress = progressReporter();
      const session = await runDev({
        port: opts.port,
        build: opts.build,
        log: progress,
        moduleLog: line => process.stdout.write(`${line}\n`),
      });
      progress("Rigging is running; press Ctrl-C to stop and remove its webhooks");
      const shutdown = async (signal: string) => {
        progress(`${signal}: removing webhooks and stopping the module`);
        await session.stop();
        process.exit(exitCodes.ok);
      };
      process.once("SIGINT", () => void shutdown("SIGINT"));
      process.once("SIGTERM", () => void shutdown("SIGTERM"));
      const code = await session.exited;
      progress(`the module exited with code ${code}; removing webhooks`);
      await session.stop();
      process.exitCode = exitCodes.failure;
    });
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError("must be a port number (1-65535)");
  return n;
}
