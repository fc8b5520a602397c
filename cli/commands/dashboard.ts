import { Command, InvalidArgumentError, Option } from "commander";
import { readDashboardGraph } from "../dashboard/read-state";
import { startDashboardServer } from "../dashboard/server";
import { errorMessage, exitCodes } from "../output";
import { timeoutMs, UsageError, withXdsFlags, type XdsFlags } from "../xds/csds-client";

interface DashboardFlags extends XdsFlags {
  port: number;
  address: string;
  refresh: number;
}

/** Default port: clear of the control plane's 15010–15017 and of Pepr's 3000. */
export const DEFAULT_DASHBOARD_PORT = 20001;

function portNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError("must be a port number from 0 to 65535 (0 picks a free one)");
  return n;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0.2 || n > 3600)
    throw new InvalidArgumentError("must be a number of seconds from 0.2 to 3600");
  return n;
}

/**
 * `rig dashboard`: serves the mesh's topology page on loopback: namespaces, services and
 * workloads, routes with weights, who may call whom, mTLS locks, proxy sync state and
 * `rig analyze` findings, re-read every --refresh seconds while a page is open.
 */
export function dashboardCommand(): Command {
  return withXdsFlags(
    new Command("dashboard").description(
      "Serve a web page that draws the mesh as a graph: namespaces, services and workloads (with versions), VirtualService routes with their weights, AuthorizationPolicy callers, the mTLS mode of each workload (a lock when STRICT), each proxy's sync state and rig analyze's warnings; it updates itself when config changes",
    ),
  )
    .addOption(
      new Option("--port <port>", "port to serve on (0 picks a free one)")
        .argParser(portNumber)
        .default(DEFAULT_DASHBOARD_PORT),
    )
    .addOption(
      new Option(
        "--address <ip>",
        "address to serve on; keep it loopback: the page shows the mesh's layout to anyone who can reach it",
      ).default("127.0.0.1"),
    )
    .addOption(
      new Option(
        "--refresh <seconds>",
        "how often an open page's graph is re-read from the cluster and the control plane",
      )
        .argParser(seconds)
        .default(2),
    )
    .addHelpText(
      "after",
      `
It reads the cluster in KUBECONFIG (as rig analyze -A does) and the control plane's CSDS at
--xds-address (as rig proxy-status does). The page gets the graph over server-sent events
(/api/events): while a page is open the server re-reads both every --refresh seconds and sends
the graph when it changed, so applied config shows without a reload. /api/graph serves the same
graph as JSON. When the API server or the control plane cannot be reached the page says so in a
banner and shows what the other one gives.

Examples:
  rig dashboard                                  # then open http://127.0.0.1:${DEFAULT_DASHBOARD_PORT}/
  rig dashboard --port 8080 --xds-address 127.0.0.1:15010
  curl -s http://127.0.0.1:${DEFAULT_DASHBOARD_PORT}/api/graph | jq '.nodes[] | select(.kind == "workload")'

Exit status: runs until interrupted (0); 1 when the port cannot be served; 2 on a usage error.`,
    )
    .action(async (flags: DashboardFlags) => {
      try {
        timeoutMs(flags);
      } catch (err) {
        process.stderr.write(`rig dashboard: ${errorMessage(err)}\n`);
        process.exitCode = err instanceof UsageError ? exitCodes.usage : exitCodes.failure;
        return;
      }
      let server;
      try {
        server = await startDashboardServer({
          address: flags.address,
          port: flags.port,
          refreshMs: flags.refresh * 1000,
          read: () => readDashboardGraph({ xds: flags }),
        });
      } catch (err) {
        process.stderr.write(
          `rig dashboard: cannot serve on ${flags.address}:${flags.port}: ${errorMessage(err)}\n`,
        );
        process.exitCode = exitCodes.failure;
        return;
      }
      process.stdout.write(
        `rig dashboard: open ${server.url}  (cluster in KUBECONFIG, control plane at ${flags.xdsAddress}; Ctrl-C stops)\n`,
      );
      await new Promise<void>(resolve => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      await server.close();
    });
}
