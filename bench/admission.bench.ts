/**
 * Admission latency of pod creation through a real local API server, in the same run on the same
 * cluster:
 * - "with webhooks": N pods created one at a time in an injection-enabled namespace with the
 *   module's webhooks as built;
 * - "no matchConditions": the same, with the validating webhook's matchConditions removed (how it
 *   was registered before: every injected pod also went through the validating webhook);
 * - "without (module running)": the module still running (`rig dev`: admission, watches and
 *   the xDS server in one process), its webhook configurations emptied;
 * - "with webhooks, as deployed": the admission process alone, as the admission Deployment of
 *   `npx pepr deploy` runs it (no watches, no xDS server: the watcher runs in other pods), in
 *   rounds with its webhook configurations emptied ("without (admission running)");
 * - "without": the module stopped and its webhooks removed (`session.stop()`);
 * - "without, pod as injected": no webhooks, posting the pod the module injected as it is (what
 *   a pod of that size costs the API server itself), in rounds with "without";
 * - "instant webhook, no patch" / "instant webhook, Rigging's patch": a webhook that does no work
 *   (bench/instant-webhook.ts) answering at once with nothing, or with the JSON patch Pepr sends
 *   for Rigging's injection of this pod, in rounds with "without (instant webhook)": the floor
 *   under any injector on this API server, so that what Rigging's own process adds (as deployed,
 *   over the floor with its patch) is told apart from what the call and the larger pod cost;
 * - "istiod's injector": Istio's own injection webhook (pilot-discovery built from Istio's Go
 *   module, test/harness/istiod.ts, with the injector ConfigMap Istio's chart renders by default)
 *   in place of Rigging's, in rounds with "without (istiod running)": the reference for what an
 *   injecting webhook costs on the same API server.
 * The variants of a phase alternate in rounds of ROUND pods, so that the load of a shared machine
 * falls on all alike. Prints p50/p99/mean of each, the ratio to "without" (what admission adds end to
 * end), the mean time of one mutating webhook call as the API server measured it, and the
 * validating webhook calls per pod (both from the API server's metrics).
 * Needs the module built (`npm run build`) and pilot-discovery (`npm run istio:binaries`; without
 * it the istiod rows are left out, and the bench says so). Loopback only.
 * Run: npx tsx bench/admission.bench.ts [pods=200]
 * RIGGING_DEV_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" profiles the module process.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import jsonPatch from "fast-json-patch";
import { runDev } from "../cli/dev/runner";
import { injectPod, type Pod } from "../mesh/inject";
import { defaultInjectionValues, defaultMeshSettings } from "../mesh/inject/settings";
import { startTestCluster, type LocalCluster } from "../test/harness/cluster";
import { istioInjectorConfig } from "../test/harness/istio-injector-config";
import { pilotDiscoveryBinary, startIstiod, type IstiodInjector } from "../test/harness/istiod";
import { repoRoot } from "../test/harness/shared";
import { startInstantWebhook, type PatchFor } from "./instant-webhook";

const N = Number(process.argv[2] ?? 200);
const WARMUP = 10;
const ROUND = 25;
const NS = "bench";

interface StoredPod {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: { initContainers?: { name: string }[]; containers?: { name: string }[] };
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
  if (res.status !== 201) {
    const reason = (res.body as { message?: string } | undefined)?.message ?? "";
    throw new Error(`POST pod ${name}: HTTP ${res.status} ${reason}`);
  }
  return res.body as StoredPod;
}

/** Injected by Rigging or istiod: istio-proxy as a native sidecar, or as a plain container. */
const hasSidecar = (p: StoredPod) =>
  [...(p.spec.initContainers ?? []), ...(p.spec.containers ?? [])].some(
    c => c.name === "istio-proxy",
  );

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
  const rows: Row[] = [];
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
    const validating = await riggingConfig(cluster, validatingPath);
    const mutating = await riggingConfig(cluster, mutatingPath);
    const unconditional = { ...validating, webhooks: validating.webhooks.map(stripConditions) };
    await timeCreates(cluster, "warm-with", WARMUP);
    log("phase 1: the module running; its webhooks as built, without matchConditions, and none");
    const withHooks = emptyRow("with webhooks");
    const before = emptyRow("no matchConditions");
    const off = emptyRow("without (module running)");
    const variants = [
      { row: before, mutating, validating: unconditional },
      { row: withHooks, mutating, validating },
      { row: off, mutating: noWebhooks(mutating), validating: noWebhooks(validating) },
    ];
    await riggingRounds(cluster, variants);
    if (off.mutating.calls + off.validating.calls > 0) {
      throw new Error("the module's webhooks were called while removed");
    }
    await deletePods(cluster);

    await session.stop();
    stopped = true;
    const deployed = await deployedAdmissionPhase(cluster, log);
    // The API server drops the webhook from its cache shortly after the configuration is deleted.
    for (let i = 0; hasSidecar(await createPod(cluster, `check-without-${i}`)); i++) {
      if (i > 100) throw new Error("pods are still injected after the webhooks were removed");
      await new Promise(r => setTimeout(r, 100));
    }
    await timeCreates(cluster, "warm-without", WARMUP);
    log("phase 2: webhooks removed, the plain pod and the injected pod in rounds");
    const without = emptyRow("without");
    const withoutInjected = emptyRow("without, pod as injected");
    for (let done = 0; done < N; done += ROUND) {
      const n = Math.min(ROUND, N - done);
      without.ms.push(...(await timeCreates(cluster, without.id(done), n)));
      withoutInjected.ms.push(
        ...(await timeCreates(cluster, withoutInjected.id(done), n, asInjected)),
      );
    }
    await deletePods(cluster);
    rows.push(withHooks, before, off, ...deployed, without, withoutInjected);
    rows.push(...(await instantWebhookPhase(cluster, log)));
    rows.push(...(await istiodPhase(cluster, log)));
    printTable(rows, without, injected);
  } finally {
    if (!stopped) await session.stop();
    await cluster.stop();
  }
}

