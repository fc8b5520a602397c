import { readFile, writeFile } from "node:fs/promises";
import { Command, Option } from "commander";
import { defaultInjectionValues, defaultMeshSettings, kubeInjectStream } from "../../mesh/inject";
import { errorMessage, exitCodes } from "../output";

interface KubeInjectFlags {
  filename: string;
  output?: string;
  namespace?: string;
}

/**
 * `rig kube-inject -f <file|->`: manual sidecar injection of a manifest stream, with the same
 * settings the webhook uses, printed as YAML for `kubectl apply -f -`.
 */
export function kubeInjectCommand(): Command {
  return new Command("kube-inject")
    .description(
      "Inject the istio-proxy sidecar into the Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs, CronJobs and Lists of a YAML stream, exactly as the webhook would; every other object passes through unchanged",
    )
    .requiredOption("-f, --filename <file>", 'manifest to inject; "-" reads stdin')
    .addOption(new Option("-o, --output <file>", "write the result to a file instead of stdout"))
    .addOption(
      new Option(
        "-n, --namespace <namespace>",
        "namespace the objects that name none will be applied to (kubectl apply -n), so the sidecar knows its workload's namespace",
      ),
    )
    .addHelpText(
      "after",
      `
Examples:
  kubectl apply -f <(rig kube-inject -f app.yaml)
  cat app.yaml | rig kube-inject -f - | kubectl apply -f -
  rig kube-inject -f app.yaml -o app-injected.yaml

Exit status: 0 on success. 1 when the file cannot be read, a document is not valid YAML, or an
injection annotation is malformed; every error is printed on stderr (naming the document, the
object, the annotation and the rule) and nothing is printed on stdout or written to --output.`,
    )
    .action(async (flags: KubeInjectFlags) => {
      const source = flags.filename === "-" ? "stdin" : flags.filename;
      let text: string;
      try {
        text = flags.filename === "-" ? await readStdin() : await readFile(flags.filename, "utf8");
      } catch (err) {
        return failWith([`cannot read ${source}: ${errorMessage(err)}`]);
      }
      const result = kubeInjectStream(text, defaultMeshSettings(), defaultInjectionValues(), {
        source,
        namespace: flags.namespace,
        apiDefaults: true,
      });
      if (!result.ok) return failWith(result.errors);
      if (flags.output === undefined) {
        process.stdout.write(result.value.yaml);
        return;
      }
      try {
        await writeFile(flags.output, result.value.yaml);
      } catch (err) {
        failWith([`cannot write ${flags.output}: ${errorMessage(err)}`]);
      }
    });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function failWith(errors: string[]): void {
  for (const e of errors) process.stderr.write(`rig kube-inject: ${e}\n`);
  process.exitCode = exitCodes.failure;
}
