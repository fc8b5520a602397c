import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { installIstioCrds } from "../../capabilities/istio-crds";
import { nodeCaDeps } from "../../ca/server/node-crypto";
import { applyControlPlaneServices } from "../../control-plane/apply-services";
import { kubernetesCaSecretStore } from "../../control-plane/ca-secrets";
import { MeshCa } from "../../control-plane/mesh-ca";
import { LeaderElector } from "../../control-plane/leader-elector";
import { kubernetesLeaseStore } from "../../control-plane/lease-store";
import {
  kubernetesRootCertWriter,
  RootCertPublisher,
} from "../../control-plane/root-cert-configmaps";
import { ISTIO_DEFAULT_DISCOVERY_ADDRESS } from "../../mesh/inject/settings";
import { recordingLogger } from "../control-plane/fakes";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import {
  create,
  createNamespace,
  eventually,
  getJson,
  kubectl as runKubectl,
} from "../harness/kube";
import { repoRoot } from "../harness/shared";

interface Port {
  name?: string;
  port: number;
  targetPort?: number | string;
  containerPort?: number;
}
interface ServiceView {
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: {
    type?: string;
    externalName?: string;
    selector?: Record<string, string>;
    ports?: Port[];
  };
}
interface Container {
  name: string;
  ports?: Port[];
  env?: Array<{ name: string; value?: string }>;
  args?: string[];
  readinessProbe?: { httpGet?: { path: string; port: number } };
}
interface ContainerLimits {
  resources?: { limits?: { memory?: string } };
}
interface PodView {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { containers: Container[]; initContainers?: Container[] };
}
interface List<T> {
  items: T[];
}

const manifestPath = join(repoRoot, "dist", "pepr-module-rigging.yaml");