/** One measured variant: its latencies and the mutating/validating calls the API server made. */
interface Row {
  label: string;
  ms: number[];
  mutating: WebhookTime;
  validating: WebhookTime;
  /** A pod name prefix for round `done`, unique to this row. */
  id(done: number): string;
}

function emptyRow(label: string): Row {
  const slug = label.replace(/[^a-z0-9]+/gi, "-").toLowerCase();
  return {
    label,
    ms: [],
    mutating: { calls: 0, seconds: 0 },
    validating: { calls: 0, seconds: 0 },
    id: done => `${slug}-${done}`,
  };
}

/** Runs `create` and adds its latencies and the webhook's calls (by the API server's count). */
async function measure(
  cluster: LocalCluster,
  row: Row,
  webhook: string,
  create: () => Promise<number[]>,
): Promise<void> {
  const start = await webhookTimes(cluster, webhook);
  row.ms.push(...(await create()));
  const end = await webhookTimes(cluster, webhook);
  for (const type of ["mutating", "validating"] as const) {
    row[type].calls += end[type].calls - start[type].calls;
    row[type].seconds += end[type].seconds - start[type].seconds;
  }
}

/** Rigging's webhook configurations for one variant of a phase, and the row it measures. */
interface RiggingVariant {
  row: Row;
  mutating: WebhookConfig;
  validating: WebhookConfig;
}

/** N pods per variant, in rounds of ROUND, each round under its variant's configurations. */
async function riggingRounds(cluster: LocalCluster, variants: RiggingVariant[]): Promise<void> {
  for (let done = 0; done < N; done += ROUND) {
    const n = Math.min(ROUND, N - done);
    for (const variant of variants) {
      await replaceConfig(cluster, mutatingPath, variant.mutating);
      await replaceConfig(cluster, validatingPath, variant.validating);
      await measure(cluster, variant.row, RIGGING_WEBHOOK, () =>
        timeCreates(cluster, variant.row.id(done), n),
      );
    }
  }
}

