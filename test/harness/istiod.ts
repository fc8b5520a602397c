/**
 * Istio's own control plane (pilot-discovery, built from Istio's Go module at the version pinned
 * in tools/istio by `bash scripts/istio-binaries.sh pilot-discovery`) run as a host process
 * against a local cluster's kubeconfig, as the reference the xDS diff suite holds Rigging
 * against. A test dependency only: Rigging never ships or starts it.
 *
 * It runs as `pilot-discovery discovery` with Istio's defaults except where running outside a
 * cluster, on loopback, without a CA and without webhooks needs otherwise. Flags (from
 * pilot/cmd/pilot-discovery/app/cmd.go and pkg/ctrlz/options.go at the pinned version):
 *
 * | flag | value | why |
 * | --- | --- | --- |
 * | `--kubeconfig` | the cluster's kubeconfig | out of cluster: no in-cluster service account |
 * | `--meshConfig` | a file in the run folder | its own mesh config (Istio's default `./etc/istio/config/mesh`); with `meshConfigFromConfigMap` the file is not written, and istiod reads ConfigMap `istio` in istio-system as in a cluster (and as Rigging does) |
 * | `--networksConfig` | an absent file in the run folder | the default (none); never read from the working directory |
 * | `--grpcAddr` | `127.0.0.1:<free>` | plaintext xDS, Istio's 15010, on a free loopback port |
 * | `--secureGRPCAddr` | `""` | no TLS xDS port (15012): it needs istiod's serving certificate, which needs a CA |
 * | `--httpAddr` | `127.0.0.1:<free>` | debug and readiness (`/ready`, `/debug/*`), Istio's 8080 |
 * | `--httpsAddr` | `""`, or `127.0.0.1:<free>` with `injector` | no webhook server (15017) unless the injector is asked for |
 * | `--tlsCertFile` / `--tlsKeyFile` / `--caCertFile` | with `injector` only | the webhook server's certificate (IP SAN 127.0.0.1), from a CA of the run's own |
 * | `--monitoringAddr` | `127.0.0.1:<free>` | Prometheus metrics, Istio's 15014 |
 * | `--ctrlz_port` / `--ctrlz_address` | free port / 127.0.0.1 | ControlZ, Istio's 9876 on every interface |
 * | `--domain` | `cluster.local` | Istio's default DNS suffix, as in the node ids |
 * | `--clusterID` | `Kubernetes` | Istio's default cluster name (also the proxies' CLUSTER_ID) |
 * | `--keepaliveMaxServerConnectionAge` | `30m` | Istio's default; stated so a slow test never sees a reconnect |
 * | `--log_output_level` | `default:info` | what the runner waits on (`"starting discovery service"`) |
 *
 * Environment (pilot/pkg/features/*.go, pilot/pkg/bootstrap/options.go):
 *
 * | variable | value | why |
 * | --- | --- | --- |
 * | `POD_NAMESPACE` | `istio-system` | istiod's own namespace (mesh-wide config lives there) |
 * | `POD_NAME` | `istiod-local` | its identity for leader election |
 * | `REVISION` | `default` | Istio's default revision |
 * | `CLUSTER_ID` | `Kubernetes` | as `--clusterID` |
 * | `ENABLE_CA_SERVER` | `false` | no CA of its own: no `istio-ca-secret`, no root ConfigMaps, no 15012 |
 * | `PILOT_CERT_PROVIDER` | `istiod` | Istio's default; with the CA off istiod creates no serving cert |
 * | `INJECTION_WEBHOOK_CONFIG_NAME` / `VALIDATION_WEBHOOK_CONFIG_NAME` | `""` | patch no webhook configurations Rigging owns |
 * | `PILOT_ENABLE_GATEWAY_API` (+ `_STATUS`, `_DEPLOYMENT_CONTROLLER`) | `false` | Rigging serves Istio's API only; no Gateway API controllers |
 * | `PILOT_ENABLE_STATUS` | `false` | istiod writes no status into the objects both control planes read |
 * | `ISTIOD_CUSTOM_HOST` | unset | |
 * | `JWT_POLICY` | `third-party-jwt` | Istio's default |
 * | `KUBECONFIG` | the cluster's kubeconfig | also read by client-go helpers |
 *
 * The run folder is its working directory, standing in for the container's `/`: Istio reads
 * `./var/lib/istio/inject` (injection templates: absent, so no injector, unless `injector` is
 * given, see istio-injector-config.ts) and `./etc/istio/config/mesh` relative to it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createCa, issueLocalServingCert } from "../../cli/local-cluster/pki";
import { freePort } from "../../cli/local-cluster/ports";
import { istioBinDir } from "./pilot-agent";
import { GaveUp, until } from "./poll";

/**
 * The pilot-discovery binary. Tests never build it (a cold build takes many minutes): `npm test`
 * runs `npm run istio:binaries` first; a missing binary fails with that advice.
 */
