import { Command, CommanderError } from "commander";
import { agentCommand } from "./commands/agent-certs";
import { analyzeCommand } from "./commands/analyze";
import { authzCommand } from "./commands/authz";
import { checkInjectCommand } from "./commands/check-inject";
import { clusterCommand } from "./commands/cluster";
import { dashboardCommand } from "./commands/dashboard";
import { devCommand } from "./commands/dev";
import { experimentalCommand } from "./commands/explain";
import { kubeInjectCommand } from "./commands/kube-inject";
import { proxyConfigCommand } from "./commands/proxy-config";
import { proxyStatusCommand } from "./commands/proxy-status";
import { uninstallCommand } from "./commands/uninstall";
import { errorMessage, exitCodes } from "./output";

/** The `rig` command tree. Each subcommand lives in `cli/commands/` and has its own `--help`. */
export function rigProgram(): Command {
  const program = new Command("rig")
    .description(
      "Rigging: a service-mesh control plane for Kubernetes that speaks Istio's config API",
    )
    .version(process.env.npm_package_version ?? "0.1.0");
  program.addCommand(clusterCommand());
  program.addCommand(devCommand());
  program.addCommand(kubeInjectCommand());
  program.addCommand(checkInjectCommand());
  program.addCommand(analyzeCommand());
  program.addCommand(proxyStatusCommand());
  program.addCommand(proxyConfigCommand());
  program.addCommand(dashboardCommand());
  program.addCommand(agentCommand());
  program.addCommand(authzCommand());
  program.addCommand(uninstallCommand());
  program.addCommand(experimentalCommand());
  throwInsteadOfExit(program);
  return program;
}

// Subcommands added with addCommand() do not inherit exitOverride, so a usage error deep in the
// tree would exit 1 on its own; route every level through main() to get exit code 2.
function throwInsteadOfExit(command: Command): void {
  command.exitOverride().showHelpAfterError();
  for (const sub of command.commands) throwInsteadOfExit(sub);
}

async function main(argv: string[]): Promise<void> {
  try {
    await rigProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; usage mistakes exit 2, as POSIX tools do.
      process.exitCode = err.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
      return;
    }
    process.stderr.write(`rig: ${errorMessage(err)}\n`);
    process.exitCode = exitCodes.failure;
  }
}

if (
  require.main === module ||
  process.argv[1]?.endsWith("rig.cjs") ||
  process.argv[1]?.endsWith("/rig")
) {
  void main(process.argv);
}
