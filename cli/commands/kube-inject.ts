import { readFile, writeFile } from "node:fs/promises";
import { Command, Option } from "commander";
import {
  defaultInjectionValues,
  defaultMeshSettings,
  kubeInjectStream,
  parseInjectorConfig,
  parseInjectorMeshConfig,
  type InjectionValues,
  type MeshSettings,
} from "../../mesh/inject";
import type { Result } from "../../mesh/result";
import { errorMessage, exitCodes } from "../output";

interface KubeInjectFlags {
  filename: string;
  output?: string;
  namespace?: string;
  injectConfigFile?: string;
  valuesFile?: string;
  meshConfigFile?: string;
}

/** A file's text, or undefined when no file was named; throws naming the file it cannot read. */
async function readNamed(file: string | undefined): Promise<string | undefined> {
  if (file === undefined) return undefined;
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    throw new Error(`cannot read ${file}: ${errorMessage(err)}`);
  }
}

/**
 * The settings to inject with: Rigging's defaults, with istioctl's `--valuesFile` (the
 * `values` of the istio-sidecar-injector ConfigMap), `--injectConfigFile` (its `config`) and
 * `--meshConfigFile` (the `mesh` of the istio ConfigMap) read by the parsers the webhook uses.
 */
async function settingsFrom(
  flags: KubeInjectFlags,
): Promise<Result<{ mesh: MeshSettings; values: InjectionValues }>> {
  let texts;
  try {
    const [values, config, mesh] = await Promise.all(
      [flags.valuesFile, flags.injectConfigFile, flags.meshConfigFile].map(readNamed),
    );
    texts = { values, config, mesh };
  } catch (err) {
    return { ok: false, errors: [errorMessage(err)] };
  }
  const values = parseInjectorConfig(
    { values: texts.values, config: texts.config },
    defaultInjectionValues(),
    { values: [flags.valuesFile ?? "values"], config: [flags.injectConfigFile ?? "config"] },
  );
  const mesh = parseInjectorMeshConfig(
    texts.mesh,
    defaultMeshSettings(),
    flags.meshConfigFile ?? "mesh config",
  );
  const errors = [...(values.ok ? [] : values.errors), ...(mesh.ok ? [] : mesh.errors)];
  if (!values.ok || !mesh.ok) return { ok: false, errors };
  return { ok: true, value: { mesh: mesh.value, values: values.value } };
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
    .addOption(
      new Option(
        "--valuesFile <file>",
        "injection values (JSON), as in the `values` key of the istio-sidecar-injector ConfigMap",
      ),
    )
    .addOption(
      new Option(
        "--injectConfigFile <file>",
        "injector config (YAML: policy, selectors, injectedAnnotations), as in that ConfigMap's `config` key",
      ),
    )
    .addOption(
      new Option(
        "--meshConfigFile <file>",
        "mesh config (YAML), as in the `mesh` key of the istio ConfigMap; its defaultConfig reaches the sidecar",
      ),
    )
    .addHelpText(
      "after",
      `
Examples:
  kubectl apply -f <(rig kube-inject -f app.yaml)
  kubectl -n istio-system get configmap istio-sidecar-injector -o jsonpath='{.data.values}' > values.json
  rig kube-inject -f app.yaml --valuesFile values.json --meshConfigFile mesh.yaml
  cat app.yaml | rig kube-inject -f - | kubectl apply -f -
  rig kube-inject -f app.yaml -o app-injected.yaml

Without the settings files, the sidecar is rendered with Rigging's defaults (the pinned
docker.io/istio/proxyv2), not with the cluster's ConfigMaps.

Exit status: 0 on success. 1 when a file cannot be read, a document is not valid YAML, a
settings file has a malformed value, or an injection annotation is malformed; every error is
printed on stderr (naming the file or document, the field and the rule) and nothing is printed
on stdout or written to --output.`,
    )
    .action(async (flags: KubeInjectFlags) => {
      const source = flags.filename === "-" ? "stdin" : flags.filename;
      let text: string;
      try {
        text = flags.filename === "-" ? await readStdin() : await readFile(flags.filename, "utf8");
      } catch (err) {
        return failWith([`cannot read ${source}: ${errorMessage(err)}`]);
      }
      const settings = await settingsFrom(flags);
      if (!settings.ok) return failWith(settings.errors);
      const { mesh, values } = settings.value;
      const result = kubeInjectStream(text, mesh, values, {
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
