/**
 * Manual injection of manifest streams (`rig kube-inject`): which kinds are injected and where,
 * that everything else passes through untouched, that the output equals the webhook's, and that a
 * bad stream fails as a whole with messages naming the document, object, annotation and rule.
 */
import { readFileSync } from "node:fs";
import { parse, parseAllDocuments } from "yaml";
import {
  defaultInjectionValues,
  defaultMeshSettings,
  injectPod,
  kubeInjectObject,
  kubeInjectStream,
  type Pod,
} from "../../../mesh/inject";
import { sharedPath } from "../../harness/shared";

const mesh = defaultMeshSettings();
const values = defaultInjectionValues();
type Tree = Record<string, unknown>;

const podSpec = { containers: [{ name: "app", image: "example/app:1" }] };
const template = (annotations: Record<string, string> = {}) => ({
  metadata: { labels: { app: "web" }, annotations },
  spec: podSpec,
});
const workload = (kind: string, apiVersion = "apps/v1", annotations = {}) => ({
  apiVersion,
  kind,
  metadata: { name: "web", namespace: "shop" },
  spec: { selector: { matchLabels: { app: "web" } }, template: template(annotations) },
});
const cronJob = {
  apiVersion: "batch/v1",
  kind: "CronJob",
  metadata: { name: "nightly", namespace: "shop" },
  spec: {
    schedule: "@daily",
    jobTemplate: { metadata: { labels: { app: "nightly" } }, spec: { template: template() } },
  },
};
const bare = { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: podSpec };

/** The container names of a pod spec, init containers first. */
function names(spec: unknown): string[] {
  const s = spec as { initContainers?: { name: string }[]; containers: { name: string }[] };
  return [...(s.initContainers ?? []), ...s.containers].map(c => c.name);
}
const at = (obj: unknown, path: string[]): unknown =>
  path.reduce<unknown>((o, k) => (o as Tree | undefined)?.[k], obj);
const envOf = (spec: unknown, name: string) =>
  (
    (spec as { initContainers: { name: string; env: { name: string; value?: string }[] }[] })
      .initContainers[1]?.env ?? []
  ).find(e => e.name === name)?.value;

