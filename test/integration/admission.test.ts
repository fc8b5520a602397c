import https from "node:https";
import type { DevSession } from "../../cli/dev/runner";
import { startTestModule } from "../harness/module";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import {
  create,
  createNamespace,
  eventually,
  getJson,
  kubectl as runKubectl,
} from "../harness/kube";

interface Container {
  name: string;
  restartPolicy?: string;
}
interface PodView {
  metadata: { name: string; annotations?: Record<string, string> };
  spec: { containers: Container[]; initContainers?: Container[] };
}

// The module running against a real API server: its mutations are what the API server stores,
// and its denials and warnings are what kubectl shows.
describe("the module's admission webhooks on a real API server", () => {
  let cluster: LocalCluster;
  let session: DevSession;
  const kubectl = (args: string[], input?: string) => runKubectl(cluster, args, input);
  const namespace = (name: string, labels: Record<string, string>) =>
    createNamespace(cluster, name, labels);
  const pod = (name: string, annotations: Record<string, string> = {}) => ({
    metadata: { name, labels: { app: name }, annotations },
    spec: {
      containers: [{ name: "app", image: "example/app:1", ports: [{ containerPort: 8080 }] }],
    },
  });
  const names = (cs: Container[] | undefined) => (cs ?? []).map(c => c.name);

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    session = await startTestModule();
    await namespace("meshed", { "istio-injection": "enabled" });
    await namespace("plain", {});
    await namespace("strict", { "istio-injection": "enabled", "rigging.dev/mesh": "required" });
    await namespace("advisory", { "istio-injection": "enabled", "rigging.dev/mesh": "warn" });
  });
  afterAll(async () => {
    await session?.stop();
    await cluster?.stop();
  });

  it("stores a Pod created in an injection-enabled namespace with the sidecar", async () => {
    await create(cluster, "/api/v1/namespaces/meshed/pods", pod("web"));
    const stored = await getJson<PodView>(cluster, "/api/v1/namespaces/meshed/pods/web");
    expect(names(stored.spec.containers)).toEqual(["app"]);
    expect(names(stored.spec.initContainers)).toEqual(["istio-init", "istio-proxy"]);
    expect(stored.spec.initContainers?.[1]?.restartPolicy).toBe("Always");
    const status = JSON.parse(stored.metadata.annotations?.["sidecar.istio.io/status"] ?? "{}");
    expect(status.initContainers).toEqual(["istio-init", "istio-proxy"]);
    expect(status.volumes).toEqual(
      expect.arrayContaining(["istio-envoy", "istio-token", "istiod-ca-cert"]),
    );
  });

  it("leaves pods alone that opt out or live in a namespace without the label", async () => {
    await create(
      cluster,
      "/api/v1/namespaces/meshed/pods",
      pod("opted-out", { "sidecar.istio.io/inject": "false" }),
    );
    await create(cluster, "/api/v1/namespaces/plain/pods", pod("web"));
    for (const path of [
      "/api/v1/namespaces/meshed/pods/opted-out",
      "/api/v1/namespaces/plain/pods/web",
    ]) {
      const stored = await getJson<PodView>(cluster, path);
      expect({
        path,
        init: names(stored.spec.initContainers),
        containers: names(stored.spec.containers),
      }).toEqual({
        path,
        init: [],
        containers: ["app"],
      });
      expect(stored.metadata.annotations?.["sidecar.istio.io/status"]).toBeUndefined();
    }
  });

  // Namespaces come from a watched cache: a label change must reach the next admissions.
  it("follows a namespace's injection label as it is turned on and off", async () => {
    await namespace("switched", {});
    let n = 0;
    const injectedPod = async () => {
      const name = `pod-${n++}`;
      await create(cluster, "/api/v1/namespaces/switched/pods", pod(name));
      const stored = await getJson<PodView>(cluster, `/api/v1/namespaces/switched/pods/${name}`);
      return names(stored.spec.initContainers).includes("istio-proxy");
    };
    expect(await injectedPod()).toBe(false);
    for (const [value, want] of [
      ["enabled", true],
      ["disabled", false],
    ] as const) {
      kubectl(["label", "namespace", "switched", `istio-injection=${value}`, "--overwrite"]);
      await eventually(`pods injected: ${want}`, async () =>
        (await injectedPod()) === want ? true : undefined,
      );
    }
  });

  it("does not inject twice when an injected pod is applied again", async () => {
    const first = await getJson<PodView & { metadata: Record<string, unknown> }>(
      cluster,
      "/api/v1/namespaces/meshed/pods/web",
    );
    const { spec, metadata } = first;
    const again = {
      metadata: { name: "web-again", labels: metadata.labels, annotations: metadata.annotations },
      spec,
    };
    await create(cluster, "/api/v1/namespaces/meshed/pods", again);
    const stored = await getJson<PodView>(cluster, "/api/v1/namespaces/meshed/pods/web-again");
    expect(names(stored.spec.initContainers)).toEqual(["istio-init", "istio-proxy"]);
    expect(names(stored.spec.containers)).toEqual(["app"]);
  });

  it("gives a Deployment's pods, made by the controller-manager, the sidecar", async () => {
    await create(cluster, "/apis/apps/v1/namespaces/meshed/deployments", {
      metadata: { name: "reviews" },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "reviews" } },
        template: pod("reviews"),
      },
    });
    const pods = await eventually("2 reviews pods", async () => {
      const list = await getJson<{ items: PodView[] }>(
        cluster,
        "/api/v1/namespaces/meshed/pods?labelSelector=app%3Dreviews",
      );
      return list.items.length === 2 ? list.items : undefined;
    });
    for (const p of pods)
      expect(names(p.spec.initContainers)).toEqual(["istio-init", "istio-proxy"]);
  });

  it("refuses a pod with a malformed injection annotation, naming the annotation", () => {
    const res = kubectl(
      ["apply", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: "bad-cpu",
          namespace: "meshed",
          annotations: { "sidecar.istio.io/proxyCPU": "lots" },
        },
        spec: pod("bad-cpu").spec,
      }),
    );
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(
      "denied the request: Pod meshed/bad-cpu: metadata.annotations[\"sidecar.istio.io/proxyCPU\"]: invalid value 'lots'",
    );
  });

  it("refuses an opted-out Deployment in a mesh-required namespace, with the reason and the fix", () => {
    const res = kubectl(
      ["apply", "-f", "-"],
      deployment("legacy", "strict", { "sidecar.istio.io/inject": "false" }),
    );
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(
      'admission webhook "pepr-rigging.pepr.dev" denied the request: Deployment strict/legacy: ' +
        'spec.template.metadata.annotations["sidecar.istio.io/inject"]: is "false", which opts the pod out of ' +
        'sidecar injection, but namespace strict requires the mesh (rigging.dev/mesh=required); remove the annotation or set it to "true"',
    );
  });

  it("admits the same Deployment in a mesh=warn namespace with a warning kubectl prints", () => {
    const res = kubectl(
      ["apply", "-f", "-"],
      deployment("legacy", "advisory", { "sidecar.istio.io/inject": "false" }),
    );
    expect(res.status).toBe(0);
    expect(res.stdout).toContain("deployment.apps/legacy created");
    expect(res.stderr).toContain(
      'Warning: Deployment advisory/legacy: spec.template.metadata.annotations["sidecar.istio.io/inject"]',
    );
  });

  // The validating webhook's matchConditions (mesh/admission/validation-match-conditions.ts),
  // evaluated by the real API server: calls it has made to the webhook, from its own metrics.
  const validatingCalls = async () => {
    const text = String((await cluster.api("GET", "/metrics")).body);
    return text
      .split("\n")
      .filter(
        l =>
          l.startsWith("apiserver_admission_webhook_admission_duration_seconds_count{") &&
          l.includes('name="pepr-rigging.pepr.dev"') &&
          l.includes('type="validating"'),
      )
      .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
  };

  // The API server counts every validating call, whatever the object: the module's own writes
  // (a namespace's root ConfigMap) may land in the same window. So each side is measured over
  // several pods: one call per pod, or none, cannot hide behind one stray call.
  const PODS = 5;

  it("does not send a pod the mutating webhook injected to the validating webhook", async () => {
    const before = await validatingCalls();
    for (let i = 0; i < PODS; i++) {
      await create(cluster, "/api/v1/namespaces/strict/pods", pod(`injected-once-${i}`));
      const stored = await getJson<PodView>(
        cluster,
        `/api/v1/namespaces/strict/pods/injected-once-${i}`,
      );
      expect(names(stored.spec.initContainers)).toEqual(["istio-init", "istio-proxy"]);
    }
    expect(await validatingCalls()).toBeLessThan(before + PODS);
    // A pod that is not injected still goes to the validating webhook.
    const notInjected = await validatingCalls();
    for (let i = 0; i < PODS; i++) {
      await create(cluster, "/api/v1/namespaces/plain/pods", pod(`not-injected-${i}`));
    }
    expect(await validatingCalls()).toBeGreaterThanOrEqual(notInjected + PODS);
  });

  it("still refuses an opted-out pod in a mesh-required namespace that carries Istio's status annotation", async () => {
    const status = { "sidecar.istio.io/status": "{}" };
    const optedOut = pod("fake-status", { ...status, "sidecar.istio.io/inject": "false" });
    const hostNet = pod("fake-status-host", status);
    const hostNetwork = { ...hostNet, spec: { ...hostNet.spec, hostNetwork: true } };
    const labelledPod = pod("fake-status-label", status);
    const labelled = {
      ...labelledPod,
      metadata: {
        ...labelledPod.metadata,
        labels: { ...labelledPod.metadata.labels, "sidecar.istio.io/inject": "False" },
      },
    };
    for (const [obj, path] of [
      [optedOut, 'metadata.annotations["sidecar.istio.io/inject"]'],
      [hostNetwork, "spec.hostNetwork"],
      [labelled, 'metadata.labels["sidecar.istio.io/inject"]'],
    ] as const) {
      const res = await cluster.api("POST", "/api/v1/namespaces/strict/pods", obj);
      expect({
        name: obj.metadata.name,
        created: res.status === 201,
        message: (res.body as { message?: string }).message,
      }).toEqual({
        name: obj.metadata.name,
        created: false,
        message: expect.stringContaining(`Pod strict/${obj.metadata.name}: ${path}:`),
      });
    }
  });

  // The API server reuses an idle webhook connection for up to 90 s; Node's server closed it
  // after 5 s, and a call sent as it closed failed the user's apply ("connection reset by peer").
  it("keeps an idle connection from a webhook client open past Node's 5 s", async () => {
    // The module's serving certificate is from rig dev's own CA: this checks the connection's
    // reuse, not its trust, on loopback.
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1, rejectUnauthorized: false });
    const healthz = () =>
      new Promise<boolean>((resolve, reject) => {
        const req = https.get(
          { host: "127.0.0.1", port: session.port, path: "/healthz", agent },
          res => {
            res.resume();
            res.on("end", () => resolve(req.reusedSocket));
          },
        );
        req.on("error", reject);
      });
    try {
      expect(await healthz()).toBe(false);
      await new Promise(r => setTimeout(r, 6_000));
      expect(await healthz()).toBe(true);
    } finally {
      agent.destroy();
    }
  });

  it("removes its webhook configurations when stopped", async () => {
    await session.stop();
    for (const name of session.webhookNames) {
      const [kind, objName] = name.split("/");
      const path = `/apis/admissionregistration.k8s.io/v1/${kind === "MutatingWebhookConfiguration" ? "mutating" : "validating"}webhookconfigurations/${objName}`;
      expect({ name, status: (await cluster.api("GET", path)).status }).toEqual({
        name,
        status: 404,
      });
    }
    // Without Rigging, the API server applies no mesh rule: the refused Deployment now goes in.
    const res = kubectl(
      ["apply", "-f", "-"],
      deployment("legacy", "strict", { "sidecar.istio.io/inject": "false" }),
    );
    expect(res.status).toBe(0);
  });

  function deployment(name: string, ns: string, annotations: Record<string, string>): string {
    return JSON.stringify({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: ns },
      spec: { selector: { matchLabels: { app: name } }, template: pod(name, annotations) },
    });
  }
});
