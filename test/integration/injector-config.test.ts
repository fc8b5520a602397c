/**
 * The injector follows Istio's injection ConfigMaps on a real API server, without a restart:
 * `istio-sidecar-injector` (values: hub and tag; config: policy) and the `istio` mesh config's
 * `defaultConfig` reach the next pod created; a malformed value is refused (the module's log
 * names the ConfigMap, the field path and the rule, and `/metrics` counts it) while new pods keep
 * the previous settings. `rig kube-inject` given the same texts as files renders the same sidecar,
 * and `rig check-inject` reads the same policy.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DevSession } from "../../cli/dev/runner";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import {
  applyOrFail,
  create,
  createNamespace,
  eventually,
  getJson,
  kubectl,
} from "../harness/kube";
import { startTestModule } from "../harness/module";
import { repoRoot } from "../harness/shared";

interface Container {
  name: string;
  image?: string;
  env?: { name: string; value?: string }[];
}
interface PodView {
  spec: { containers: Container[]; initContainers?: Container[] };
}

const VALUES = JSON.stringify({ global: { hub: "example.com/mesh", tag: "1.31.1" } });
const BAD_VALUES = JSON.stringify({
  global: { hub: "example.com/mesh", tag: "1.32.0", proxy: { statusPort: "abc" } },
});
const MESH =
  "defaultConfig:\n  holdApplicationUntilProxyStarts: true\n  proxyMetadata: {FOO: bar}\n";

const configMap = (name: string, data: Record<string, string>) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name, namespace: "istio-system" },
  data,
});

/** The module's Prometheus text from its admission server's /metrics (loopback, its own cert). */
function metrics(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path: "/metrics", rejectUnauthorized: false },
      res => {
        let body = "";
        res.setEncoding("utf8");
        res.on("data", c => (body += c));
        res.on("end", () => resolve(body));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("the injector follows the injection ConfigMaps without a restart", () => {
  let cluster: LocalCluster;
  let session: DevSession;
  let dir: string;
  const moduleLines: string[] = [];
  let serial = 0;
  const figures: string[] = [];

  /** Creates a new pod in `meshed` and returns its stored istio-proxy container. */
  async function newProxy(): Promise<Container | undefined> {
    const name = `web-${++serial}`;
    await create(cluster, "/api/v1/namespaces/meshed/pods", {
      metadata: { name, labels: { app: "web" } },
      spec: { containers: [{ name: "app", image: "example/app:1" }] },
    });
    const stored = await getJson<PodView>(cluster, `/api/v1/namespaces/meshed/pods/${name}`);
    return stored.spec.initContainers?.find(c => c.name === "istio-proxy");
  }

  /** Applies `docs` and creates new pods until one passes `test`; returns the milliseconds taken. */
  async function untilNewPod(docs: unknown[], test: (proxy: Container | undefined) => boolean) {
    const started = performance.now();
    applyOrFail(cluster, docs);
    const applied = performance.now();
    await eventually("a new pod with the new settings", async () =>
      test(await newProxy()) ? true : undefined,
    );
    return { total: performance.now() - started, afterApply: performance.now() - applied };
  }

  const envOf = (c: Container | undefined) =>
    Object.fromEntries((c?.env ?? []).map(e => [e.name, e.value]));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "rigging-injector-config-"));
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    session = await startTestModule({ moduleLog: line => moduleLines.push(line) });
    await createNamespace(cluster, "meshed", { "istio-injection": "enabled" });
    await createNamespace(cluster, "istio-system");
    await createNamespace(cluster, "plain");
  });
  afterAll(async () => {
    await session?.stop();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (figures.length) console.log(figures.join("\n"));
  });

  it("injects the pinned proxyv2 when no ConfigMap says otherwise", async () => {
    expect((await newProxy())?.image).toBe("docker.io/istio/proxyv2:1.31.0");
  });

  it("gives a new pod the hub and tag of istio-sidecar-injector's values", async () => {
    const pid = session.child.pid;
    const took = await untilNewPod(
      [configMap("istio-sidecar-injector", { values: VALUES })],
      p => p?.image === "example.com/mesh/proxyv2:1.31.1",
    );
    figures.push(
      `istio-sidecar-injector values → new pod with the new image: ${took.afterApply.toFixed(0)} ms after kubectl apply returned (${took.total.toFixed(0)} ms including apply)`,
    );
    // The same module process, never restarted.
    expect(session.child.pid).toBe(pid);
    expect(session.child.exitCode).toBeNull();
  });

  it("refuses a malformed value, says where, and keeps the previous image for new pods", async () => {
    applyOrFail(cluster, [configMap("istio-sidecar-injector", { values: BAD_VALUES })]);
    const refusal = await eventually("the module's refusal in its log", async () => {
      const line = moduleLines.find(l => l.includes("injection config refused"));
      return line === undefined ? undefined : (JSON.parse(line) as Record<string, unknown>);
    });
    expect(refusal).toMatchObject({
      configMap: "istio-system/istio-sidecar-injector",
      errors: [
        'ConfigMap istio-system/istio-sidecar-injector: data.values: global.proxy.statusPort: must be a port number 0-65535, got "abc"',
      ],
    });
    expect((await newProxy())?.image).toBe("example.com/mesh/proxyv2:1.31.1");
    const text = await metrics(session.port);
    expect(text).toMatch(
      /rigging_injector_config_loads_total\{configmap="istio-system\/istio-sidecar-injector",result="rejected"\} [1-9]/,
    );
  });

  it("gives a new pod the istio ConfigMap's meshConfig.defaultConfig", async () => {
    const took = await untilNewPod(
      [configMap("istio", { mesh: MESH })],
      p => envOf(p).FOO === "bar",
    );
    figures.push(
      `istio mesh defaultConfig → new pod with it: ${took.afterApply.toFixed(0)} ms after kubectl apply returned`,
    );
    const env = envOf(await newProxy());
    expect(JSON.parse(env.PROXY_CONFIG ?? "")).toEqual({
      holdApplicationUntilProxyStarts: true,
      proxyMetadata: { FOO: "bar" },
    });
  });

  it("renders with rig kube-inject, given the same texts as files, the sidecar the webhook did", async () => {
    applyOrFail(cluster, [configMap("istio-sidecar-injector", { values: VALUES })]);
    await eventually("the good values back in force", async () =>
      (await newProxy())?.image === "example.com/mesh/proxyv2:1.31.1" ? true : undefined,
    );
    const twin = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "twin", labels: { app: "twin" } },
      spec: { containers: [{ name: "app", image: "example/app:1" }] },
    };
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text);
      return join(dir, name);
    };
    const args = ["kube-inject", "-f", write("twin.json", JSON.stringify(twin)), "-n", "meshed"];
    args.push("--valuesFile", write("values.json", VALUES));
    args.push("--meshConfigFile", write("mesh.yaml", MESH));
    const r = spawnSync(process.execPath, [join(repoRoot, "bin", "rig.cjs"), ...args], {
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    // The webhook injects the twin in `meshed`; the hand-injected one is stored in `plain`,
    // where nothing injects, so both are what the API server keeps of each sidecar.
    await create(cluster, "/api/v1/namespaces/meshed/pods", twin);
    const created = kubectl(cluster, ["create", "-n", "plain", "-f", "-"], r.stdout);
    expect(created.stderr).toBe("");
    const proxyIn = async (ns: string) =>
      (
        await getJson<PodView>(cluster, `/api/v1/namespaces/${ns}/pods/twin`)
      ).spec.initContainers?.find(c => c.name === "istio-proxy");
    const byWebhook = await proxyIn("meshed");
    expect(byWebhook?.image).toBe("example.com/mesh/proxyv2:1.31.1");
    // The ServiceAccount admission plugin names each pod's token volume with a random suffix.
    const neutral = (c: Container | undefined) =>
      JSON.parse(JSON.stringify(c).replace(/"kube-api-access-[a-z0-9]{5}"/g, '"kube-api-access"'));
    expect(neutral(await proxyIn("plain"))).toEqual(neutral(byWebhook));
  });

  it("follows the config's policy: disabled injects only pods that ask", async () => {
    await untilNewPod(
      [configMap("istio-sidecar-injector", { values: VALUES, config: "policy: disabled\n" })],
      p => p === undefined,
    );
    await create(cluster, "/api/v1/namespaces/meshed/pods", {
      metadata: { name: "asks", labels: { "sidecar.istio.io/inject": "true" } },
      spec: { containers: [{ name: "app", image: "example/app:1" }] },
    });
    const asks = await getJson<PodView>(cluster, "/api/v1/namespaces/meshed/pods/asks");
    expect(asks.spec.initContainers?.map(c => c.name)).toEqual(["istio-init", "istio-proxy"]);
    // rig check-inject reads the same ConfigMap, so it predicts what the webhook just did.
    const r = spawnSync(
      process.execPath,
      [join(repoRoot, "bin", "rig.cjs"), "check-inject", "-n", "meshed"],
      { encoding: "utf8", env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath } },
    );
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/meshed\s+\(new pod\)\s+no\s+no\s+policy-disabled/);
  });
});
