import { Command, Option } from "commander";
import { K8s, kind } from "kubernetes-fluent-client";
import { clusterInjectorSettings } from "../cluster-injector-settings";
import {
  checkInjection,
  parseLabels,
  type CheckTarget,
  type InjectionCheck,
  type Namespace,
  type Pod,
} from "../../mesh/inject";
import { errorMessage, exitCodes, table } from "../output";

interface CheckInjectFlags {
  namespace: string;
  labels?: string;
  output: "table" | "json";
}

/**
 * `rig check-inject [pod] -n <ns> [-l k=v,…]`: asks the cluster in KUBECONFIG for the namespace
 * (and pod), and says whether the webhook would inject it and what decided.
 */
export function checkInjectCommand(): Command {
  return new Command("check-inject")
    .description(
      "Say whether a pod (an existing one, or a new one with the given labels) in a namespace of the cluster in KUBECONFIG would get the sidecar, and which label or annotation decided",
    )
    .argument("[pod]", "an existing pod; without it, a new pod with --labels (or none) is checked")
    .addOption(new Option("-n, --namespace <namespace>", "the namespace").default("default"))
    .addOption(
      new Option("-l, --labels <k=v,...>", "labels of the new pod to check (not with [pod])"),
    )
    .addOption(
      new Option("-o, --output <format>", "output format")
        .choices(["table", "json"])
        .default("table"),
    )
    .addHelpText(
      "after",
      `
An existing pod is judged as if it were created now (as its replacement would be); the SIDECAR
column says whether it carries one already. The injector's policy and selectors are read from the
istio-sidecar-injector ConfigMap in RIGGING_ISTIOD_NAMESPACE (default istio-system), as the
webhook reads them.

Examples:
  rig check-inject -n shop
  rig check-inject -n shop -l app=reviews,sidecar.istio.io/inject=false
  rig check-inject reviews-v1-5d9f7c-abcde -n shop -o json

Exit status: 0 when the pod would be injected; 1 when it would not, or when the check could not
be made (then a message is on stderr and nothing on stdout); 2 for a usage error.
`,
    )
    .action(async (podName: string | undefined, flags: CheckInjectFlags) => {
      if (podName !== undefined && flags.labels !== undefined) {
        failWith(["give either a pod or --labels, not both"]);
        process.exitCode = exitCodes.usage;
        return;
      }
      const labels = parseLabels(flags.labels ?? "");
      if (!labels.ok) return failWith(labels.errors);
      let check: InjectionCheck;
      try {
        const namespace = await K8s(kind.Namespace)
          .Get(flags.namespace)
          .catch(rethrow(`namespace ${flags.namespace}`));
        const target: CheckTarget =
          podName === undefined
            ? { labels: labels.value }
            : {
                pod: (await K8s(kind.Pod)
                  .InNamespace(flags.namespace)
                  .Get(podName)
                  .catch(rethrow(`pod ${flags.namespace}/${podName}`))) as Pod,
              };
        const settings = await clusterInjectorSettings();
        if (!settings.ok) return failWith(settings.errors);
        const { mesh, values } = settings.value;
        check = checkInjection(target, namespace as Namespace, mesh, values);
      } catch (err) {
        return failWith([errorMessage(err)]);
      }
      process.stdout.write(`${flags.output === "json" ? json(check) : render(check)}\n`);
      process.exitCode = check.inject ? exitCodes.ok : exitCodes.failure;
    });
}

function render(c: InjectionCheck): string {
  return table(
    ["namespace", "pod", "inject", "sidecar", "reason", "decided by"],
    [
      [
        c.namespace,
        c.pod,
        c.inject ? "yes" : "no",
        c.hasSidecar ? "yes" : "no",
        c.reason,
        c.message,
      ],
    ],
  );
}

function json(c: InjectionCheck): string {
  return JSON.stringify(c, null, 2);
}

// kubernetes-fluent-client rejects with the HTTP response ({ status, statusText, data }), not an
// Error; turn it into a sentence naming what was looked up.
function rethrow(what: string): (err: unknown) => never {
  return err => {
    const res = err as { status?: number; statusText?: string; data?: { message?: string } };
    if (res?.status === 404) throw new Error(`${what} not found`);
    if (typeof res?.status === "number") {
      throw new Error(
        `reading ${what}: HTTP ${res.status} ${res.data?.message ?? res.statusText ?? ""}`.trim(),
      );
    }
    const cause = (err as { cause?: unknown })?.cause;
    throw new Error(
      `reading ${what}: ${errorMessage(err)}${cause ? ` (${errorMessage(cause)})` : ""}`,
    );
  };
}

function failWith(errors: string[]): void {
  for (const e of errors) process.stderr.write(`rig check-inject: ${e}\n`);
  process.exitCode = exitCodes.failure;
}
