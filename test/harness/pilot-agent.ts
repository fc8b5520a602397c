/**
 * Istio's own agent (pilot-agent, built from Istio's Go module by scripts/istio-binaries.sh) run
 * as a host process, laid out as Istio's injection templates lay out its container: the working
 * directory is a temp folder standing in for the container's `/`, because pilot-agent reads and
 * writes its files relative to it (`./var/run/secrets/tokens/istio-token`,
 * `./var/run/secrets/istio/root-cert.pem`, `./etc/istio/pod/labels`,
 * `./var/run/secrets/workload-spiffe-uds/socket`). Two paths are absolute in Istio's code and are
 * relocated into the folder through the settings Istio reads: `PROXY_CONFIG.configPath` (the XDS
 * socket and gRPC bootstrap; Istio writes the socket as `unix:///<configPath>/XDS` into the
 * bootstrap, which with the default relative path means `/etc/istio/proxy/XDS`) and
 * `OUTPUT_CERTS` (where proxyless workloads read their certificates).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { repoRoot } from "./shared";

/** The folder scripts/istio-binaries.sh builds into (it prints it without building). */
export function istioBinDir(): string {
  const res = spawnSync("bash", [join(repoRoot, "scripts", "istio-binaries.sh"), "--where"], {
    encoding: "utf8",
  });
  const dir = res.stdout.trim().split("\n").pop() ?? "";
  if (res.status !== 0 || !dir) throw new Error(`scripts/istio-binaries.sh --where: ${res.stderr}`);
  return dir;
}

/**
 * The pilot-agent binary. Tests never build it themselves (a cold build takes many minutes):
 * `npm test` runs `npm run istio:binaries` first, and a missing binary fails with that advice.
 */
export function pilotAgentBinary(): string {
  const path = join(istioBinDir(), "pilot-agent");
  if (!existsSync(path) || !existsSync(join(istioBinDir(), "envoy_bootstrap_tmpl.json"))) {
    throw new Error(
      `pilot-agent not found at ${path}: build it with \`npm run istio:binaries\` ` +
        "(bash scripts/istio-binaries.sh; `npm test` does this before the tests)",
    );
  }
  return path;
}

/** Who the agent runs as and where it finds the control plane. */
export interface AgentSpec {
  /** POD_NAMESPACE, the namespace the node claims. */
  readonly namespace: string;
  /** SERVICE_ACCOUNT. */
  readonly serviceAccount: string;
  /** POD_NAME. */
  readonly podName: string;
  /** INSTANCE_IP, a 127.x loopback address. */
  readonly ip: string;
  /** Pod labels, written as the downward API writes `./etc/istio/pod/labels`. */
  readonly labels: Readonly<Record<string, string>>;
  /** The projected ServiceAccount token (`./var/run/secrets/tokens/istio-token`). */
  readonly token: string;
  /** `istio-ca-root-cert`'s `root-cert.pem` (`./var/run/secrets/istio/root-cert.pem`). */
  readonly rootCert: string;
  /** Port of the control plane's TLS xDS + CA server on 127.0.0.1. */
  readonly tlsPort: number;
  /** Port for the agent's status server (Istio listens on every interface; nothing dials it). */
  readonly statusPort: number;
  /** Istio's `grpc-agent` template (no Envoy) or the `sidecar` template (Envoy expected). */
  readonly template: "grpc-agent" | "sidecar";
  /**
   * `PROXY_CONFIG.binaryPath`, the program started as Envoy (sidecar template).
   * @default Istio's `/usr/local/bin/envoy`
   */
  readonly envoyBinary?: string;
  /** Extra environment, e.g. SECRET_TTL. */
  readonly env?: Readonly<Record<string, string>>;
  /** `--log_output_level`. @default "default:info,xdsproxy:debug" (logs every type URL sent). */
  readonly logLevel?: string;
}

/** A running pilot-agent. */
export interface RunningAgent {
  /** The agent's `/` (its working directory). */
  readonly root: string;
  /** OUTPUT_CERTS: key.pem, cert-chain.pem, root-cert.pem for proxyless workloads. */
  readonly certDir: string;
  /** The gRPC xDS bootstrap the agent writes (GRPC_XDS_BOOTSTRAP). */
  readonly bootstrapPath: string;
  /** The SDS socket the agent serves Envoy on (sidecar template). */
  readonly sdsSocket: string;
  /** Every log line so far (stdout and stderr). */
  readonly lines: string[];
  /** `performance.now()` when each line arrived, by index in `lines`. */
  readonly lineTimes: number[];
  /** `performance.now()` at spawn. */
  readonly startedAt: number;
  readonly child: ChildProcess;
  /** Resolves with the first line matching `pattern`, or rejects with the log's tail. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<{ line: string; at: number }>;
  /** Resolves with the exit code when the agent ends on its own. */
  readonly exited: Promise<number | null>;
  /** Stops the agent (SIGTERM, then SIGKILL) and deletes its folder. */
  stop(): Promise<void>;
}

/** The `key="value"` lines the downward API writes for `metadata.labels`. */
export function downwardApiLabels(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join("\n");
}

/**
 * The environment Istio's `grpc-agent` template gives the istio-proxy container (and the
 * `sidecar` template's subset that matters without Envoy), with the pod's downward-API values
 * filled in and the control plane at `localhost:<tlsPort>`. Istio's TLS client maps a `localhost`
 * address to the server name `istiod.istio-system.svc` (pilot/pkg/grpc/tls.go), a name Rigging's
 * serving certificate carries, exactly as for `istiod.istio-system.svc:15012` in a cluster.
 */