// The manifests `npm run build` writes (pepr build, then scripts/post-build.ts), applied to a real
// API server as a user would (`kubectl apply --server-side -f dist/pepr-module-rigging.yaml`) and read back.
// Pods on kwok's nodes do not run, so this checks the objects the Services and the injected
// sidecars resolve through, not traffic: the controller-manager's EndpointSlices are the proof
// that the Service's selector and target ports meet the watcher pods' labels and ports.
describe("the deployed manifests: a Service in front of the control plane", () => {
  let cluster: LocalCluster;
  const kubectl = (args: string[], input?: string) => runKubectl(cluster, args, input);
  const rig = (args: string[], input?: string) =>
    spawnSync(process.execPath, [join(repoRoot, "bin", "rig.cjs"), ...args], {
      input,
      encoding: "utf8",
      env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath },
    });

  beforeAll(async () => {
    if (!existsSync(manifestPath) || !readFileSync(manifestPath, "utf8").includes("name: rigging"))
      throw new Error(`${manifestPath}: missing or not post-processed; run \`npm run build\``);
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    // Server-side, as a user must: client-side apply stores the whole module Secret in the
    // last-applied annotation, which the API server refuses (over 256 KiB).
    const applied = kubectl(["apply", "--server-side", "-f", manifestPath]);
    if (applied.status !== 0) throw new Error(`kubectl apply: ${applied.stderr}`);
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  const watcherPods = async () => {
    const service = await getJson<ServiceView>(
      cluster,
      "/api/v1/namespaces/pepr-system/services/rigging",
    );
    const selector = Object.entries(service.spec.selector ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(",");
    return getJson<List<PodView>>(
      cluster,
      `/api/v1/namespaces/pepr-system/pods?labelSelector=${encodeURIComponent(selector)}`,
    );
  };

  it("applies cleanly and declares the watcher's xDS ports and its /ready probe", async () => {
    const watcher = await getJson<{ spec: { template: PodView } }>(
      cluster,
      "/apis/apps/v1/namespaces/pepr-system/deployments/pepr-rigging-watcher",
    );
    const container = watcher.spec.template.spec.containers.find(c => c.name === "watcher")!;
    expect(container.ports?.map(p => p.containerPort)).toEqual([3000, 15010, 15012, 8080]);
    expect(container.readinessProbe?.httpGet).toMatchObject({ path: "/ready", port: 8080 });
  });

  // V8 sizes its heap from the memory it sees, about the container's limit, and collects
  // lazily below it: without a cap under the limit, garbage alone can get the pod OOM-killed.
  it("caps each process's heap well under its container's memory limit", async () => {
    const mebibytes = (quantity: string) => {
      const m = /^(\d+)(Mi|Gi)$/.exec(quantity);
      if (!m) throw new Error(`memory limit "${quantity}": expected Mi or Gi`);
      return Number(m[1]) * (m[2] === "Gi" ? 1024 : 1);
    };
    for (const [name, containerName] of [
      ["pepr-rigging-watcher", "watcher"],
      ["pepr-rigging", "server"],
    ]) {
      const deployment = await getJson<{
        spec: { template: { spec: { containers: (Container & ContainerLimits)[] } } };
      }>(cluster, `/apis/apps/v1/namespaces/pepr-system/deployments/${name}`);
      const container = deployment.spec.template.spec.containers.find(
        c => c.name === containerName,
      )!;
      const options = container.env?.find(e => e.name === "NODE_OPTIONS")?.value ?? "";
      const cap = /--max-old-space-size=(\d+)/.exec(options);
      expect({ name, cap: cap?.[0] }).toEqual({ name, cap: expect.any(String) });
      const limit = mebibytes(container.resources?.limits?.memory ?? "");
      expect(Number(cap![1])).toBeLessThanOrEqual(limit * 0.7);
    }
  });

  it("runs the control plane as two rolling replicas, under a disruption budget and an autoscaler the controllers act on", async () => {
    const watcher = await getJson<{ spec: { replicas: number; strategy: unknown } }>(
      cluster,
      "/apis/apps/v1/namespaces/pepr-system/deployments/pepr-rigging-watcher",
    );
    expect(watcher.spec.replicas).toBe(2);
    expect(watcher.spec.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    // The disruption controller resolves the budget's selector to the Deployment's pods.
    const pdb = await eventually("the PodDisruptionBudget's status", async () => {
      const got = await getJson<{ status?: { expectedPods?: number } }>(
        cluster,
        "/apis/policy/v1/namespaces/pepr-system/poddisruptionbudgets/pepr-rigging-watcher",
      );
      return got.status?.expectedPods === 2 ? got : undefined;
    });
    expect(pdb.status?.expectedPods).toBe(2);
    // The autoscaler controller reaches the Deployment's scale (there is no metrics server here,
    // so it cannot read CPU; that is its ScalingActive condition, not this one).
    const hpa = await eventually(
      "the autoscaler's AbleToScale condition",
      async () => {
        const got = await getJson<{
          status?: { conditions?: Array<{ type: string; status: string; reason: string }> };
        }>(
          cluster,
          "/apis/autoscaling/v2/namespaces/pepr-system/horizontalpodautoscalers/pepr-rigging-watcher",
        );
        return got.status?.conditions?.find(c => c.type === "AbleToScale");
      },
      90_000,
    );
    expect(hpa).toMatchObject({ status: "True", reason: "SucceededGetScale" });
  });

  it("selects exactly the watcher pods, and each Service port targets a port they declare", async () => {
    const pods = await eventually("the watcher pods (two replicas)", async () => {
      const list = await watcherPods();
      return list.items.length === 2 ? list : undefined;
    });
    expect(pods.items.map(p => p.metadata.labels?.["pepr.dev/controller"])).toEqual([
      "watcher",
      "watcher",
    ]);
    const service = await getJson<ServiceView>(
      cluster,
      "/api/v1/namespaces/pepr-system/services/rigging",
    );
    const declared = pods.items[0]!.spec.containers.flatMap(c => c.ports ?? []);
    for (const port of service.spec.ports ?? [])
      expect({
        port: port.port,
        target: declared.some(d => d.containerPort === port.targetPort),
      }).toEqual({ port: port.port, target: true });
    expect(service.spec.ports?.map(p => [p.name, p.port, p.targetPort])).toEqual([
      ["grpc-xds", 15010, 15010],
      ["https-dns", 15012, 15012],
      ["https-monitoring", 15014, 3000],
    ]);
    // The controller-manager agrees: the Service's EndpointSlice lists the watcher pod.
    const slice = await eventually("the rigging EndpointSlice with the watcher pod", async () => {
      const slices = await getJson<
        List<{
          endpoints?: Array<{ targetRef?: { name: string } }>;
          ports?: Array<{ name: string; port: number }>;
        }>
      >(
        cluster,
        "/apis/discovery.k8s.io/v1/namespaces/pepr-system/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3Drigging",
      );
      // Both replicas: the Service spreads proxies across them.
      return slices.items.find(s => (s.endpoints ?? []).length === 2);
    });
    expect(slice.endpoints!.map(e => e.targetRef?.name).sort()).toEqual(
      pods.items.map(p => p.metadata.name).sort(),
    );
    expect(slice.ports!.map(p => p.port).sort()).toEqual([15010, 15012, 3000].sort());
  });

  it("resolves the injected sidecar's discoveryAddress and CA_ADDR to that Service", async () => {
    const injected = rig(
      ["kube-inject", "-f", "-", "-n", "default"],
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: app\n      image: example/app:1\n",
    );
    expect(injected.stderr).toBe("");
    const pod = parseAllDocuments(injected.stdout)[0]!.toJS() as PodView;
    const proxy = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])].find(
      c => c.name === "istio-proxy",
    )!;
    const env = new Map((proxy.env ?? []).map(e => [e.name, e.value ?? ""]));
    // PROXY_CONFIG omits a discoveryAddress equal to Istio's default, and CA_ADDR defaults to the
    // discovery address: the sidecar's agent then dials Istio's built-in name, as it would here.
    const discovery =
      (JSON.parse(env.get("PROXY_CONFIG") ?? "{}").discoveryAddress as string | undefined) ??
      ISTIO_DEFAULT_DISCOVERY_ADDRESS;
    const caAddr = env.get("CA_ADDR") ?? discovery;
    expect(discovery).toMatch(/:15012$/);
    for (const address of [discovery, caAddr]) {
      const reached = await resolveToService(address);
      expect({ address, service: reached }).toEqual({
        address,
        service: { name: "pepr-system/rigging", port: 15012, targetPort: 15012 },
      });
    }
    // The Service's own name, which a user may set as discoveryAddress, reaches it too.
    expect(await resolveToService("rigging.pepr-system.svc:15012")).toEqual({
      name: "pepr-system/rigging",
      port: 15012,
      targetPort: 15012,
    });
  });

  it("the watcher's own apply (what npx pepr deploy relies on) agrees, and never takes over Istio's istiod", async () => {
    const logger = recordingLogger();
    expect(await applyControlPlaneServices("istio-system", logger)).toEqual({
      applied: [
        "Namespace istio-system",
        "Service pepr-system/rigging",
        "Service istio-system/istiod",
      ],
      failed: [],
    });
    expect(await resolveToService("istiod.istio-system.svc:15012")).toEqual({
      name: "pepr-system/rigging",
      port: 15012,
      targetPort: 15012,
    });
    // Where an istiod Service that is not ours exists (Istio's own), it is left as it is.
    await createNamespace(cluster, "mesh-system");
    await create(cluster, "/api/v1/namespaces/mesh-system/services", {
      metadata: { name: "istiod" },
      spec: { ports: [{ name: "https-dns", port: 15012 }], selector: { app: "istiod" } },
    });
    const result = await applyControlPlaneServices("mesh-system", logger);
    expect(result.failed).toEqual(["Service mesh-system/istiod"]);
    const kept = await getJson<ServiceView>(
      cluster,
      "/api/v1/namespaces/mesh-system/services/istiod",
    );
    expect(kept.spec.type).toBe("ClusterIP");
    expect(logger.lines.join("\n")).toContain(
      "Service mesh-system/istiod: could not apply the control plane's Service",
    );
  });

  /**
   * Follows `host:port` as cluster DNS would: `<svc>.<ns>.svc[.cluster.local]` names a Service;
   * an ExternalName Service is a CNAME to another name; the end is a Service with a selector
   * and the port, whose target the watcher pods declare.
   */
  async function resolveToService(
    address: string,
  ): Promise<{ name: string; port: number; targetPort: unknown } | string> {
    const port = Number(address.slice(address.lastIndexOf(":") + 1));
    let host = address.slice(0, address.lastIndexOf(":"));
    for (let hops = 0; hops < 4; hops++) {
      const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(\.cluster\.local)?\.?$/.exec(host);
      if (!m) return `${host}: not a Service name`;
      const res = await cluster.api("GET", `/api/v1/namespaces/${m[2]}/services/${m[1]}`);
      if (res.status !== 200) return `${host}: no Service (HTTP ${res.status})`;
      const svc = res.body as ServiceView;
      if (svc.spec.type === "ExternalName") {
        host = svc.spec.externalName!;
        continue;
      }
      const p = svc.spec.ports?.find(x => x.port === port);
      if (!p) return `${host}: no port ${port}`;
      const pods = await watcherPods();
      const declared = pods.items.flatMap(x => x.spec.containers.flatMap(c => c.ports ?? []));
      if (!declared.some(d => d.containerPort === p.targetPort))
        return `${host}: targetPort ${p.targetPort} is no watcher containerPort`;
      return { name: `${m[2]}/${m[1]}`, port: p.port, targetPort: p.targetPort };
    }
    return `${address}: too many aliases`;
  }

  it("rig uninstall leaves no webhook, Service, store or ConfigMap of ours, and keeps the CA root", async () => {
    // What the running control plane writes at run time, by its own code: the CA root Secret,
    // istio-ca-root-cert in every namespace, the Istio CRDs.
    await createNamespace(cluster, "shop");
    const logger = recordingLogger();
    const ca = new MeshCa({ store: kubernetesCaSecretStore(), logger, deps: nodeCaDeps });
    await ca.bootstrap();
    const published = await new RootCertPublisher(
      () => ca.bundle(),
      kubernetesRootCertWriter,
      logger,
    ).publishEverywhere();
    expect(published.written).toBeGreaterThanOrEqual(5);
    await installIstioCrds();
    // A replica's leader election writes the Lease.
    const elector = new LeaderElector({
      store: kubernetesLeaseStore("pepr-system"),
      identity: "replica-under-test",
      leaseDurationSeconds: 15,
      logger,
    });
    await elector.tick();
    expect(elector.isLeader()).toBe(true);

    const started = Date.now();
    const out = rig(["uninstall"]);
    const seconds = (Date.now() - started) / 1000;
    expect(out.stderr).toBe("");
    expect(out.status).toBe(0);
    console.log(`rig uninstall: ${seconds.toFixed(1)}s\n${out.stdout}`);
    expect(out.stdout).toMatch(/^deleted +ConfigMap shop\/istio-ca-root-cert/m);
    expect(out.stdout).toMatch(/^deleted +Service istio-system\/istiod/m);
    for (const kind of ["HorizontalPodAutoscaler", "PodDisruptionBudget"])
      expect(out.stdout).toMatch(
        new RegExp(`^deleted +${kind} pepr-system/pepr-rigging-watcher`, "m"),
      );
    expect(out.stdout).toMatch(/^deleted +Lease pepr-system\/rigging-control-plane-leader/m);

    // What remains, listed the way a user would check.
    const remaining = (args: string[]) => {
      const r = kubectl([...args, "-o", "name"]);
      if (r.status !== 0) throw new Error(r.stderr);
      return r.stdout.split("\n").filter(l => l !== "");
    };
    const webhooks = [
      ...remaining(["get", "mutatingwebhookconfigurations"]),
      ...remaining(["get", "validatingwebhookconfigurations"]),
    ].filter(n => n.includes("pepr-rigging"));
    const rootCerts = remaining([
      "get",
      "configmaps",
      "-A",
      "--field-selector=metadata.name=istio-ca-root-cert",
    ]);
    const ours = remaining([
      "get",
      "configmaps,services,secrets,leases,poddisruptionbudgets,horizontalpodautoscalers",
      "-A",
      "-l",
      "app.kubernetes.io/managed-by=rigging",
    ]);
    const inPeprSystem = remaining([
      "get",
      "deployments,services,secrets,serviceaccounts,roles,rolebindings,leases,poddisruptionbudgets,horizontalpodautoscalers",
      "-n",
      "pepr-system",
    ]);
    const clusterRbac = remaining(["get", "clusterroles,clusterrolebindings"]).filter(n =>
      n.endsWith("/pepr-rigging"),
    );
    const inIstioSystem = remaining(["get", "services,configmaps", "-n", "istio-system"]).filter(
      n => n !== "configmap/kube-root-ca.crt",
    );
    console.log(
      `left after rig uninstall: pepr-system ${JSON.stringify(inPeprSystem)}; istio-system ${JSON.stringify(inIstioSystem)}`,
    );
    expect({ webhooks, rootCerts, ours, clusterRbac, inIstioSystem }).toEqual({
      webhooks: [],
      rootCerts: [],
      // Our label, kept on purpose (below).
      ours: ["secret/rigging-ca"],
      clusterRbac: [],
      inIstioSystem: [],
    });
    // Kept on purpose: the CA root (so a reinstall keeps the root workloads trust), the Istio
    // CRDs (the user's mesh config), and the namespaces.
    expect(inPeprSystem.filter(n => !n.startsWith("serviceaccount/default"))).toEqual([
      "secret/rigging-ca",
    ]);
    expect(
      remaining(["get", "crd", "-l", "app.kubernetes.io/part-of=rigging"]).length,
    ).toBeGreaterThan(10);
    expect(remaining(["get", "namespace", "istio-system"])).toEqual(["namespace/istio-system"]);
  });

  it("rig uninstall --purge also removes the CA root, the Istio CRDs and pepr-system", () => {
    const out = rig(["uninstall", "--purge"]);
    expect(out.stderr).toBe("");
    expect(out.status).toBe(0);
    expect(out.stdout).toMatch(/^deleted +Secret pepr-system\/rigging-ca/m);
    expect(out.stdout).toMatch(
      /^deleted +CustomResourceDefinition virtualservices.networking.istio.io/m,
    );
    expect(out.stdout).toMatch(/^deleted +Namespace pepr-system/m);
    // A deleted CRD may linger while its objects are removed, but only as being deleted.
    const crds = kubectl(["get", "crd", "-l", "app.kubernetes.io/part-of=rigging", "-o", "json"]);
    expect(crds.status).toBe(0);
    const left = (
      JSON.parse(crds.stdout) as {
        items: Array<{ metadata: { name: string; deletionTimestamp?: string } }>;
      }
    ).items.filter(c => !c.metadata.deletionTimestamp);
    expect(left.map(c => c.metadata.name)).toEqual([]);
    const ns = kubectl(["get", "namespace", "pepr-system", "-o", "jsonpath={.status.phase}"]);
    expect(ns.status === 0 ? ns.stdout : "gone").toMatch(/^(Terminating|gone)$/);
  });
});