describe("kubeInjectObject", () => {
  it.each([
    ["Pod", bare, ["spec"]],
    ["Deployment", workload("Deployment"), ["spec", "template", "spec"]],
    ["StatefulSet", workload("StatefulSet"), ["spec", "template", "spec"]],
    ["DaemonSet", workload("DaemonSet"), ["spec", "template", "spec"]],
    ["ReplicaSet", workload("ReplicaSet"), ["spec", "template", "spec"]],
    [
      "ReplicationController",
      workload("ReplicationController", "v1"),
      ["spec", "template", "spec"],
    ],
    ["Job", workload("Job", "batch/v1"), ["spec", "template", "spec"]],
    ["CronJob", cronJob, ["spec", "jobTemplate", "spec", "template", "spec"]],
  ])("injects the pod template of a %s", (_kind, obj, specPath) => {
    const r = kubeInjectObject(structuredClone(obj), mesh, values);
    if (!r.ok) throw new Error(r.errors.join("\n"));
    expect(r.value.injected).toBe(1);
    expect(names(at(r.value.object, specPath))).toEqual(["istio-init", "istio-proxy", "app"]);
    expect(names(at(obj, specPath))).toEqual(["app"]); // the input is not modified
  });

  it("puts a CronJob's status annotation on the job template, where Istio reads it", () => {
    const r = kubeInjectObject(structuredClone(cronJob), mesh, values);
    if (!r.ok) throw new Error(r.errors.join("\n"));
    const annotations = at(r.value.object, ["spec", "jobTemplate", "metadata", "annotations"]);
    expect(annotations).toHaveProperty(["sidecar.istio.io/status"]);
  });

  it("names the workload as the owner, in the object's namespace or the one given", () => {
    const owner = (obj: Tree, namespace?: string) => {
      const r = kubeInjectObject(obj, mesh, values, { namespace });
      if (!r.ok) throw new Error(r.errors.join("\n"));
      const spec = at(r.value.object, obj.kind === "Pod" ? ["spec"] : ["spec", "template", "spec"]);
      return envOf(spec, "ISTIO_META_OWNER");
    };
    expect(owner(workload("Deployment"))).toBe(
      "kubernetes://apis/apps/v1/namespaces/shop/deployments/web",
    );
    expect(owner(workload("Deployment"), "other")).toBe(
      "kubernetes://apis/apps/v1/namespaces/shop/deployments/web",
    );
    expect(owner(bare)).toBe("kubernetes://apis/v1/namespaces/default/pods/web");
    expect(owner(bare, "shop")).toBe("kubernetes://apis/v1/namespaces/shop/pods/web");
  });

  it("injects every workload of a List and passes its other items through", () => {
    const service = { apiVersion: "v1", kind: "Service", metadata: { name: "web" } };
    const list = { apiVersion: "v1", kind: "List", items: [service, workload("Deployment"), bare] };
    const r = kubeInjectObject(list, mesh, values);
    if (!r.ok) throw new Error(r.errors.join("\n"));
    expect(r.value.injected).toBe(2);
    const items = r.value.object.items as Tree[];
    expect(items[0]).toEqual(service);
    expect(names(at(items[1], ["spec", "template", "spec"]))).toContain("istio-proxy");
    expect(names(at(items[2], ["spec"]))).toContain("istio-proxy");
  });

  it.each([
    ["a Service", { apiVersion: "v1", kind: "Service", metadata: { name: "web" } }],
    ["a ConfigMap", { apiVersion: "v1", kind: "ConfigMap", data: { template: "x" } }],
    ["a custom resource with a pod template", { ...workload("Rollout"), apiVersion: "x/v1" }],
    [
      "an opted-out Deployment",
      workload("Deployment", "apps/v1", { "sidecar.istio.io/inject": "false" }),
    ],
    ["a host-network Pod", { ...bare, spec: { ...podSpec, hostNetwork: true } }],
  ])("leaves %s alone", (_what, obj) => {
    const r = kubeInjectObject(obj as Tree, mesh, values);
    expect(r).toEqual({ ok: true, value: { object: obj, injected: 0 } });
  });

  it("gives the same pod as the webhook does in an injection-enabled namespace", () => {
    const pod = { ...structuredClone(bare), metadata: { name: "web", namespace: "shop" } };
    const ns = { metadata: { name: "shop", labels: { "istio-injection": "enabled" } } };
    const webhook = injectPod(structuredClone(pod) as Pod, ns, mesh, values);
    const manual = kubeInjectObject(structuredClone(bare), mesh, values, { namespace: "shop" });
    if (!webhook.ok || !manual.ok) throw new Error("injection failed");
    expect(manual.value.object).toEqual({
      ...webhook.value.pod,
      metadata: { ...webhook.value.pod.metadata, namespace: undefined },
    });
  });

  it("with apiDefaults, equals the webhook's injection of the pod the API server defaulted", () => {
    const probed = {
      ...structuredClone(bare),
      spec: {
        containers: [
          {
            name: "app",
            image: "example/app:1",
            ports: [{ containerPort: 8080 }],
            readinessProbe: { httpGet: { port: 8080 } },
          },
        ],
      },
    };
    // What the API server stores before calling the webhook (SetDefaults_* in core/v1).
    const defaulted = structuredClone(probed);
    defaulted.spec.containers[0] = {
      ...probed.spec.containers[0]!,
      ports: [{ containerPort: 8080, protocol: "TCP" } as never],
      readinessProbe: {
        httpGet: { port: 8080, path: "/", scheme: "HTTP" } as never,
        timeoutSeconds: 1,
        periodSeconds: 10,
        successThreshold: 1,
        failureThreshold: 3,
      } as never,
    };
    const ns = { metadata: { name: "shop", labels: { "istio-injection": "enabled" } } };
    const pod = { ...defaulted, metadata: { name: "web", namespace: "shop" } } as Pod;
    const webhook = injectPod(pod, ns, mesh, values);
    const options = { namespace: "shop", apiDefaults: true };
    const manual = kubeInjectObject(structuredClone(probed), mesh, values, options);
    const plain = kubeInjectObject(structuredClone(probed), mesh, values, { namespace: "shop" });
    if (!webhook.ok || !manual.ok || !plain.ok) throw new Error("injection failed");
    const expected = {
      ...webhook.value.pod,
      metadata: { ...webhook.value.pod.metadata, namespace: undefined },
    };
    expect(manual.value.object).toEqual(expected);
    expect(plain.value.object).not.toEqual(expected); // the defaults are what made the difference
    expect(envOf(at(manual.value.object, ["spec"]), "ISTIO_META_POD_PORTS")).toContain('"TCP"');
  });

  it("names the workload, the template's annotation and the rule on a malformed annotation", () => {
    const r = kubeInjectObject(
      workload("Deployment", "apps/v1", { "sidecar.istio.io/proxyCPU": "lots" }),
      mesh,
      values,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      expect.stringMatching(
        /^Deployment shop\/web: spec\.template\.metadata\.annotations\["sidecar\.istio\.io\/proxyCPU"\]: .*'lots'.*quantities must match/,
      ),
    ]);
  });
});

