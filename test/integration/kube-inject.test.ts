import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DevSession } from "../../cli/dev/runner";
import { startTestModule } from "../harness/module";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { create, createNamespace, getJson, kubectl as runKubectl } from "../harness/kube";
import { repoRoot } from "../harness/shared";

type Tree = Record<string, unknown>;
interface PodView {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { containers: { name: string }[]; initContainers?: { name: string }[] };
}

/** Runs the real `rig` CLI against the test cluster. */
function rig(cluster: LocalCluster, args: string[], input?: string) {
  return spawnSync(process.execPath, [join(repoRoot, "bin", "rig.cjs"), ...args], {
    input,
    encoding: "utf8",
    env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath },
  });
}

// What differs between two pods only because the API server stored them at different times, in
// different namespaces: identity, bookkeeping, status, and the random suffix of the
// service-account token volume the ServiceAccount admission plugin adds.
function serverNeutral(pod: Tree): unknown {
  const copy = structuredClone(pod) as Tree & { metadata: Tree };
  for (const k of ["uid", "resourceVersion", "creationTimestamp", "managedFields", "namespace"]) {
    delete copy.metadata[k];
  }
  delete copy.status;
  return JSON.parse(
    JSON.stringify(copy).replace(/"kube-api-access-[a-z0-9]{5}"/g, '"kube-api-access"'),
  );
}

// `rig kube-inject` must give what the webhook gives: the same Pod, injected by hand and applied
// where the webhook does not inject, is stored exactly as the webhook stores it where it does.
// `rig check-inject` must predict what the webhook does.
describe("rig kube-inject and rig check-inject against the module on a real API server", () => {
  let cluster: LocalCluster;
  let session: DevSession;
  let dir: string;
  const namespace = (name: string, labels: Record<string, string>) =>
    createNamespace(cluster, name, labels);
  const kubectl = (args: string[], input?: string) => runKubectl(cluster, args, input);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "rigging-kube-inject-"));
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    session = await startTestModule();
    await namespace("meshed", { "istio-injection": "enabled" });
    await namespace("plain", {});
    await namespace("off", { "istio-injection": "disabled" });
  });
  afterAll(async () => {
    await session?.stop();
    await cluster?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("prints a Pod that the API server stores exactly as the webhook's injection of it", async () => {
    const pod = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "web",
        labels: { app: "web", version: "v1" },
        annotations: { "sidecar.istio.io/proxyCPU": "50m" },
      },
      spec: {
        containers: [
          {
            name: "app",
            image: "example/web:1",
            ports: [{ containerPort: 8080 }],
            readinessProbe: { httpGet: { path: "/ready", port: 8080 } },
          },
        ],
      },
    };
    const file = join(dir, "web.yaml");
    writeFileSync(file, JSON.stringify(pod));
    // -n meshed: the sidecar is told its workload lives where the webhook sees it.
    const injected = rig(cluster, ["kube-inject", "-f", file, "-n", "meshed"]);
    expect(injected.stderr).toBe("");
    expect(injected.status).toBe(0);
    expect(injected.stdout).toContain("istio-proxy");

    await create(cluster, "/api/v1/namespaces/meshed/pods", pod);
    const created = kubectl(["create", "-n", "plain", "-f", "-"], injected.stdout);
    expect(created.stderr).toBe("");
    expect(created.status).toBe(0);

    const byWebhook = await getJson<Tree>(cluster, "/api/v1/namespaces/meshed/pods/web");
    const byHand = await getJson<Tree>(cluster, "/api/v1/namespaces/plain/pods/web");
    const initNames = (p: Tree) =>
      ((p as unknown as PodView).spec.initContainers ?? []).map(c => c.name);
    // Both carry one sidecar: the webhook injected one, and left the hand-injected one alone.
    expect(initNames(byWebhook)).toEqual(["istio-init", "istio-proxy"]);
    expect(initNames(byHand)).toEqual(["istio-init", "istio-proxy"]);
    expect(serverNeutral(byHand)).toEqual(serverNeutral(byWebhook));
  });

  it("refuses a malformed injection annotation, naming it, with nothing on stdout", () => {
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      [
        "apiVersion: v1\nkind: Service\nmetadata: {name: web}\n",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  template:\n" +
          "    metadata: {annotations: {sidecar.istio.io/proxyMemory: plenty}}\n" +
          "    spec: {containers: [{name: app, image: app}]}\n",
      ].join("---\n"),
    );
    const r = rig(cluster, ["kube-inject", "-f", file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(
      /document 2: Deployment web: spec\.template\.metadata\.annotations\["sidecar\.istio\.io\/proxyMemory"\]: .*'plenty'/,
    );
    const missing = rig(cluster, ["kube-inject", "-f", join(dir, "missing.yaml")]);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toBe("");
    expect(missing.stderr).toContain("cannot read");
  });

  it("says a new pod in an injection-enabled namespace is injected, because of its label", () => {
    const r = rig(cluster, ["check-inject", "-n", "meshed"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const [header, row] = r.stdout.trimEnd().split("\n");
    expect(header).toMatch(/^NAMESPACE\s+POD\s+INJECT\s+SIDECAR\s+REASON\s+DECIDED BY$/);
    expect(row).toMatch(
      /^meshed\s+\(new pod\)\s+yes\s+no\s+namespace-label\s+.*istio-injection=enabled/,
    );
  });

  it("says a new pod in a disabled namespace is not injected", () => {
    const r = rig(cluster, ["check-inject", "-n", "off", "-o", "json"]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({
      namespace: "off",
      inject: false,
      reason: "no-selector-matched",
    });
  });

  it("says a pod annotated sidecar.istio.io/inject=false is not injected, as the webhook did", async () => {
    await create(cluster, "/api/v1/namespaces/meshed/pods", {
      metadata: { name: "opted-out", annotations: { "sidecar.istio.io/inject": "false" } },
      spec: { containers: [{ name: "app", image: "example/app:1" }] },
    });
    const stored = await getJson<PodView>(cluster, "/api/v1/namespaces/meshed/pods/opted-out");
    expect(stored.spec.initContainers ?? []).toEqual([]);

    const r = rig(cluster, ["check-inject", "opted-out", "-n", "meshed", "-o", "json"]);
    expect(r.status).toBe(1);
    const check = JSON.parse(r.stdout) as { message: string };
    expect(check).toMatchObject({ pod: "opted-out", inject: false, reason: "pod-opt-out" });
    expect(check.message).toContain("annotation sidecar.istio.io/inject=false");
  });

  it("says the webhook-injected pod carries a sidecar and would get one again", () => {
    const r = rig(cluster, ["check-inject", "web", "-n", "meshed", "-o", "json"]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ pod: "web", inject: true, hasSidecar: true });
  });

  it("fails with a message and no output for a namespace that does not exist", () => {
    const r = rig(cluster, ["check-inject", "-n", "nowhere"]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("namespace nowhere not found");
  });
});
