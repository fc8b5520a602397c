import { Command, Option } from "commander";
import { istiodNamespace } from "../../control-plane/config";
import { targetName, uninstallPlan } from "../uninstall/plan";
import { runUninstall } from "../uninstall/run";
import { errorMessage, exitCodes } from "../output";

interface UninstallFlags {
  purge: boolean;
  dryRun: boolean;
  istiodNamespace: string;
}

/**
 * `rig uninstall [--purge] [--dry-run]`: removes Rigging from the cluster in KUBECONFIG, however it
 * was installed (`npx pepr deploy`, the manifests or the Helm chart), including what the control
 * plane wrote at run time, and says what it kept.
 */
export function uninstallCommand(): Command {
  return new Command("uninstall")
    .description(
      "Remove Rigging from the cluster in KUBECONFIG: webhooks, Deployments, Services, RBAC, Pepr's stores and every istio-ca-root-cert ConfigMap; list what is kept",
    )
    .addOption(
      new Option(
        "--purge",
        "also delete the CA root Secret, the Istio CRDs (and the mesh config in them) and pepr-system",
      ).default(false),
    )
    .addOption(new Option("--dry-run", "print the plan, change nothing").default(false))
    .addOption(
      new Option("--istiod-namespace <namespace>", "where the istiod alias lives").default(
        istiodNamespace(process.env),
      ),
    )
    .addHelpText(
      "after",
      `
Works after \`helm uninstall\` too (it removes what the chart cannot know of: the root-cert
ConfigMaps the control plane wrote in every namespace). Kept without --purge: the CA root Secret
pepr-system/rigging-ca (a reinstall keeps signing under the root workloads trust) and the Istio
CRDs with the mesh config in them. The istiod namespace is never deleted.

Exit status: 0 when done; 1 when an object could not be read or deleted (named on stderr).
`,
    )
    .action(async (flags: UninstallFlags) => {
      const plan = uninstallPlan({ purge: flags.purge, istiodNamespace: flags.istiodNamespace });
      const out = (line: string) => process.stdout.write(`${line}\n`);
      if (flags.dryRun) {
        for (const t of [...plan.first, ...plan.afterWatcher])
          out(`delete   ${targetName(t)}${t.selector ? ` [${t.selector}]` : ""}  (${t.why})`);
        for (const t of plan.keep) out(`keep     ${targetName(t)}  (${t.why})`);
        return;
      }
      try {
        await runUninstall(plan, out);
      } catch (err) {
        process.stderr.write(`rig uninstall: ${errorMessage(err)}\n`);
        process.exitCode = exitCodes.failure;
      }
    });
}
