import { Command, Option } from "commander";
import { workloadEffectiveMtls, type EffectiveMtls } from "../../mesh/authn";
import { authorizationPoliciesFor, isDryRun } from "../../mesh/authz";
import { inEvaluationOrder } from "../../mesh/authz/explain";
import { summarizeRules } from "../../mesh/authz/rule-summary";
import { readFailure, withSourceFlags, type SourceFlags } from "../authz/flags";
import { readWorkloadInputs, type WorkloadInputs } from "../authz/workload-inputs";
import { exitCodes, table } from "../output";

interface CheckFlags extends SourceFlags {
  output: "table" | "json";
}

/** The report of `rig authz check`, also its JSON form. */
export interface AuthzCheckReport {
  readonly pod: {
    readonly namespace: string;
    readonly name: string;
    readonly serviceAccount: string;
    readonly labels: Readonly<Record<string, string>>;
  };
  readonly mtls: readonly {
    /** A port number, or `*` for the workload's mode. */
    readonly port: string;
    readonly mode: string;
    readonly level: string;
    readonly policy?: string;
  }[];
  readonly policies: readonly {
    readonly order: number;
    readonly action: string;
    readonly dryRun: boolean;
    readonly provider?: string;
    readonly name: string;
    readonly rules: readonly string[];
  }[];
}

function mtlsRows(effective: EffectiveMtls, ports: readonly number[]): AuthzCheckReport["mtls"] {
  const workloadPolicy = effective.selected.workload;
  const rows: AuthzCheckReport["mtls"][number][] = [
    {
      port: "*",
      mode: effective.mode,
      level: effective.modeSource.level,
      policy: effective.modeSource.policy,
    },
  ];
  const all = [...new Set([...ports, ...Object.keys(effective.perPort).map(Number)])].sort(
    (a, b) => a - b,
  );
  for (const port of all) {
    const override = effective.perPort[port];
    rows.push(
      override === undefined
        ? {
            port: String(port),
            mode: effective.mode,
            level: effective.modeSource.level,
            policy: effective.modeSource.policy,
          }
        : { port: String(port), mode: override, level: "port", policy: workloadPolicy },
    );
  }
  return rows.map(r =>
    r.policy === undefined ? { port: r.port, mode: r.mode, level: r.level } : r,
  );
}

/** Builds the report for a pod already read. Pure. */
export function authzCheckReport(inputs: WorkloadInputs, rootNamespace: string): AuthzCheckReport {
  const { pod } = inputs;
  const namespace = pod.metadata.namespace ?? "default";
  const labels = pod.metadata.labels ?? {};
  const workload = { namespace, labels };
  const effective = workloadEffectiveMtls(inputs.store, workload, rootNamespace);
  const policies = inEvaluationOrder(
    authorizationPoliciesFor(inputs.store, workload, rootNamespace),
  );
  return {
    pod: {
      namespace,
      name: pod.metadata.name ?? "",
      serviceAccount: pod.spec?.serviceAccountName ?? "default",
      labels,
    },
    mtls: mtlsRows(effective, inputs.containerPorts),
    policies: policies.map(({ action, policy }, i) => ({
      order: i + 1,
      action,
      dryRun: isDryRun(policy, []),
      ...(action === "CUSTOM" ? { provider: policy.spec.provider?.name ?? "" } : {}),
      name: `${policy.namespace}/${policy.name}`,
      rules: summarizeRules(policy),
    })),
  };
}

/** The kubectl-style text of the report. */
export function renderAuthzCheck(r: AuthzCheckReport): string {
  const out = [
    `Pod ${r.pod.namespace}/${r.pod.name} (service account ${r.pod.serviceAccount})`,
    "",
    "mTLS (PeerAuthentication)",
    table(
      ["port", "mode", "level", "policy"],
      r.mtls.map(m => [m.port, m.mode, m.level, m.policy ?? "<none: default PERMISSIVE>"]),
    ),
    "",
    "AuthorizationPolicies, in evaluation order",
  ];
  if (r.policies.length === 0) {
    out.push("<none>: every request is allowed (no ALLOW policy applies)");
  } else {
    out.push(
      table(
        ["order", "action", "name", "rules"],
        r.policies.flatMap(p =>
          p.rules.map((rule, i) =>
            i === 0
              ? [
                  String(p.order),
                  `${p.action}${p.provider !== undefined ? `(${p.provider || "<no provider>"})` : ""}${p.dryRun ? " dry-run" : ""}`,
                  p.name,
                  rule,
                ]
              : ["", "", "", rule],
          ),
        ),
      ),
    );
  }
  return `${out.join("\n")}\n`;
}

/** `rig authz`: `check <pod>`. */
export function authzCommand(): Command {
  const check = withSourceFlags(
    new Command("check")
      .description(
        "Show, for a pod, the mTLS mode it accepts on each port (and the PeerAuthentication that decides it) and the AuthorizationPolicies that apply to it, in the order its proxy evaluates them",
      )
      .argument("<pod>", "the pod's name"),
  )
    .addOption(
      new Option("-o, --output <format>", "output format")
        .choices(["table", "json"])
        .default("table"),
    )
    .addHelpText(
      "after",
      `
Policies are listed in evaluation order: CUSTOM (sent to the ext_authz provider), AUDIT, DENY,
then ALLOW. A request is denied when a DENY rule matches; with ALLOW policies present, it is
allowed only when an ALLOW rule matches. Dry-run policies are shown but never enforced.
Use \`rig x explain\` to see how one request is decided.

Examples:
  rig authz check reviews-v1-5d8f -n bookinfo
  rig authz check reviews-v1 -n shop -f pod.yaml -f policies/ -o json

Exit status: 0 when the report was printed; 1 when the pod or the config could not be read;
2 for a usage error.`,
    )
    .action(async (podName: string, flags: CheckFlags) => {
      let report: AuthzCheckReport;
      try {
        const inputs = await readWorkloadInputs(podName, flags.namespace, flags.filename);
        report = authzCheckReport(inputs, flags.rootNamespace);
      } catch (err) {
        process.stderr.write(`rig authz check: ${readFailure(err)}\n`);
        process.exitCode = exitCodes.failure;
        return;
      }
      process.stdout.write(
        flags.output === "json" ? `${JSON.stringify(report, null, 2)}\n` : renderAuthzCheck(report),
      );
    });
  return new Command("authz")
    .description("Inspect what authentication and authorization apply to a workload")
    .addCommand(check);
}
