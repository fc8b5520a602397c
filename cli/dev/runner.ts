import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { K8s, kind } from "kubernetes-fluent-client";
import { repoRoot } from "../local-cluster/binaries";
import { createCa, issueLocalServingCert } from "../local-cluster/pki";
import { freePort } from "../local-cluster/ports";
import { sleep } from "../local-cluster/processes";
import { installIstioCrds } from "../../capabilities/istio-crds";
import { peprStoreCrd } from "./pepr-store-crd";
import { Store } from "./pepr-store-kind";
import { devWebhooks, type WebhookConfiguration } from "./webhooks";

/** How `rig dev` runs the module. */
export interface DevOptions {
  /** Port of the admission server on 127.0.0.1. @default a free port */
  port?: number;
  /** Run `pepr build` first. @default true */
  build?: boolean;
  /** Receives progress lines. */
  log?: (line: string) => void;
  /** Receives the module's own structured (JSON) log lines, unchanged. */
  moduleLog?: (line: string) => void;
  /** Extra environment for the module process. */
  env?: NodeJS.ProcessEnv;
  /**
   * What the module process runs: `all` as `pepr dev` does (admission, the capabilities'
   * watches and the control plane in one process), or `admission` alone, as the admission
   * Deployment of `npx pepr deploy` runs it (PEPR_WATCH_MODE=false).
   * @default "all"
   */
  role?: "all" | "admission";
}

/** A running module: where it listens and how to stop it cleanly. */
export interface DevSession {
  port: number;
  child: ChildProcess;
  webhookNames: string[];
  /** Removes the webhook configurations, stops the module and deletes its temp folder. */
  stop(): Promise<void>;
  /** Resolves with the exit code when the module process ends on its own. */
  exited: Promise<number | null>;
}

const moduleName = "pepr-rigging";
const moduleFile = join(repoRoot, "dist", "pepr-rigging.js");
const manifestFile = join(repoRoot, "dist", "pepr-module-rigging.yaml");

/**
 * Runs the module on this machine against the cluster in KUBECONFIG, the way `pepr dev` does but
 * without its prompt and without leaving webhooks behind: builds it, starts it with its own
 * serving certificate (IP SAN 127.0.0.1, DNS localhost), waits until it answers admission
 * requests, then registers webhook configurations that call it by `url:`.
 */
/** The module process's environment for the asked {@link DevOptions.role}. */
export function moduleEnv(
  options: Pick<DevOptions, "env" | "role">,
  serving: Record<string, string>,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, ...serving };
  if (options.role === "admission") {
    delete env.PEPR_MODE;
    env.PEPR_WATCH_MODE = "false";
  } else {
    env.PEPR_MODE = "dev";
  }
  return env;
}