/**
 * The admission process alone, as `npx pepr deploy` runs it in its own Deployment
 * (PEPR_WATCH_MODE=false: no capability watches, no xDS server, no CA; the watcher runs in other
 * pods, elsewhere in a real cluster), its webhooks as built and emptied, in rounds.
 */
async function deployedAdmissionPhase(
  cluster: LocalCluster,
  log: (line: string) => void,
): Promise<Row[]> {
  log("phase 1b: the admission process alone, as deployed; its webhooks and none, in rounds");
  const session = await runDev({ build: false, role: "admission" });
  try {
    const validating = await riggingConfig(cluster, validatingPath);
    const mutating = await riggingConfig(cluster, mutatingPath);
    const first = await createPod(cluster, "check-deployed");
    if (!hasSidecar(first)) throw new Error("the admission process did not inject the first pod");
    await timeCreates(cluster, "warm-deployed", WARMUP);
    const withHooks = emptyRow("with webhooks, as deployed");
    const off = emptyRow("without (admission running)");
    const variants = [
      { row: withHooks, mutating, validating },
      { row: off, mutating: noWebhooks(mutating), validating: noWebhooks(validating) },
    ];
    await riggingRounds(cluster, variants);
    await deletePods(cluster);
    return [withHooks, off];
  } finally {
    await session.stop();
  }
}

/**
 * The JSON patch Pepr answers with for Rigging's injection of a bench pod (its default
 * settings), worked out once: the diff is positional, so it holds for every bench pod once the
 * name of the pod's own service-account token volume (random per pod) is put in.
 */
function riggingPatch(): PatchFor {
  let cached: { text: string; tokenVolume: RegExp } | undefined;
  return object => {
    const pod = object as Pod;
    const token = tokenVolumeName(pod);
    if (!cached)
      cached = { text: JSON.stringify(diffOfInjection(pod)), tokenVolume: new RegExp(token, "g") };
    return cached.text.replace(cached.tokenVolume, token);
  };
}

const tokenVolumeName = (pod: Pod): string => {
  const volumes = (pod.spec as { volumes?: { name: string }[] } | undefined)?.volumes ?? [];
  const name = volumes.find(v => v.name.startsWith("kube-api-access-"))?.name;
  if (!name) throw new Error("the bench pod has no service-account token volume");
  return name;
};

function diffOfInjection(pod: Pod): unknown[] {
  const namespace = { metadata: { name: NS, labels: { "istio-injection": "enabled" } } };
  const result = injectPod(
    { ...pod, metadata: { ...pod.metadata, namespace: NS } },
    namespace,
    defaultMeshSettings(),
    defaultInjectionValues(),
  );
  if (!result.ok || !result.value.injected) throw new Error("the bench pod was not injected");
  const injected = result.value.pod as Pod;
  // Pepr marks what each capability did in an annotation of its own.
  const marked = {
    ...injected,
    metadata: {
      ...injected.metadata,
      namespace: pod.metadata?.namespace,
      annotations: {
        ...injected.metadata?.annotations,
        "rigging.pepr.dev/sidecar-injection": "succeeded",
      },
    },
  };
  return jsonPatch.compare(pod as object, marked);
}

/**
 * A webhook that does no work, answering with no patch and with Rigging's, in rounds with no
 * webhook: the floor under any injector on this API server.
 */
