/**
 * Admission latency of pod creation through a real local API server, in the same run on the same
 * cluster:
 * - "with webhooks": N pods created one at a time in an injection-enabled namespace with the
 *   module's webhooks as built;
 * - "no matchConditions": the same, with the validating webhook's matchConditions removed (how it
 *   was registered before: every injected pod also went through the validating webhook);
 * - "without": the webhooks removed (`session.stop()`);
 * - "without, pod as injected": no webhooks, posting the pod the module injected as it is (what
 *   a pod of that size costs the API server itself), in rounds with "without".
 * The first two alternate in rounds of ROUND pods, so that the load of a shared machine falls on
 * both alike. Prints p50/p99/mean of each, the ratio to "without" (what the module's admission adds
 * end to end) and the validating webhook calls per pod (from the API server's metrics).
 * Needs the module built (`npm run build`). Loopback only.
 * Run: npx tsx bench/admission.bench.ts [pods=200]
 * RIGGING_DEV_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the module process.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runDev } from "../cli/dev/runner";
import { startTestCluster, type LocalCluster } from "../test/harness/cluster";
import { repoRoot } from "../test/harness/shared";

const N = Number(process.argv[2] ?? 200);
const WARMUP = 10;
const ROUND = 25;
const NS = "bench";

interface StoredPod {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { initContainers?: { name: string }[] };
}

/** What a pod body looks like for a POST: a name and the rest of `template`. */
type PodBody = (name: string) => unknown;

const pod = (name: string) => ({
  metadata: { name, labels: { app: "bench" } },
  spec: {
    containers: [
      {
        name: "app",
        image: "example/app:1",
        ports: [{ containerPort: 8080 }],
        readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
      },
    ],
  },
});

async function createPod(
  cluster: LocalCluster,
  name: string,
  body: PodBody = pod,
): Promise<StoredPod> {
  const res = await cluster.api("POST", `/api/v1/namespaces/${NS}/pods`, body(name));
  if (res.status !== 201) throw new Error(`POST pod ${name}: HTTP ${res.status}`);
  return res.body as StoredPod;
}

const hasSidecar = (p: StoredPod) =>
  (p.spec.initContainers ?? []).some(c => c.name === "istio-proxy");

/** Creates `n` pods sequentially and returns each request's latency in milliseconds. */
async function timeCreates(
  cluster: LocalCluster,
  phase: string,
  n: number,
  body: PodBody = pod,
): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await createPod(cluster, `${phase}-${i}`, body);
    ms.push(performance.now() - start);
  }
  return ms;
}

/** Force-deletes every pod in the namespace and waits until none is left, to keep etcd small. */
async function deletePods(cluster: LocalCluster): Promise<void> {
  const path = `/api/v1/namespaces/${NS}/pods`;
  const listed = (await cluster.api("GET", path)).body as {
    items: { metadata: { name: string } }[];
  };
  const names = listed.items.map(p => p.metadata.name);
  // One DELETE per pod, a few at a time: a deletecollection of hundreds outlasts the client timeout.
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(
      names
        .slice(i, i + 10)
        .map(name => cluster.api("DELETE", `${path}/${name}?gracePeriodSeconds=0`)),
    );
  }
  for (let i = 0; i < 240; i++) {
    const res = await cluster.api("GET", path);
    if ((res.body as { items: unknown[] }).items.length === 0) return;
    await new Promise(r => setTimeout(r, 250));
  }
  throw new Error("pods were not deleted within 60s");
}

function stats(ms: number[]) {
  const sorted = [...ms].sort((a, b) => a - b);
  const q = (p: number) =>
    sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
  const mean = ms.reduce((a, b) => a + b, 0) / ms.length;
  return { p50: q(0.5), p99: q(0.99), mean, max: sorted[sorted.length - 1] ?? 0 };
}

