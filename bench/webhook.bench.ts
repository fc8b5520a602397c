/**
 * Webhook latency through a real local API server: p50/p99 of creating Istio objects with the
 * module's webhooks registered, against the same creations once the webhooks are removed
 * (`session.stop()`), measured in one run on one cluster. The difference is what admission by
 * Rigging costs a `kubectl apply`. Needs `npm run build` (dist/) and the local Kubernetes
 * binaries. Run: `npx tsx bench/webhook.bench.ts [objects-per-phase]`.
 */
import { runDev } from "../cli/dev/runner";
import { startCluster } from "../cli/local-cluster/cluster";
import { findKind } from "../mesh/api/kinds";
import { validate } from "../mesh/validation";
import { loadCorpora } from "../test/mesh/validation/corpus";

const perPhase = Number(process.argv[2] ?? 400);
const WARMUP = 30;

type Obj = { apiVersion: string; kind: string; metadata?: Record<string, unknown> };

const corpora = loadCorpora();
// Objects the validator admits as read (the one whose YAML the yaml package reads differently
// from kubectl is left out), so that every create in both phases does the same work.
const objects = [
  ...corpora.samples.objects,
  ...corpora.testdata.objects,
  ...corpora.crdsValid.objects,
]
  .map(o => o.object as Obj)
  .filter(o => validate(o).errors.length === 0);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  process.stderr.write("starting a local cluster and the module...\n");
  const cluster = await startCluster({ nodes: 1 });
  process.env.KUBECONFIG = cluster.kubeconfigPath;
  const session = await runDev({ build: false });
  let stopped = false;
  try {
    /** Creates `count` objects (round-robin over the corpora) in `namespace`; ms per create. */
    const phase = async (namespace: string, count: number): Promise<number[]> => {
      const res = await cluster.api("POST", "/api/v1/namespaces", {
        metadata: { name: namespace },
      });
      if (res.status !== 201) throw new Error(`namespace ${namespace}: HTTP ${res.status}`);
      const times: number[] = [];
      let refused = 0;
      for (let i = 0; i < count + WARMUP; i++) {
        const o = objects[i % objects.length] as Obj;
        const plural = findKind(o.apiVersion, o.kind)?.plural;
        const body = { ...o, metadata: { ...o.metadata, name: `obj-${i}`, namespace } };
        const started = process.hrtime.bigint();
        const r = await cluster.api(
          "POST",
          `/apis/${o.apiVersion}/namespaces/${namespace}/${plural}`,
          body,
        );
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        // A refused create does less work than a stored one; keep it out of the figures.
        if (r.status !== 201) {
          if (refused++ === 0)
            process.stderr.write(
              `${namespace}: refused: ${JSON.stringify(r.body).slice(0, 300)}\n`,
            );
        } else if (i >= WARMUP) times.push(ms);
      }
      if (refused > 0) process.stderr.write(`${namespace}: ${refused} creates refused\n`);
      return times.sort((a, b) => a - b);
    };

    const hooked = await phase("bench-webhook", perPhase);
    await session.stop();
    stopped = true;
    // The API server drops a removed webhook configuration through its informer; give it a moment.
    await new Promise(r => setTimeout(r, 2000));
    const plain = await phase("bench-plain", perPhase);

    const row = (name: string, t: number[]) =>
      `${name.padEnd(24)} p50 ${percentile(t, 50).toFixed(2).padStart(7)} ms   p99 ${percentile(t, 99).toFixed(2).padStart(7)} ms`;
    console.log(`${perPhase} creates per phase (after ${WARMUP} warm-up), one local API server`);
    console.log(row("with Rigging's webhooks", hooked));
    console.log(row("without webhooks", plain));
    console.log(
      `ratio (with / without)   p50 ${(percentile(hooked, 50) / percentile(plain, 50)).toFixed(2)}x` +
        `   p99 ${(percentile(hooked, 99) / percentile(plain, 99)).toFixed(2)}x`,
    );
  } finally {
    if (!stopped) await session.stop();
    await cluster.stop();
  }
}

main().catch(err => {
  console.error(err);
  process.exitCode = 1;
});