async function instantWebhookPhase(
  cluster: LocalCluster,
  log: (line: string) => void,
): Promise<Row[]> {
  log("phase 2b: a webhook that answers at once, with no patch and with Rigging's, and none");
  const instant = await startInstantWebhook();
  const withRiggingPatch = riggingPatch();
  const webhook = mutatingWebhook(INSTANT_WEBHOOK, "rigging-bench-instant", {
    url: instant.url,
    caPem: instant.caPem,
  });
  try {
    instant.answerWith(withRiggingPatch);
    await registerWebhook(cluster, webhook);
    const first = await createPod(cluster, "check-instant");
    if (!hasSidecar(first)) throw new Error("the instant webhook's patch did not inject the pod");
    log(`the instant webhook's injected pod: ${JSON.stringify(first).length} bytes of JSON`);
    await timeCreates(cluster, "warm-instant", WARMUP);
    const bare = emptyRow("instant webhook, no patch");
    const patched = emptyRow("instant webhook, Rigging's patch");
    const without = emptyRow("without (instant webhook)");
    for (let done = 0; done < N; done += ROUND) {
      const n = Math.min(ROUND, N - done);
      instant.answerWith(undefined);
      await measure(cluster, bare, INSTANT_WEBHOOK, () => timeCreates(cluster, bare.id(done), n));
      instant.answerWith(withRiggingPatch);
      await measure(cluster, patched, INSTANT_WEBHOOK, () =>
        timeCreates(cluster, patched.id(done), n),
      );
      await removeWebhook(cluster, webhook.metadata.name);
      await measure(cluster, without, INSTANT_WEBHOOK, () =>
        timeCreates(cluster, without.id(done), n),
      );
      if (without.mutating.calls > 0) throw new Error("the instant webhook was still called");
      await registerWebhook(cluster, webhook);
    }
    await removeWebhook(cluster, webhook.metadata.name);
    await deletePods(cluster);
    return [bare, patched, without];
  } finally {
    await instant.stop();
  }
}

/**
 * Istio's own injector on the same cluster and pods, in rounds with the plain pod: the
 * reference for what an injecting webhook costs here. Empty, with a line saying why, when
 * pilot-discovery has not been built.
 */
async function istiodPhase(cluster: LocalCluster, log: (line: string) => void): Promise<Row[]> {
  try {
    pilotDiscoveryBinary();
  } catch (err) {
    log(`istiod's injector left out: ${err instanceof Error ? err.message : String(err)}`);
    return [];
  }
  log("phase 3: istiod's injector and no webhook, in rounds");
  const istiod = await startIstiod({
    kubeconfig: cluster.kubeconfigPath,
    injector: istioInjectorConfig(),
  });
  try {
    await istiod.ready();
    const webhook = mutatingWebhook(ISTIOD_WEBHOOK, ISTIOD_CONFIG, istiod.injector!);
    await registerWebhook(cluster, webhook);
    let first: StoredPod | undefined;
    for (let i = 0; !first || !hasSidecar(first); i++) {
      if (i > 100) throw new Error("istiod's webhook does not inject pods");
      if (first) await new Promise(r => setTimeout(r, 100));
      first = await createPod(cluster, `check-istiod-${i}`);
    }
    await timeCreates(cluster, "warm-istiod", WARMUP);
    const withIstiod = emptyRow("istiod's injector");
    const without = emptyRow("without (istiod running)");
    for (let done = 0; done < N; done += ROUND) {
      const n = Math.min(ROUND, N - done);
      await measure(cluster, withIstiod, ISTIOD_WEBHOOK, () =>
        timeCreates(cluster, withIstiod.id(done), n),
      );
      await removeWebhook(cluster, ISTIOD_CONFIG);
      await measure(cluster, without, ISTIOD_WEBHOOK, () =>
        timeCreates(cluster, without.id(done), n),
      );
      if (without.mutating.calls > 0) throw new Error("istiod's webhook was still called");
      await registerWebhook(cluster, webhook);
    }
    await removeWebhook(cluster, ISTIOD_CONFIG);
    await deletePods(cluster);
    log(`istiod's injected pod: ${JSON.stringify(first).length} bytes of JSON`);
    return [withIstiod, without];
  } finally {
    await istiod.stop();
  }
}

