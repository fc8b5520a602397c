import { Argument, Command, Option } from "commander";
import type { ProxyReport } from "../../xds/status/client-status";
import {
  CONFIG_KINDS,
  configTable,
  nackedResources,
  proxyConfigJson,
  type ConfigKind,
} from "../../xds/status/proxy-config-view";
import { matchProxy, proxyName } from "../../xds/status/proxy-status-view";
import { errorMessage, exitCodes, table } from "../output";
import { fetchProxyReports, UsageError, withXdsFlags, type XdsFlags } from "../xds/csds-client";

interface ProxyConfigFlags extends XdsFlags {
  output: "table" | "json";
}

/**
 * `rig proxy-config <proxy> [kind]`: the clusters, endpoints, listeners, routes and secrets the
 * control plane sent one proxy, decoded from CSDS, with whether the proxy ACKed each.
 */
export function proxyConfigCommand(): Command {
  return withXdsFlags(
    new Command("proxy-config")
      .description(
        "Show the xDS resources the control plane sent one proxy (clusters, endpoints, listeners, routes, secrets), decoded, with the state of each: SYNCED, STALE, ERROR (rejected) or NOT SENT",
      )
      .addArgument(new Argument("<proxy>", "the proxy: its node id or pod.namespace name"))
      .addArgument(
        new Argument("[kind]", "which resources").choices([...CONFIG_KINDS, "all"]).default("all"),
      ),
  )
    .addOption(
      new Option("-o, --output <format>", "output format")
        .choices(["table", "json"])
        .default("table"),
    )
    .addHelpText(
      "after",
      `
Examples:
  rig proxy-config productpage-v1-6b746f74dc-9stvs.default
  rig proxy-config productpage-v1-6b746f74dc-9stvs.default routes
  rig proxy-config 'sidecar~10.1.2.3~productpage-v1.default~default.svc.cluster.local' clusters -o json

The tables summarise each resource as istioctl does; -o json prints every resource in full
(Envoy's field names, Any types expanded), with its version, state, send time and NACK.

Exit status: 0 when the proxy holds every shown resource without error; 1 when the proxy is
not connected (or its name is ambiguous), it NACKed a shown resource, or the control plane
cannot be reached; 2 on a usage error.`,
    )
    .action(async (proxy: string, kind: ConfigKind | "all", flags: ProxyConfigFlags) => {
      let report: ProxyReport;
      try {
        report = await findProxy(proxy, flags);
      } catch (err) {
        return fail(err);
      }
      const kinds = kind === "all" ? [...CONFIG_KINDS] : [kind];
      if (flags.output === "json") {
        process.stdout.write(`${JSON.stringify(proxyConfigJson(report, kinds), null, 2)}\n`);
      } else {
        const sections = kinds.map(k => {
          const { headers, rows } = configTable(report, k);
          return `${kinds.length > 1 ? `${k.toUpperCase()}\n` : ""}${table(headers, rows)}`;
        });
        process.stdout.write(`${sections.join("\n\n")}\n`);
      }
      const nacked = nackedResources(report, kinds);
      for (const r of nacked) {
        process.stderr.write(
          `rig proxy-config: ${proxyName(report.nodeId)} rejected ${r.type} ${r.name}` +
            ` (version ${r.nack?.version ?? "?"}${r.nack?.at ? ` at ${r.nack.at}` : ""}): ${r.nack?.detail ?? ""}\n`,
        );
      }
      if (nacked.length > 0) process.exitCode = exitCodes.failure;
    });
}

/**
 * The proxy's report with resource contents. Tries the argument as an exact node id first (one
 * call); otherwise resolves a `pod.namespace` name from a listing without contents.
 */
async function findProxy(proxy: string, flags: XdsFlags): Promise<ProxyReport> {
  let found = await fetchProxyReports(flags, { nodeId: proxy, withContents: true });
  if (found.length === 0) {
    const ids = [...new Set(matchProxy(await fetchProxyReports(flags), proxy).map(r => r.nodeId))];
    if (ids.length > 1)
      throw new Error(`proxy ${proxy} is ambiguous; give one of the node ids: ${ids.join(", ")}`);
    if (ids.length === 1)
      found = await fetchProxyReports(flags, { nodeId: ids[0], withContents: true });
  }
  if (found.length === 0) throw new Error(`proxy ${proxy} is not connected to ${flags.xdsAddress}`);
  // Several streams of one node (a reconnect overlapping the old stream): the newest is current.
  return found.reduce((a, b) =>
    (b.connection?.connectedAt ?? "") > (a.connection?.connectedAt ?? "") ? b : a,
  );
}

function fail(err: unknown): void {
  process.stderr.write(`rig proxy-config: ${errorMessage(err)}\n`);
  process.exitCode = err instanceof UsageError ? exitCodes.usage : exitCodes.failure;
}
