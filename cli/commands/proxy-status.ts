import { Argument, Command, Option } from "commander";
import {
  hasErrors,
  matchProxy,
  nackLines,
  proxyStatusJson,
  proxyStatusTable,
} from "../../xds/status/proxy-status-view";
import { errorMessage, exitCodes, table } from "../output";
import { fetchProxyReports, UsageError, withXdsFlags, type XdsFlags } from "../xds/csds-client";

interface ProxyStatusFlags extends XdsFlags {
  output: "table" | "json";
}

/**
 * `rig proxy-status [proxy]`: for every proxy connected to the control plane, whether its
 * latest CDS, LDS, EDS, RDS and SDS responses were ACKed (SYNCED), are unanswered (STALE),
 * were rejected (ERROR, with the proxy's reason) or were never sent — read over CSDS.
 */
export function proxyStatusCommand(): Command {
  return withXdsFlags(
    new Command("proxy-status")
      .description(
        "Show, for every proxy connected to the control plane, whether it applied the configuration it was sent (SYNCED), has not answered yet (STALE), rejected it (ERROR, with its reason) or was sent nothing (NOT SENT)",
      )
      .addArgument(new Argument("[proxy]", "only this proxy: its node id or pod.namespace name")),
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
  rig proxy-status
  rig proxy-status productpage-v1-6b746f74dc-9stvs.default -o json
  rig proxy-status --xds-address 127.0.0.1:15012 --ca-file root-cert.pem

Columns: CDS, LDS, EDS, RDS and SDS show the state of the latest response of that type;
NACK details (type, rejected version, time, the proxy's error) follow the table. -o json adds
versions, nonces and the times each response was sent, ACKed and NACKed.

Exit status: 0 when every shown proxy is without error; 1 when a proxy NACKed its latest
response, the named proxy is not connected, or the control plane cannot be reached; 2 on
a usage error.`,
    )
    .action(async (proxy: string | undefined, flags: ProxyStatusFlags) => {
      let reports;
      try {
        reports = await fetchProxyReports(flags);
      } catch (err) {
        return fail(err);
      }
      if (proxy !== undefined) {
        reports = matchProxy(reports, proxy);
        if (reports.length === 0)
          return fail(new Error(`proxy ${proxy} is not connected to ${flags.xdsAddress}`));
      }
      if (flags.output === "json") {
        process.stdout.write(`${JSON.stringify(proxyStatusJson(reports), null, 2)}\n`);
      } else {
        const { headers, rows } = proxyStatusTable(reports);
        const nacks = nackLines(reports);
        process.stdout.write(`${table(headers, rows)}\n`);
        if (nacks.length > 0) process.stdout.write(`\n${nacks.join("\n")}\n`);
      }
      if (hasErrors(reports)) process.exitCode = exitCodes.failure;
    });
}

function fail(err: unknown): void {
  process.stderr.write(`rig proxy-status: ${errorMessage(err)}\n`);
  process.exitCode = err instanceof UsageError ? exitCodes.usage : exitCodes.failure;
}