function printTable(rows: Row[], base: Row, injected: StoredPod): void {
  const f = (x: number) => `${x.toFixed(1)} ms`.padStart(10);
  const r = (x: number, y: number) => `${(x / y).toFixed(2)}x`.padStart(13);
  const perCall = (t: WebhookTime) =>
    (t.calls ? `${((1000 * t.seconds) / t.calls).toFixed(1)} ms` : "-").padStart(16);
  const perPod = (t: WebhookTime, n: number) => (t.calls / n).toFixed(2).padStart(16);
  const b = stats(base.ms);
  console.log(`pod creation latency, ${N} pods per phase, sequential, one local API server`);
  console.log(
    `${"".padEnd(30)}${["p50", "p99", "mean", "max"].map(h => h.padStart(10)).join("")}` +
      `${["p50/without", "p99/without"].map(h => h.padStart(13)).join("")}` +
      `${"mutating call".padStart(16)}${"validating/pod".padStart(16)}`,
  );
  for (const row of rows) {
    const a = stats(row.ms);
    console.log(
      `${row.label.padEnd(30)}${f(a.p50)}${f(a.p99)}${f(a.mean)}${f(a.max)}` +
        `${r(a.p50, b.p50)}${r(a.p99, b.p99)}` +
        `${perCall(row.mutating)}${perPod(row.validating, row.ms.length)}`,
    );
  }
  const byLabel = new Map(rows.map(row => [row.label, row]));
  const p50Over = (label: string, baseLabel: string) => {
    const row = byLabel.get(label);
    const base = byLabel.get(baseLabel);
    return row && base ? stats(row.ms).p50 / stats(base.ms).p50 : undefined;
  };
  // Each injecting variant over the rounds without webhooks that ran beside it, with the same
  // processes running: what the webhook adds, with the machine's load the same on both sides.
  const oneProcess = p50Over("with webhooks", "without (module running)");
  const deployed = p50Over("with webhooks, as deployed", "without (admission running)");
  const istiod = p50Over("istiod's injector", "without (istiod running)");
  const x = (v: number | undefined) => (v === undefined ? "-" : `${v.toFixed(2)}x`);
  console.log(
    `p50 over the "without" rounds beside it: Rigging in one process ${x(oneProcess)}, ` +
      `as deployed ${x(deployed)}, istiod ${x(istiod)}` +
      (oneProcess && istiod
        ? `; Rigging/istiod (both one process) ${(oneProcess / istiod).toFixed(2)}`
        : ""),
  );
  // The floor: no injector can be faster than a webhook that does no work with the same patch.
  const bare = p50Over("instant webhook, no patch", "without (instant webhook)");
  const floor = p50Over("instant webhook, Rigging's patch", "without (instant webhook)");
  const p50Of = (label: string) => {
    const row = byLabel.get(label);
    return row ? stats(row.ms).p50 : undefined;
  };
  const deployedP50 = p50Of("with webhooks, as deployed");
  const floorP50 = p50Of("instant webhook, Rigging's patch");
  if (bare !== undefined && floor !== undefined && deployedP50 !== undefined && floorP50) {
    console.log(
      `floor (a webhook that does no work), p50 over the "without" rounds beside it: ` +
        `no patch ${x(bare)}, Rigging's patch ${x(floor)}; Rigging as deployed adds ` +
        `${(deployedP50 - floorP50).toFixed(1)} ms at p50 over the floor with its patch`,
    );
  }
  console.log(`Rigging's injected pod: ${JSON.stringify(injected).length} bytes of JSON`);
}

interface WebhookConfig {
  metadata: { name: string; resourceVersion?: string };
  webhooks: { matchConditions?: unknown[] }[];
}

const admissionApi = "/apis/admissionregistration.k8s.io/v1";
const validatingPath = `${admissionApi}/validatingwebhookconfigurations`;
const mutatingPath = `${admissionApi}/mutatingwebhookconfigurations`;

/** Rigging's webhook configuration of one kind, as `rig dev` registered it. */
async function riggingConfig(cluster: LocalCluster, path: string): Promise<WebhookConfig> {
  const res = await cluster.api("GET", `${path}/pepr-rigging`);
  if (res.status !== 200) throw new Error(`GET ${path}/pepr-rigging: HTTP ${res.status}`);
  return res.body as WebhookConfig;
}

