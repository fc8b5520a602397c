import { Command, Option } from "commander";
import { mtlsModeForPort, workloadEffectiveMtls } from "../../mesh/authn";
import { authorizationPoliciesFor } from "../../mesh/authz";
import { explainRequest, type Explanation } from "../../mesh/authz/explain";
import type { AuthzRequest } from "../../mesh/authz/request-attributes";
import { readFailure, withSourceFlags, type SourceFlags } from "../authz/flags";
import { requestOf, type RequestFlags } from "../authz/request-flags";
import { readWorkloadInputs } from "../authz/workload-inputs";
import { errorMessage, exitCodes } from "../output";

interface ExplainFlags extends SourceFlags, RequestFlags {
  pod: string;
  output: "text" | "json";
}

const repeatable = (v: string, prev: string[] = []) => [...prev, v];

/** The explanation as people read it. */
export function renderExplanation(e: Explanation, target: string, request: AuthzRequest): string {
  const who = request.principal ?? "plaintext client";
  const what =
    request.protocol === "TCP"
      ? "TCP connection"
      : `${request.method ?? ""} ${request.path ?? ""}`.trim();
  const lines = [
    `${e.verdict}: ${what} from ${who} to ${target}${request.destinationPort ? ` port ${request.destinationPort}` : ""}`,
    `  ${e.summary}`,
  ];
  for (const r of e.reasons) lines.push(`    ${r.held ? "+" : "-"} ${r.path}: ${r.message}`);
  for (const x of e.external)
    lines.push(
      `  CUSTOM policy ${x.policy} matched: the request also needs provider ${JSON.stringify(x.provider)} to allow it`,
    );
  for (const n of e.notes) lines.push(`  note: ${n.message}`);
  if (e.policies.length > 0) {
    lines.push("  policies evaluated:");
    for (const p of e.policies) {
      const hit = p.rules.find(r => r.matched);
      const state = hit ? `matched rule ${hit.index}` : "no match";
      lines.push(`    ${p.action}${p.dryRun ? " dry-run" : ""} ${p.policy}: ${state}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function explainSubcommand(): Command {
  return withSourceFlags(
    new Command("explain").description(
      "Decide a described request to a pod as its proxy would: which AuthorizationPolicy and rule allow or deny it, and why",
    ),
  )
    .requiredOption("--pod <name>", "the destination pod")
    .option("--from-principal <principal>", "the client's mTLS identity: cluster.local/ns/N/sa/S")
    .option("--from-namespace <namespace>", "the client's namespace (identity <td>/ns/N/sa/<sa>)")
    .option("--from-service-account <sa>", "with --from-namespace", "default")
    .option("--trust-domain <domain>", "with --from-namespace", "cluster.local")
    .option("--source-ip <ip>", "the client's address (source.ip, ipBlocks)")
    .option("--remote-ip <ip>", "the original client address (remote.ip); default --source-ip")
    .option("--port <port>", "the destination (container) port")
    .option("--method <method>", "HTTP method", "GET")
    .option("--path <path>", "HTTP path", "/")
    .option("--host <host>", "HTTP :authority")
    .addOption(
      new Option("--header <k=v>", "a request header; repeatable")
        .argParser(repeatable)
        .default([]),
    )
    .addOption(
      new Option(
        "--claim <k=v>",
        'a claim of a verified JWT; repeat a key for a list, or give JSON: groups=["a","b"]',
      )
        .argParser(repeatable)
        .default([]),
    )
    .option("--request-principal <iss/sub>", "the verified JWT's iss/sub")
    .option("--tcp", "a TCP connection (no HTTP attributes)")
    .addOption(
      new Option("-o, --output <format>", "output format")
        .choices(["text", "json"])
        .default("text"),
    )
    .addHelpText(
      "after",
      `
Order, as Istio evaluates it: CUSTOM policies send matching requests to their ext_authz
provider (shown, not decided here); then any matching DENY rule denies; then, when ALLOW
policies apply, the request is allowed only if one of their rules matches; with no ALLOW
policy it is allowed. STRICT mTLS on the port refuses a client without --from-*. Without
--from-principal or --from-namespace the client is plaintext (no peer identity).

Examples:
  rig x explain --pod reviews-v1 -n bookinfo --from-principal cluster.local/ns/bookinfo/sa/productpage \\
    --method GET --path /reviews/1 --port 9080
  rig x explain --pod api -n shop -f manifests/ --from-namespace web --claim groups=admins \\
    --request-principal https://idp.example/alice --header x-env=prod

Exit status: 0 when the request is allowed; 1 when it is denied, or when the pod or the
config could not be read (a message on stderr); 2 for a usage error.`,
    )
    .action(async (flags: ExplainFlags) => {
      let request: AuthzRequest;
      let explanation: Explanation;
      try {
        request = requestOf(flags);
      } catch (err) {
        process.stderr.write(`rig x explain: ${errorMessage(err)}\n`);
        process.exitCode = exitCodes.usage;
        return;
      }
      try {
        const inputs = await readWorkloadInputs(flags.pod, flags.namespace, flags.filename);
        const workload = { namespace: flags.namespace, labels: inputs.pod.metadata.labels ?? {} };
        const effective = workloadEffectiveMtls(inputs.store, workload, flags.rootNamespace);
        const port = request.destinationPort;
        const mode = port === undefined ? effective.mode : mtlsModeForPort(effective, port);
        const policy =
          port !== undefined && effective.perPort[port] !== undefined
            ? effective.selected.workload
            : effective.modeSource.policy;
        explanation = explainRequest(
          authorizationPoliciesFor(inputs.store, workload, flags.rootNamespace),
          request,
          { mtls: { mode, ...(policy ? { policy } : {}) } },
        );
      } catch (err) {
        process.stderr.write(`rig x explain: ${readFailure(err)}\n`);
        process.exitCode = exitCodes.failure;
        return;
      }
      const target = `${flags.namespace}/${flags.pod}`;
      process.stdout.write(
        flags.output === "json"
          ? `${JSON.stringify({ request, ...explanation }, null, 2)}\n`
          : renderExplanation(explanation, target, request),
      );
      process.exitCode = explanation.verdict === "ALLOW" ? exitCodes.ok : exitCodes.failure;
    });
}

/** `rig x`: experimental commands; `explain` under it. */
export function experimentalCommand(): Command {
  return new Command("x")
    .description("Experimental commands (their output may change)")
    .addCommand(explainSubcommand());
}
