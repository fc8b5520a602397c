import { Command, Option } from "commander";
import { stringify } from "yaml";
import {
  analyze,
  formatMessage,
  LEVELS,
  originText,
  type AnalysisMessage,
  type Level,
  type Resource,
} from "../../mesh/analysis";
import { readCluster } from "../analyze/cluster";
import { readAllStdin, readManifestFiles } from "../analyze/files";
import { errorMessage, exitCodes } from "../output";

interface AnalyzeFlags {
  filename: string[];
  namespace?: string;
  allNamespaces?: boolean;
  output: "log" | "json" | "yaml";
  failureThreshold: Level;
  outputThreshold: Level;
}

/** Where `rig analyze` reads from, for its messages. */
interface Plan {
  readonly paths: string[];
  readonly cluster: boolean;
  /** Namespaces to report on; undefined for all. */
  readonly namespaces?: string[];
  readonly defaultNamespace: string;
}

function plan(args: string[], flags: AnalyzeFlags): Plan {
  const paths = [...args, ...flags.filename];
  const cluster =
    flags.allNamespaces === true || flags.namespace !== undefined || paths.length === 0;
  const defaultNamespace = flags.namespace ?? "default";
  const namespaces = flags.allNamespaces
    ? undefined
    : cluster || flags.namespace !== undefined
      ? [defaultNamespace]
      : undefined;
  return { paths, cluster, defaultNamespace, ...(namespaces ? { namespaces } : {}) };
}

/** At or above `threshold` (Error is the most serious). */
function atLeast(level: Level, threshold: Level): boolean {
  return LEVELS.indexOf(level) <= LEVELS.indexOf(threshold);
}

/** The machine-readable form, with istioctl's field names. */
function record(m: AnalysisMessage) {
  const { source, ...object } = m.origin;
  return {
    level: m.level,
    code: m.code,
    type: m.type,
    origin: originText(object),
    ...(source ? { reference: source } : {}),
    message: m.message,
    documentationUrl: m.documentationUrl,
  };
}

/** Renders messages in the chosen format. */
export function renderMessages(
  messages: readonly AnalysisMessage[],
  format: AnalyzeFlags["output"],
  scope: string,
): string {
  if (format === "json") return `${JSON.stringify(messages.map(record), null, 2)}\n`;
  if (format === "yaml") return stringify(messages.map(record));
  if (messages.length === 0) return `\u2714 No validation issues found when analyzing ${scope}.\n`;
  return messages.map(m => `${formatMessage(m)}\n`).join("");
}

function scopeText(p: Plan, files: number): string {
  const parts: string[] = [];
  if (files > 0) parts.push(`${files} file${files === 1 ? "" : "s"}`);
  if (p.cluster)
    parts.push(p.namespaces ? `namespace: ${p.namespaces.join(", ")}` : "all namespaces");
  return parts.join(" and ");
}

/**
 * `rig analyze`: validation plus cross-resource checks over manifests (files, folders, stdin)
 * and/or the cluster in KUBECONFIG, printed as `istioctl analyze` prints them.
 */
