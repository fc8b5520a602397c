import { App, Testing } from "cdk8s";
import type { DevSession } from "../../cli/dev/runner";
import { BookinfoChart } from "../../examples/bookinfo-constructs/bookinfo-chart";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { defaultServiceAccount, kubectlApply } from "../harness/kube";
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
});