async function main(): Promise<void> {
  if (!existsSync(join(repoRoot, "dist", "pepr-rigging.js"))) {
    throw new Error("dist/pepr-rigging.js is missing: run `npm run build` first");
  }
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`starting a local cluster (1 node) and the module; ${N} pods per phase`);
  const cluster = await startTestCluster({ nodes: 1 });
  process.env.KUBECONFIG = cluster.kubeconfigPath;
  const session = await runDev({ build: false });
  let stopped = false;
  try {
    await cluster.api("POST", "/api/v1/namespaces", {
      metadata: { name: NS, labels: { "istio-injection": "enabled" } },
    });
    for (let i = 0; ; i++) {
      const res = await cluster.api("GET", `/api/v1/namespaces/${NS}/serviceaccounts/default`);
      if (res.status === 200) break;
      if (i > 240) throw new Error("no default ServiceAccount in the bench namespace");
      await new Promise(r => setTimeout(r, 250));
    }

    // A measurement that did not go through the webhook would be meaningless: check it did.
    const injected = await createPod(cluster, "check-with");
    if (!hasSidecar(injected)) {
      throw new Error("the module did not inject the first pod; is dist/ up to date?");
    }
    // The injected pod, posted as it is: the API server's own cost of a pod that size.
    const { labels, annotations } = injected.metadata;
    const asInjected: PodBody = name => ({
      metadata: { name, labels, annotations },
      spec: injected.spec,
    });
    const validating = await validatingConfig(cluster);
    const unconditional = { ...validating, webhooks: validating.webhooks.map(stripConditions) };
    await timeCreates(cluster, "warm-with", WARMUP);
    log("phase 1: with the module's webhooks, with and without matchConditions in rounds");
    const withHooks: number[] = [];
    const before: number[] = [];
    const calls = { with: 0, before: 0 };
    for (let done = 0; done < N; done += ROUND) {
      const n = Math.min(ROUND, N - done);
      for (const [variant, config, into] of [
        ["before", unconditional, before],
        ["with", validating, withHooks],
      ] as const) {
        await replaceValidatingConfig(cluster, config);
        const count = await validateCount(cluster);
        into.push(...(await timeCreates(cluster, `${variant}-${done}`, n)));
        calls[variant] += (await validateCount(cluster)) - count;
      }
    }
    await deletePods(cluster);

    await session.stop();
    stopped = true;
    // The API server drops the webhook from its cache shortly after the configuration is deleted.
    for (let i = 0; hasSidecar(await createPod(cluster, `check-without-${i}`)); i++) {
      if (i > 100) throw new Error("pods are still injected after the webhooks were removed");
      await new Promise(r => setTimeout(r, 100));
    }
    await timeCreates(cluster, "warm-without", WARMUP);
    log("phase 2: webhooks removed, the plain pod and the injected pod in rounds");
    const without: number[] = [];
    const withoutInjected: number[] = [];
    for (let done = 0; done < N; done += ROUND) {
      const n = Math.min(ROUND, N - done);
      without.push(...(await timeCreates(cluster, `without-${done}`, n)));
      withoutInjected.push(
        ...(await timeCreates(cluster, `without-injected-${done}`, n, asInjected)),
      );
    }
    await deletePods(cluster);

    const f = (x: number) => `${x.toFixed(1)} ms`.padStart(10);
    const r = (x: number, y: number) => `${(x / y).toFixed(2)}x`.padStart(13);
    const base = stats(without);
    const row = (label: string, ms: number[], perPod?: number) => {
      const a = stats(ms);
      const calls = perPod === undefined ? "" : perPod.toFixed(2).padStart(22);
      console.log(
        `${label.padEnd(26)}${f(a.p50)}${f(a.p99)}${f(a.mean)}${f(a.max)}` +
          `${r(a.p50, base.p50)}${r(a.p99, base.p99)}${calls}`,
      );
    };
    console.log(`pod creation latency, ${N} pods per phase, sequential, one local API server`);
    console.log(
      `${"".padEnd(26)}${["p50", "p99", "mean", "max"].map(h => h.padStart(10)).join("")}` +
        `${["p50/without", "p99/without"].map(h => h.padStart(13)).join("")}` +
        "validating calls/pod".padStart(22),
    );
    row("with webhooks", withHooks, calls.with / N);
    row("no matchConditions", before, calls.before / N);
    row("without", without);
    row("without, pod as injected", withoutInjected);
  } finally {
    if (!stopped) await session.stop();
    await cluster.stop();
  }
}

interface ValidatingConfig {
  metadata: { name: string; resourceVersion?: string };
  webhooks: { matchConditions?: unknown[] }[];
}

const validatingPath = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations";

async function validatingConfig(cluster: LocalCluster): Promise<ValidatingConfig> {
  const res = await cluster.api("GET", `${validatingPath}/pepr-rigging`);
  if (res.status !== 200) throw new Error(`GET the validating webhook: HTTP ${res.status}`);
  return res.body as ValidatingConfig;
}

function stripConditions<W extends { matchConditions?: unknown[] }>(webhook: W): W {
  const copy = { ...webhook };
  delete copy.matchConditions;
  return copy;
}

/** Replaces the validating webhook configuration and gives the API server time to reload it. */
async function replaceValidatingConfig(
  cluster: LocalCluster,
  config: ValidatingConfig,
): Promise<void> {
  const current = await validatingConfig(cluster);
  const body = {
    ...config,
    metadata: { ...config.metadata, resourceVersion: current.metadata.resourceVersion },
  };
  const res = await cluster.api("PUT", `${validatingPath}/${config.metadata.name}`, body);
  if (res.status !== 200) throw new Error(`PUT the validating webhook: HTTP ${res.status}`);
  await new Promise(r => setTimeout(r, 1000));
}

/** Calls the API server has made to Rigging's validating webhook (its own admission metrics). */
async function validateCount(cluster: LocalCluster): Promise<number> {
  const res = await cluster.api("GET", "/metrics");
  const lines = String(res.body).split("\n");
  return lines
    .filter(
      l =>
        l.startsWith("apiserver_admission_webhook_admission_duration_seconds_count{") &&
        l.includes('name="pepr-rigging.pepr.dev"') &&
        l.includes('type="validating"'),
    )
    .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
}

main().catch(err => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
