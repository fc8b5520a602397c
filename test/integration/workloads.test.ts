import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { create, defaultServiceAccount, eventually, getJson } from "../harness/kube";

interface PodList {
  items: Array<{
    metadata: { name: string };
    spec: { nodeName?: string };
    status: { phase?: string; podIP?: string };
  }>;
}
interface SliceList {
  items: Array<{ endpoints?: Array<{ addresses: string[]; targetRef?: { name: string } }> }>;
}

// The pieces the mesh watches must behave as in a real cluster: Deployments become Pods through
// the controller-manager, the scheduler places them on kwok's nodes, kwok gives them IPs, and
// the EndpointSlice controller lists them behind their Service.
describe("a Deployment in the local cluster", () => {
  let cluster: LocalCluster;
  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 2 });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it("becomes Running pods with IPs that the Service's EndpointSlices list", async () => {
    await create(cluster, "/api/v1/namespaces", { metadata: { name: "shop" } });
    await defaultServiceAccount(cluster, "shop");
    await create(cluster, "/apis/apps/v1/namespaces/shop/deployments", {
      metadata: { name: "reviews" },
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: "reviews" } },
        template: {
          metadata: { labels: { app: "reviews" } },
          spec: {
            containers: [
              { name: "reviews", image: "example/reviews:v1", ports: [{ containerPort: 9080 }] },
            ],
          },
        },
      },
    });
    await create(cluster, "/api/v1/namespaces/shop/services", {
      metadata: { name: "reviews" },
      spec: { selector: { app: "reviews" }, ports: [{ name: "http", port: 9080 }] },
    });

    const pods = await eventually("3 Running pods with IPs", async () => {
      const list = await getJson<PodList>(
        cluster,
        "/api/v1/namespaces/shop/pods?labelSelector=app%3Dreviews",
      );
      const running = list.items.filter(p => p.status.phase === "Running" && p.status.podIP);
      return running.length === 3 ? running : undefined;
    });
    for (const pod of pods) {
      expect(pod.spec.nodeName).toMatch(/^kwok-node-\d$/);
      expect(pod.status.podIP).toMatch(/^10\.244\.\d\.\d+$/);
    }
    expect(new Set(pods.map(p => p.status.podIP)).size).toBe(3);

    const sliced = await eventually("EndpointSlices listing every pod", async () => {
      const slices = await getJson<SliceList>(
        cluster,
        "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Dreviews",
      );
      const addresses = slices.items.flatMap(s => (s.endpoints ?? []).flatMap(e => e.addresses));
      return addresses.length === 3 ? addresses : undefined;
    });
    expect([...sliced].sort()).toEqual(pods.map(p => p.status.podIP).sort());
  });
});