export function agentEnv(spec: AgentSpec, root: string): Record<string, string> {
  const address = `localhost:${spec.tlsPort}`;
  const proxyConfig = {
    discoveryAddress: address,
    configPath: join(root, "etc", "istio", "proxy"),
    statusPort: spec.statusPort,
    ...(spec.envoyBinary ? { binaryPath: spec.envoyBinary } : {}),
  };
  const common: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: root,
    PILOT_CERT_PROVIDER: "istiod",
    CA_ADDR: address,
    POD_NAME: spec.podName,
    POD_NAMESPACE: spec.namespace,
    INSTANCE_IP: spec.ip,
    SERVICE_ACCOUNT: spec.serviceAccount,
    HOST_IP: spec.ip,
    PROXY_CONFIG: JSON.stringify(proxyConfig),
    ISTIO_META_POD_PORTS: "[]",
    ISTIO_META_APP_CONTAINERS: "app",
    ISTIO_META_CLUSTER_ID: "Kubernetes",
    ISTIO_META_NODE_NAME: "kwok-node-0",
    ISTIO_META_WORKLOAD_NAME: spec.podName,
    ISTIO_META_OWNER: `kubernetes://apis/apps/v1/namespaces/${spec.namespace}/deployments/${spec.podName}`,
    ISTIO_META_MESH_ID: "cluster.local",
    TRUST_DOMAIN: "cluster.local",
  };
  const template: Record<string, string> =
    spec.template === "grpc-agent"
      ? {
          ISTIO_META_GENERATOR: "grpc",
          OUTPUT_CERTS: join(root, "var", "lib", "istio", "data"),
          ISTIO_META_DNS_CAPTURE: "false",
          DISABLE_ENVOY: "true",
        }
      : { ISTIO_META_INTERCEPTION_MODE: "REDIRECT" };
  return { ...common, ...template, ...spec.env };
}

/** Starts pilot-agent `proxy sidecar` in a fresh folder laid out like its container. */
export function startPilotAgent(spec: AgentSpec): RunningAgent {
  const binary = pilotAgentBinary();
  const root = mkdtempSync(join(tmpdir(), "rigging-agent-"));
  const put = (path: string, content: string) => {
    mkdirSync(join(root, path, ".."), { recursive: true });
    writeFileSync(join(root, path), content);
  };
  put("var/run/secrets/tokens/istio-token", spec.token);
  put("var/run/secrets/istio/root-cert.pem", spec.rootCert);
  put("etc/istio/pod/labels", downwardApiLabels(spec.labels));
  mkdirSync(join(root, "var/run/secrets/workload-spiffe-uds"), { recursive: true });
  mkdirSync(join(root, "var/run/secrets/workload-spiffe-credentials"), { recursive: true });
  mkdirSync(join(root, "var/lib/istio/data"), { recursive: true });
  // The proxyv2 image's Envoy bootstrap template, from the same Istio module as the binary.
  put(
    "var/lib/istio/envoy/envoy_bootstrap_tmpl.json",
    readFileSync(join(dirname(binary), "envoy_bootstrap_tmpl.json"), "utf8"),
  );
  const env = agentEnv(spec, root);
  const args = [
    "proxy",
    "sidecar",
    "--domain",
    `${spec.namespace}.svc.cluster.local`,
    "--proxyLogLevel=warning",
    "--proxyComponentLogLevel=misc:error",
    `--log_output_level=${spec.logLevel ?? "default:info,xdsproxy:debug"}`,
  ];
  const startedAt = performance.now();
  const child = spawn(binary, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
  const lines: string[] = [];
  const lineTimes: number[] = [];
  const waiters = new Set<() => void>();
  let partial = { out: "", err: "" };
  const collect = (which: "out" | "err") => (chunk: Buffer) => {
    const text = partial[which] + chunk.toString("utf8");
    const parts = text.split("\n");
    partial = { ...partial, [which]: parts.pop() ?? "" };
    const now = performance.now();
    for (const line of parts) {
      lines.push(line);
      lineTimes.push(now);
      if (process.env.RIGGING_TEST_VERBOSE) process.stderr.write(`[pilot-agent] ${line}\n`);
    }
    for (const w of waiters) w();
  };
  child.stdout.on("data", collect("out"));
  child.stderr.on("data", collect("err"));
  const exited = new Promise<number | null>(resolve =>
    child.on("exit", code => {
      resolve(code);
      for (const w of waiters) w();
    }),
  );

  const waitForLine = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<{ line: string; at: number }>((resolve, reject) => {
      const check = () => {
        const i = lines.findIndex(l => pattern.test(l));
        if (i >= 0) {
          done();
          resolve({ line: lines[i]!, at: lineTimes[i]! });
        } else if (child.exitCode !== null || child.signalCode !== null) {
          done();
          reject(new Error(`pilot-agent exited before logging ${pattern}:\n${tail(lines)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`pilot-agent did not log ${pattern} in ${timeoutMs} ms:\n${tail(lines)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });

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

  return {
    root,
    certDir: env.OUTPUT_CERTS ?? join(root, "var", "lib", "istio", "data"),
    bootstrapPath: join(root, "etc", "istio", "proxy", "grpc-bootstrap.json"),
    sdsSocket: join(root, "var", "run", "secrets", "workload-spiffe-uds", "socket"),
    lines,
    lineTimes,
    startedAt,
    child,
    waitForLine,
    exited,
    stop,
  };
}

function tail(lines: readonly string[], n = 40): string {
  return lines.slice(-n).join("\n");
}