function stripConditions<W extends { matchConditions?: unknown[] }>(webhook: W): W {
  const copy = { ...webhook };
  delete copy.matchConditions;
  return copy;
}

/** The same configuration with no webhook in it: the module runs, the API server calls nothing. */
const noWebhooks = (config: WebhookConfig): WebhookConfig => ({ ...config, webhooks: [] });

/** Replaces a webhook configuration and gives the API server time to reload it. */
async function replaceConfig(
  cluster: LocalCluster,
  path: string,
  config: WebhookConfig,
): Promise<void> {
  const current = await riggingConfig(cluster, path);
  const body = {
    ...config,
    metadata: { ...config.metadata, resourceVersion: current.metadata.resourceVersion },
  };
  const res = await cluster.api("PUT", `${path}/${config.metadata.name}`, body);
  if (res.status !== 200)
    throw new Error(`PUT ${path}/${config.metadata.name}: HTTP ${res.status}`);
  await new Promise(r => setTimeout(r, 1000));
}

interface WebhookTime {
  calls: number;
  seconds: number;
}

const RIGGING_WEBHOOK = "pepr-rigging.pepr.dev";
const ISTIOD_WEBHOOK = "rigging-bench.sidecar-injector.istio.io";
const ISTIOD_CONFIG = "rigging-bench-istiod-injector";
const INSTANT_WEBHOOK = "instant.rigging-bench.dev";

/** Calls the API server has made to a webhook, and the time they took (its own metrics). */
async function webhookTimes(
  cluster: LocalCluster,
  name: string,
): Promise<{ mutating: WebhookTime; validating: WebhookTime }> {
  const res = await cluster.api("GET", "/metrics");
  const lines = String(res.body).split("\n");
  const sum = (series: "count" | "sum", type: string) =>
    lines
      .filter(
        l =>
          l.startsWith(`apiserver_admission_webhook_admission_duration_seconds_${series}{`) &&
          l.includes(`name="${name}"`) &&
          l.includes(`type="${type}"`),
      )
      .reduce((total, l) => total + Number(l.split(" ").pop()), 0);
  const of = (type: string) => ({ calls: sum("count", type), seconds: sum("sum", type) });
  return { mutating: of("admit"), validating: of("validating") };
}

/**
 * A mutating webhook configuration for pods of injection-enabled namespaces, as Istio's chart
 * registers its injector (used for istiod's and for the instant webhook).
 */
function mutatingWebhook(webhookName: string, configName: string, injector: IstiodInjector) {
  return {
    apiVersion: "admissionregistration.k8s.io/v1",
    kind: "MutatingWebhookConfiguration",
    metadata: { name: configName },
    webhooks: [
      {
        name: webhookName,
        clientConfig: {
          url: injector.url,
          caBundle: Buffer.from(injector.caPem).toString("base64"),
        },
        rules: [
          { operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] },
        ],
        namespaceSelector: { matchLabels: { "istio-injection": "enabled" } },
        sideEffects: "None",
        admissionReviewVersions: ["v1beta1", "v1"],
        failurePolicy: "Fail",
        reinvocationPolicy: "Never",
      },
    ],
  };
}

/** Registers the webhook and gives the API server time to load it. */
async function registerWebhook(
  cluster: LocalCluster,
  webhook: ReturnType<typeof mutatingWebhook>,
): Promise<void> {
  const res = await cluster.api("POST", mutatingPath, webhook);
  if (res.status !== 201) throw new Error(`POST ${webhook.metadata.name}: HTTP ${res.status}`);
  await new Promise(r => setTimeout(r, 1000));
}

async function removeWebhook(cluster: LocalCluster, configName: string): Promise<void> {
  const res = await cluster.api("DELETE", `${mutatingPath}/${configName}`);
  if (res.status !== 200) throw new Error(`DELETE ${configName}: HTTP ${res.status}`);
  await new Promise(r => setTimeout(r, 1000));
}

main().catch(err => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
