/**
 * Admission latency of pod creation through a real local API server: N pods created one at a time
 * in an injection-enabled namespace with the module's webhooks registered, then the webhooks
 * removed (`session.stop()`) and N pods created again, in the same run on the same cluster. Prints
 * p50/p99/mean of each and the ratio (what the module's admission adds end to end).
 * Needs the module built (`npm run build`). Loopback only.
 * Run: npx tsx bench/admission.bench.ts [pods=200]
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { runDev } from "../cli/dev/runner";
import { startTestCluster, type LocalCluster } from "../test/harness/cluster";
import { repoRoot } from "../test/harness/shared";

const N = Number(process.argv[2] ?? 200);
const WARMUP = 10;
const NS = "bench";

interface StoredPod {
  spec: { initContainers?: { name: string }[] };
}

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

async function createPod(cluster: LocalCluster, name: string): Promise<StoredPod> {
  const res = await cluster.api("POST", `/api/v1/namespaces/${NS}/pods`, pod(name));
  if (res.status !== 201) throw new Error(`POST pod ${name}: HTTP ${res.status}`);
  return res.body as StoredPod;
}

const hasSidecar = (p: StoredPod) =>
  (p.spec.initContainers ?? []).some(c => c.name === "istio-proxy");

/** Creates `n` pods sequentially and returns each request's latency in milliseconds. */
async function timeCreates(cluster: LocalCluster, phase: string, n: number): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await createPod(cluster, `${phase}-${i}`);
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
    if (!hasSidecar(await createPod(cluster, "check-with"))) {
      throw new Error("the module did not inject the first pod; is dist/ up to date?");
    }
    await timeCreates(cluster, "warm-with", WARMUP);
    log("phase 1: with the module's webhooks");
    const withHooks = await timeCreates(cluster, "with", N);
    await deletePods(cluster);

    await session.stop();
    stopped = true;
    // The API server drops the webhook from its cache shortly after the configuration is deleted.
    for (let i = 0; hasSidecar(await createPod(cluster, `check-without-${i}`)); i++) {
      if (i > 100) throw new Error("pods are still injected after the webhooks were removed");
      await new Promise(r => setTimeout(r, 100));
    }
    await timeCreates(cluster, "warm-without", WARMUP);
    log("phase 2: webhooks removed");
    const without = await timeCreates(cluster, "without", N);
    await deletePods(cluster);

    const a = stats(withHooks);
    const b = stats(without);
    const f = (x: number) => `${x.toFixed(1)} ms`.padStart(10);
    const rows = [
      ["", ...["p50", "p99", "mean", "max"].map(h => h.padStart(10))],
      ["with webhooks", f(a.p50), f(a.p99), f(a.mean), f(a.max)],
      ["without", f(b.p50), f(b.p99), f(b.mean), f(b.max)],
      [
        "ratio",
        `${(a.p50 / b.p50).toFixed(2)}x`.padStart(10),
        `${(a.p99 / b.p99).toFixed(2)}x`.padStart(10),
        `${(a.mean / b.mean).toFixed(2)}x`.padStart(10),
        "",
      ],
    ];
    console.log(`pod creation latency, ${N} pods per phase, sequential, one local API server`);
    for (const r of rows) console.log(`${(r[0] ?? "").padEnd(14)}${r.slice(1).join("")}`);
  } finally {
    if (!stopped) await session.stop();
    await cluster.stop();
  }
}

main().catch(err => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