export async function runDev(options: DevOptions = {}): Promise<DevSession> {
  const log = options.log ?? (() => {});
  const moduleLog = options.moduleLog ?? (() => {});
  if (options.build ?? true) await buildModule(log);
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), "rigging-dev-"));
  const ca = createCa("rigging-dev-ca");
  const serving = issueLocalServingCert(ca, "rigging-dev");
  writeFileSync(join(dir, "tls.crt"), serving.certPem);
  writeFileSync(join(dir, "tls.key"), serving.keyPem, { mode: 0o600 });
  const baseUrl = `https://127.0.0.1:${port}`;
  const { apiPath, configurations } = devWebhooks(
    readFileSync(manifestFile, "utf8"),
    baseUrl,
    ca.certPem,
  );

  log("applying namespace pepr-system and the PeprStore CRD");
  await K8s(kind.Namespace).Apply({ metadata: { name: "pepr-system" } });
  await K8s(kind.CustomResourceDefinition).Apply(peprStoreCrd as kind.CustomResourceDefinition, {
    force: true,
  });
  await waitForEstablished(peprStoreCrd.metadata.name);
  await installIstioCrds({ waitEstablished: true, log });

  log(`starting the module on ${baseUrl}`);
  // RIGGING_DEV_NODE_ARGS passes flags to the module's node (`--cpu-prof` for the benches):
  // NODE_OPTIONS refuses some of them.
  const nodeArgs = (process.env.RIGGING_DEV_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, moduleFile], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
    env: moduleEnv(options, {
      PEPR_API_PATH: apiPath,
      SSL_KEY_PATH: join(dir, "tls.key"),
      SSL_CERT_PATH: join(dir, "tls.crt"),
      RIGGING_ADMISSION_PORT: String(port),
    }),
  });
  const output: string[] = [];
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString("utf8").split("\n").filter(Boolean)) {
      output.push(line);
      if (output.length > 200) output.shift();
      moduleLog(line);
    }
  };
  child.stdout?.on("data", forward);
  child.stderr?.on("data", forward);
  const exited = new Promise<number | null>(resolve => child.on("exit", code => resolve(code)));

  const webhookNames = configurations.map(c => `${c.kind}/${c.metadata.name}`);
  // Ctrl-C and the module's own exit may both ask to stop: both must wait for the same cleanup.
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= cleanUp());
  const cleanUp = async () => {
    await removeWebhooks(configurations);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitForAdmission(baseUrl, apiPath, ca.certPem, child, output);
    for (const config of configurations) await applyWebhook(config);
    // Pepr binds admission only once its store watch is up, and starts the capabilities' watches
    // right after (onReady), so both are running from here on.
    const watches = options.role === "admission" ? "admission only, no watches" : "watches started";
    log(`admission ready (${webhookNames.join(", ")} call ${baseUrl}); ${watches}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { port, child, webhookNames, stop, exited };
}

async function buildModule(log: (line: string) => void): Promise<void> {
  log("building the module (pepr build)");
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [join(repoRoot, "node_modules", "pepr", "dist", "cli.js"), "build"],
    {
      cwd: repoRoot,
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout.on("data", chunk => (output += chunk));
  child.stderr.on("data", chunk => (output += chunk));
  const code = await new Promise<number | null>(resolve => child.on("close", resolve));
  if (code !== 0)
    throw new Error(
      `pepr build failed (exit ${code}):\n${output.split("\n").slice(-30).join("\n")}`,
    );
  log(`built the module in ${((Date.now() - started) / 1000).toFixed(1)}s`);
}

async function waitForEstablished(name: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const crd = await K8s(kind.CustomResourceDefinition).Get(name);
    if (crd.status?.conditions?.some(c => c.type === "Established" && c.status === "True")) return;
    await sleep(200);
  }
  throw new Error(`CustomResourceDefinition ${name} was not Established within 30s`);
}

/**
 * Polls the module with a real AdmissionReview (a ConfigMap, which no capability binds) until
 * it answers 200: Pepr binds its admission routes only once its store watch is up.
 */
async function waitForAdmission(
  baseUrl: string,
  apiPath: string,
  caPem: string,
  child: ChildProcess,
  output: string[],
): Promise<void> {
  const review = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "rigging-dev-readiness",
      kind: { group: "", version: "v1", kind: "ConfigMap" },
      resource: { group: "", version: "v1", resource: "configmaps" },
      name: "readiness",
      namespace: "default",
      operation: "CREATE",
      userInfo: { username: "rigging-dev" },
      object: {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "readiness", namespace: "default" },
      },
      dryRun: true,
    },
  };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the module exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output.slice(-30).join("\n")}`,
      );
    }
    const status = await postJson(`${baseUrl}/validate/${apiPath}`, review, caPem).catch(() => 0);
    if (status === 200) return;
    await sleep(250);
  }
  throw new Error(
    `the module did not answer admission requests within 60s:\n${output.slice(-30).join("\n")}`,
  );
}

function postJson(url: string, body: unknown, caPem: string): Promise<number> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", ca: caPem, timeout: 2000, headers: { "content-type": "application/json" } },
      res => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(payload);
  });
}

async function applyWebhook(config: WebhookConfiguration): Promise<void> {
  if (config.kind === "MutatingWebhookConfiguration") {
    await K8s(kind.MutatingWebhookConfiguration).Apply(
      config as unknown as kind.MutatingWebhookConfiguration,
      { force: true },
    );
  } else {
    await K8s(kind.ValidatingWebhookConfiguration).Apply(
      config as unknown as kind.ValidatingWebhookConfiguration,
      { force: true },
    );
  }
}

async function removeWebhooks(configurations: WebhookConfiguration[]): Promise<void> {
  const ignoreMissing = (err: { status?: number }) => {
    if (err?.status !== 404) throw err;
  };
  for (const config of configurations) {
    if (config.kind === "MutatingWebhookConfiguration") {
      await K8s(kind.MutatingWebhookConfiguration)
        .Delete(config.metadata.name)
        .catch(ignoreMissing);
    } else {
      await K8s(kind.ValidatingWebhookConfiguration)
        .Delete(config.metadata.name)
        .catch(ignoreMissing);
    }
  }
  for (const store of [`${moduleName}-store`, `${moduleName}-schedule`]) {
    await K8s(Store).InNamespace("pepr-system").Delete(store).catch(ignoreMissing);
  }
}