export function pilotDiscoveryBinary(): string {
  const path = join(istioBinDir(), "pilot-discovery");
  if (!existsSync(path)) {
    throw new Error(
      `pilot-discovery not found at ${path}: build it with \`npm run istio:binaries\` ` +
        "(bash scripts/istio-binaries.sh pilot-agent pilot-discovery; `npm test` does this first)",
    );
  }
  return path;
}

/** How to run istiod. */
export interface IstiodOptions {
  /** The local cluster's kubeconfig. */
  readonly kubeconfig: string;
  /**
   * The mesh config (YAML of Istio's MeshConfig), written to the `--meshConfig` file.
   * @default "" (Istio's defaults)
   */
  readonly meshConfig?: string;
  /**
   * Write no `--meshConfig` file: istiod then falls back (pilot/pkg/bootstrap/mesh.go
   * getConfigurationSources) to the `mesh` key of ConfigMap `istio` in its namespace and
   * watches it, as Rigging does: one mesh config both control planes read.
   */
  readonly meshConfigFromConfigMap?: boolean;
  /** Extra environment (e.g. feature flags a corpus needs). */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Istio's sidecar injector: the `config` and `values` keys of an `istio-sidecar-injector`
   * ConfigMap, served at `/inject` on an HTTPS port of its own (the admission bench compares it).
   */
  readonly injector?: { readonly config: string; readonly values: string };
}

/** istiod's injection webhook, when started with `injector`. */
export interface IstiodInjector {
  /** `https://127.0.0.1:<port>/inject` */
  readonly url: string;
  /** The PEM of the CA that issued the webhook server's certificate (the webhook's caBundle). */
  readonly caPem: string;
}

/** A running istiod. */
export interface RunningIstiod {
  /** Plaintext xDS (Istio's 15010) on 127.0.0.1. */
  readonly grpcPort: number;
  /** Debug and readiness HTTP (Istio's 8080) on 127.0.0.1. */
  readonly httpPort: number;
  /** Every log line so far. */
  readonly lines: string[];
  readonly child: ChildProcess;
  /** The injection webhook, when {@link IstiodOptions.injector} was given. */
  readonly injector?: IstiodInjector;
  /** Resolves when `/ready` answers 200 (caches synced, discovery serving). */
  ready(timeoutMs?: number): Promise<void>;
  /** Stops istiod (SIGTERM, then SIGKILL) and deletes its folder. */
  stop(): Promise<void>;
}

/** The flags {@link startIstiod} passes (see the table above). */
export function istiodArgs(
  root: string,
  kubeconfig: string,
  ports: { grpc: number; http: number; monitoring: number; ctrlz: number; https?: number },
): string[] {
  const tls = join(root, "var", "run", "secrets", "istiod", "tls");
  const webhookServer =
    ports.https === undefined
      ? ["--httpsAddr="]
      : [
          `--httpsAddr=127.0.0.1:${ports.https}`,
          `--tlsCertFile=${join(tls, "tls.crt")}`,
          `--tlsKeyFile=${join(tls, "tls.key")}`,
          `--caCertFile=${join(tls, "ca.crt")}`,
        ];
  return [
    "discovery",
    `--kubeconfig=${kubeconfig}`,
    `--meshConfig=${join(root, "etc", "istio", "config", "mesh")}`,
    `--networksConfig=${join(root, "etc", "istio", "config", "meshNetworks")}`,
    `--grpcAddr=127.0.0.1:${ports.grpc}`,
    "--secureGRPCAddr=",
    `--httpAddr=127.0.0.1:${ports.http}`,
    ...webhookServer,
    `--monitoringAddr=127.0.0.1:${ports.monitoring}`,
    `--ctrlz_port=${ports.ctrlz}`,
    "--ctrlz_address=127.0.0.1",
    "--domain=cluster.local",
    "--clusterID=Kubernetes",
    "--keepaliveMaxServerConnectionAge=30m",
    "--log_output_level=default:info",
  ];
}