export function analyzeCommand(): Command {
  return new Command("analyze")
    .description(
      "Find problems in Istio config: each object's validation, plus references and conflicts across objects (missing hosts, subsets and gateways, conflicting routes, selectors that select nothing, mTLS conflicts)",
    )
    .argument("[paths...]", "manifest files or folders (recursive); - reads stdin")
    .addOption(
      new Option("-f, --filename <path>", "a manifest file or folder; - reads stdin; repeatable")
        .argParser((v: string, prev: string[] = []) => [...prev, v])
        .default([]),
    )
    .addOption(
      new Option(
        "-n, --namespace <namespace>",
        "analyze this namespace of the cluster in KUBECONFIG (and give it to manifests without one)",
      ),
    )
    .addOption(
      new Option("-A, --all-namespaces", "analyze every namespace of the cluster in KUBECONFIG"),
    )
    .addOption(
      new Option("-o, --output <format>", "output format")
        .choices(["log", "json", "yaml"])
        .default("log"),
    )
    .addOption(
      new Option(
        "--failure-threshold <level>",
        "the least serious level that makes the exit status 1",
      )
        .choices([...LEVELS])
        .default("Error"),
    )
    .addOption(
      new Option("--output-threshold <level>", "the least serious level printed")
        .choices([...LEVELS])
        .default("Info"),
    )
    .addHelpText(
      "after",
      `
With manifests and no -n/-A, only the manifests are analyzed (no cluster is needed). With -n or
-A the cluster's Istio config, Services and Pods are read, and manifests given as well are
analyzed together with them. With neither manifests nor flags, namespace "default" of the cluster
is analyzed. Cross-namespace references always resolve against everything read; -n only limits
which objects are reported on. "Selects nothing" (IST0127) is reported only when workloads are
known: a cluster's Pods, or Pods/Deployments/... among the manifests.

Each line is: Level [Code] (Kind namespace/name file:line) message. Codes are Istio's:
  IST0101 ReferencedResourceNotFound   host, host+subset in destinationrule, or gateway
  IST0106 SchemaValidationError        the object is refused by validation
  IST0109 ConflictingMeshGatewayVirtualServiceHosts
  IST0113 MTLSPolicyConflict           DestinationRule DISABLE vs PeerAuthentication STRICT
  IST0127 NoMatchingWorkloadsFound     a policy's selector matches no workload
  IST0130 VirtualServiceUnreachableRule / IST0131 VirtualServiceIneffectiveMatch
  IST0133 SchemaWarning                admitted with a warning

Examples:
  rig analyze samples/bookinfo/
  kubectl get vs,dr -A -o yaml | rig analyze -
  rig analyze -A -o json
  rig analyze -n shop extra-routes.yaml

Exit status: 0 when nothing at or above --failure-threshold (default Error) was found; 1 when
something was, or when the input could not be read (a message on stderr); 2 for a usage error.
`,
    )
    .action(async (args: string[], flags: AnalyzeFlags) => {
      const p = plan(args, flags);
      let messages: AnalysisMessage[];
      let files = 0;
      try {
        const resources: Resource[] = [];
        if (p.cluster) resources.push(...(await readCluster()));
        const input = await readManifestFiles(p.paths, p.defaultNamespace, () => readAllStdin());
        for (const e of input.errors)
          process.stderr.write(`rig analyze: ${e.source}: cannot parse: ${e.message}\n`);
        if (input.errors.length > 0) process.exitCode = exitCodes.failure;
        files = input.files;
        // An object in both the cluster and a manifest is analyzed as the manifest has it.
        const fromFiles = new Set(input.resources.map(key));
        resources.splice(0, resources.length, ...resources.filter(r => !fromFiles.has(key(r))));
        resources.push(...input.resources);
        messages = analyze(resources, {
          ...(p.cluster ? { workloadsKnown: true } : {}),
          ...(p.namespaces ? { namespaces: p.namespaces } : {}),
        });
      } catch (err) {
        process.stderr.write(`rig analyze: ${readError(err)}\n`);
        process.exitCode = exitCodes.failure;
        return;
      }
      const shown = messages.filter(m => atLeast(m.level, flags.outputThreshold));
      process.stdout.write(renderMessages(shown, flags.output, scopeText(p, files)));
      if (messages.some(m => atLeast(m.level, flags.failureThreshold)))
        process.exitCode = exitCodes.failure;
    });
}

function key(r: Resource): string {
  return `${r.apiVersion.split("/")[0]}/${r.kind}/${r.namespace}/${r.name}`;
}

// kubernetes-fluent-client rejects with the HTTP response, not an Error.
function readError(err: unknown): string {
  const res = err as { status?: number; statusText?: string; data?: { message?: string } };
  if (typeof res?.status === "number")
    return `reading the cluster: HTTP ${res.status} ${res.data?.message ?? res.statusText ?? ""}`.trim();
  const cause = (err as { cause?: unknown })?.cause;
  return `${errorMessage(err)}${cause ? ` (${errorMessage(cause)})` : ""}`;
}