describe("kubeInjectStream", () => {
  const text = `# the web tier
apiVersion: v1
kind: Service   # kept as written
metadata: {name: web}
spec:
  ports: [{port: 80}]
---
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: app, image: "example/app:1"}]
`;

  it("re-emits injected documents and keeps the others as written, comments included", () => {
    const r = kubeInjectStream(text, mesh, values);
    if (!r.ok) throw new Error(r.errors.join("\n"));
    expect(r.value).toMatchObject({ injected: 1, documents: 2 });
    const [service, deployment] = r.value.yaml.split(/^---\n/m);
    expect(service).toBe(
      "# the web tier\napiVersion: v1\nkind: Service   # kept as written\nmetadata: {name: web}\nspec:\n  ports: [{port: 80}]\n",
    );
    const injected = parse(deployment ?? "") as Tree;
    expect(names(at(injected, ["spec", "template", "spec"]))).toEqual([
      "istio-init",
      "istio-proxy",
      "app",
    ]);
  });

  it("keeps block scalars whole and drops only the document markers", () => {
    const config = "kind: ConfigMap\ndata:\n  script: |\n    echo ---\n    ---\n...\n";
    const r = kubeInjectStream(`---\n${config}---\n${config}`, mesh, values);
    if (!r.ok) throw new Error(r.errors.join("\n"));
    const once = config.replace("...\n", "");
    expect(r.value.yaml).toBe(`${once}---\n${once}`);
  });

  it("injects bookinfo: every Deployment, nothing else, as parseable YAML", () => {
    const bookinfo = readFileSync(
      sharedPath("istio", "samples", "bookinfo", "platform", "kube", "bookinfo.yaml"),
      "utf8",
    );
    const r = kubeInjectStream(bookinfo, mesh, values);
    if (!r.ok) throw new Error(r.errors.join("\n"));
    const docs = parseAllDocuments(r.value.yaml).map(d => d.toJSON() as Tree);
    const deployments = docs.filter(d => d.kind === "Deployment");
    expect(r.value.injected).toBe(deployments.length);
    expect(deployments.length).toBeGreaterThan(0);
    for (const d of deployments) {
      expect(names(at(d, ["spec", "template", "spec"]))).toContain("istio-proxy");
    }
    const input = parseAllDocuments(bookinfo)
      .map(d => d.toJSON() as Tree | null)
      .filter(d => d !== null);
    expect(docs.filter(d => d.kind !== "Deployment")).toEqual(
      input.filter(d => d?.kind !== "Deployment"),
    );
  });

  it("fails the whole stream, naming each bad document, and returns no YAML", () => {
    const bad = `${text}---
apiVersion: v1
kind: Pod
metadata:
  name: db
  annotations: {sidecar.istio.io/interceptionMode: MAGIC}
spec: {containers: [{name: db, image: db}]}
---
items: [unclosed
`;
    const r = kubeInjectStream(bad, mesh, values, { source: "app.yaml" });
    expect(r).toEqual({
      ok: false,
      errors: [
        expect.stringMatching(
          /^app\.yaml: document 4: Pod default\/db: metadata\.annotations\["sidecar\.istio\.io\/interceptionMode"\]: .*MAGIC.*use REDIRECT,TPROXY,NONE/,
        ),
        expect.stringMatching(/^app\.yaml: document 5: invalid YAML: .* at line \d+, column \d+$/),
      ],
    });
  });

  it("gives an empty stream for empty input", () => {
    expect(kubeInjectStream("", mesh, values)).toEqual({
      ok: true,
      value: { yaml: "", injected: 0, documents: 0 },
    });
  });
});
