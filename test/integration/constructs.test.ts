import { App, Chart, Testing } from "cdk8s";
import type { DevSession } from "../../cli/dev/runner";
import { MeshGateway } from "../../constructs";
import { BookinfoChart } from "../../examples/bookinfo-constructs/bookinfo-chart";
import { defaultInjectionValues } from "../../mesh/inject";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import {
  applyOrFail,
  createNamespace,
  defaultServiceAccount,
  eventually,
  getJson,
  kubectlApply,
} from "../harness/kube";
import { startTestModule } from "../harness/module";

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

// What the constructs synthesize is what users apply: the whole bookinfo template goes into a
// real API server with Rigging's webhooks on (CRD schemas, config validation, mesh-required
// namespaces, sidecar injection) and every object is admitted.
describe("the bookinfo constructs template on a real API server", () => {
  let cluster: LocalCluster;
  let session: DevSession;
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    session = await startTestModule();
  });
  afterAll(async () => {
    await session?.stop();
    await cluster?.stop();
  });

  it.each([0, 1, 4])("applies every object at canary step %i", async step => {
    const manifests = Testing.synth(
      new BookinfoChart(new App(), "bookinfo", { canaryStep: step }),
    ) as Manifest[];
    // Namespaces first, as `kubectl apply` of a directory would need them.
    const ordered = [...manifests].sort(
      (a, b) => Number(b.kind === "Namespace") - Number(a.kind === "Namespace"),
    );
    const ns = ordered.filter(m => m.kind === "Namespace");
    const apply = (docs: Manifest[]) => kubectlApply(cluster, docs);
    expect(apply(ns).status).toBe(0);
    // A new namespace's default ServiceAccount comes from the controller-manager a moment later.
    for (const n of ns) await defaultServiceAccount(cluster, n.metadata.name);
    const res = apply(ordered.filter(m => m.kind !== "Namespace"));
    expect({
      status: res.status,
      stderr: res.stderr
        .split("\n")
        .filter(l => !l.startsWith("Warning:"))
        .join("\n"),
    }).toEqual({
      status: 0,
      stderr: "",
    });
    const applied = res.stdout.trim().split("\n");
    expect(applied).toHaveLength(manifests.length - ns.length);
  });

  it("runs a MeshGateway's Deployment as Envoy gateway pods, injected by the webhook", async () => {
    // A namespace without the injection label: the pods' own sidecar.istio.io/inject selects them.
    await createNamespace(cluster, "edge");
    const chart = new Chart(new App(), "edge", { namespace: "edge" });
    new MeshGateway(chart, "gw", { name: "ingress", deployment: { replicas: 2 } });
    applyOrFail(cluster, Testing.synth(chart));
    interface PodView {
      spec: { containers: { name: string; image: string; args?: string[] }[] };
    }
    const pods = await eventually("2 injected gateway pods", async () => {
      const list = await getJson<{ items: PodView[] }>(
        cluster,
        "/api/v1/namespaces/edge/pods?labelSelector=istio%3Dingress",
      );
      return list.items.length === 2 ? list.items : undefined;
    });
    const { hub, tag } = defaultInjectionValues().global;
    for (const p of pods) {
      expect(p.spec.containers.map(c => [c.name, c.image, c.args?.slice(0, 2)])).toEqual([
        ["istio-proxy", `${hub}/proxyv2:${tag}`, ["proxy", "router"]],
      ]);
    }
  });
});