/** The environment {@link startIstiod} sets (see the table above). */
export function istiodEnv(
  root: string,
  kubeconfig: string,
  extra: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: root,
    KUBECONFIG: kubeconfig,
    POD_NAMESPACE: "istio-system",
    POD_NAME: "istiod-local",
    REVISION: "default",
    CLUSTER_ID: "Kubernetes",
    ENABLE_CA_SERVER: "false",
    PILOT_CERT_PROVIDER: "istiod",
    INJECTION_WEBHOOK_CONFIG_NAME: "",
    VALIDATION_WEBHOOK_CONFIG_NAME: "",
    PILOT_ENABLE_GATEWAY_API: "false",
    PILOT_ENABLE_GATEWAY_API_STATUS: "false",
    PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER: "false",
    PILOT_ENABLE_STATUS: "false",
    JWT_POLICY: "third-party-jwt",
    ...extra,
  };
}

/** Starts pilot-discovery on free loopback ports; call `ready()` before connecting proxies. */
export async function startIstiod(options: IstiodOptions): Promise<RunningIstiod> {
  const binary = pilotDiscoveryBinary();
  const root = mkdtempSync(join(tmpdir(), "rigging-istiod-"));
  mkdirSync(join(root, "etc", "istio", "config"), { recursive: true });
  if (!options.meshConfigFromConfigMap)
    writeFileSync(join(root, "etc", "istio", "config", "mesh"), options.meshConfig ?? "");
  const ports = {
    grpc: await freePort(),
    http: await freePort(),
    monitoring: await freePort(),
    ctrlz: await freePort(),
    https: options.injector ? await freePort() : undefined,
  };
  const injector = options.injector && writeInjector(root, options.injector, ports.https!);
  const child = spawn(binary, istiodArgs(root, options.kubeconfig, ports), {
    cwd: root,
    env: istiodEnv(root, options.kubeconfig, options.env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const partial = { out: "", err: "" };
  const collect = (which: "out" | "err") => (chunk: Buffer) => {
    const parts = (partial[which] + chunk.toString("utf8")).split("\n");
    partial[which] = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      if (process.env.RIGGING_TEST_VERBOSE) process.stderr.write(`[istiod] ${line}\n`);
    }
  };
  child.stdout.on("data", collect("out"));
  child.stderr.on("data", collect("err"));
  const exited = new Promise<number | null>(resolve => child.on("exit", code => resolve(code)));

  const answersReady = async (): Promise<boolean> => {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new GaveUp(`istiod exited (${child.exitCode ?? child.signalCode}):\n${tail(lines)}`);
    try {
      return (await fetch(`http://127.0.0.1:${ports.http}/ready`)).status === 200;
    } catch {
      return false; // not listening yet
    }
  };
  const ready = async (timeoutMs = 60_000) => {
    try {
      await until("istiod to be ready", answersReady, timeoutMs, 250);
    } catch (err) {
      if (err instanceof GaveUp) throw err;
      throw new Error(`istiod not ready after ${timeoutMs / 1000}s:\n${tail(lines)}`);
    }
  };

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(root, { recursive: true, force: true });
    })());

  return { grpcPort: ports.grpc, httpPort: ports.http, lines, child, injector, ready, stop };
}

/**
 * Writes what istiod's injector reads from its working directory: the templates and values at
 * `./var/lib/istio/inject` (the ConfigMap's mount in a pod) and the webhook server's
 * certificate where `--tlsCertFile` and its siblings point.
 */
function writeInjector(
  root: string,
  files: NonNullable<IstiodOptions["injector"]>,
  httpsPort: number,
): IstiodInjector {
  const inject = join(root, "var", "lib", "istio", "inject");
  mkdirSync(inject, { recursive: true });
  writeFileSync(join(inject, "config"), files.config);
  writeFileSync(join(inject, "values"), files.values);
  const ca = createCa("istiod-bench-ca");
  const serving = issueLocalServingCert(ca, "istiod-local");
  const tls = join(root, "var", "run", "secrets", "istiod", "tls");
  mkdirSync(tls, { recursive: true });
  writeFileSync(join(tls, "tls.crt"), serving.certPem);
  writeFileSync(join(tls, "tls.key"), serving.keyPem, { mode: 0o600 });
  writeFileSync(join(tls, "ca.crt"), ca.certPem);
  return { url: `https://127.0.0.1:${httpsPort}/inject`, caPem: ca.certPem };
}

function tail(lines: readonly string[], n = 40): string {
  return lines.slice(-n).join("\n");
}
