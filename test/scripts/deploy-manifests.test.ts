import { parse, parseAllDocuments } from "yaml";
import {
  helmServicesTemplate,
  patchManifestYaml,
  patchValues,
  patchWatcherTemplate,
} from "../../scripts/deploy-manifests";

// The shapes `pepr build` (Pepr 1.1.4) writes, reduced to what the post-processing touches: the
// watcher Deployment of dist/pepr-module-rigging.yaml, the ports block of the chart's
// templates/watcher-deployment.yaml and the watcher's probe in its values.yaml. The integration
// test (test/integration/deploy-manifests.test.ts) runs the same code over a real build.
const manifest = `apiVersion: v1
kind: Namespace
metadata:
  name: pepr-system
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: pepr-rigging-watcher
  namespace: pepr-system
spec:
  selector:
    matchLabels:
      app: pepr-rigging-watcher
      pepr.dev/controller: watcher
  template:
    metadata:
      labels:
        app: pepr-rigging-watcher
        pepr.dev/controller: watcher
    spec:
      containers:
        - name: watcher
          image: ghcr.io/defenseunicorns/pepr/controller:v1.1.4
          readinessProbe:
            httpGet:
              path: /healthz
              port: 3000
              scheme: HTTPS
          ports:
            - containerPort: 3000
`;

const template = `      containers:
        - name: watcher
          readinessProbe:
            {{- toYaml .Values.watcher.readinessProbe | nindent 12 }}
          ports:
            - containerPort: 3000
          resources:
            {{- toYaml .Values.watcher.resources | nindent 12 }}
`;

const values = `# values
watcher:
  enabled: true
  readinessProbe:
    httpGet:
      path: '/healthz'
      port: 3000
      scheme: 'HTTPS'
    initialDelaySeconds: 10
  livenessProbe:
    httpGet:
      path: '/healthz'
      port: 3000
`;

type Obj = {
  kind: string;
  metadata: { name: string; namespace?: string };
  spec: Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};
const docsOf = (text: string) => parseAllDocuments(text).map(d => d.toJS() as Obj);
const find = (docs: Obj[], kind: string, name: string, namespace?: string) =>
  docs.find(d => d.kind === kind && d.metadata.name === name && d.metadata.namespace === namespace);

describe("post-processing the manifests pepr build writes", () => {
  const patched = docsOf(patchManifestYaml(manifest));

  it("declares the watcher's xDS, CA and readiness ports and probes /ready", () => {
    const watcher = find(patched, "Deployment", "pepr-rigging-watcher", "pepr-system")!;
    const container = watcher.spec.template.spec.containers[0];
    expect(container.ports).toEqual([
      { name: "https-pepr", containerPort: 3000, protocol: "TCP" },
      { name: "grpc-xds", containerPort: 15010, protocol: "TCP" },
      { name: "https-dns", containerPort: 15012, protocol: "TCP" },
      { name: "http-ready", containerPort: 8080, protocol: "TCP" },
    ]);
    expect(container.readinessProbe.httpGet).toEqual({
      path: "/ready",
      port: 8080,
      scheme: "HTTP",
    });
  });

  it("adds the rigging Service over the watcher pods and the istiod alias to it", () => {
    const rigging = find(patched, "Service", "rigging", "pepr-system")!;
    expect(rigging.spec.selector).toEqual({
      app: "pepr-rigging-watcher",
      "pepr.dev/controller": "watcher",
    });
    expect(
      rigging.spec.ports.map((p: { port: number; targetPort: number }) => [p.port, p.targetPort]),
    ).toEqual([
      [15010, 15010],
      [15012, 15012],
      [15014, 3000],
    ]);
    const alias = find(patched, "Service", "istiod", "istio-system")!;
    expect(alias.spec).toMatchObject({
      type: "ExternalName",
      externalName: "rigging.pepr-system.svc.cluster.local",
    });
    // The alias's namespace comes before it, so one `kubectl apply -f` creates both.
    const order = patched.map(d => `${d.kind}/${d.metadata.name}`);
    expect(order.indexOf("Namespace/istio-system")).toBeLessThan(order.indexOf("Service/istiod"));
  });

  it("changes nothing on a second run", () => {
    const once = patchManifestYaml(manifest);
    expect(patchManifestYaml(once)).toBe(once);
  });

  it("refuses manifests without the watcher, naming it", () => {
    expect(() =>
      patchManifestYaml("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n"),
    ).toThrow("Deployment pepr-system/pepr-rigging-watcher: not found in the manifests");
  });
});

describe("post-processing the Helm chart pepr build writes", () => {
  it("declares the ports in the watcher template, once", () => {
    const out = patchWatcherTemplate(template);
    expect(out).toContain(
      "          ports:\n            - name: https-pepr\n              containerPort: 3000\n",
    );
    expect(out).toContain("              containerPort: 15010\n");
    expect(out).toContain("              containerPort: 15012\n");
    expect(out).toContain("          resources:\n");
    expect(patchWatcherTemplate(out)).toBe(out);
  });

  it("refuses a template whose ports block moved, naming the file", () => {
    expect(() => patchWatcherTemplate("containers: []\n")).toThrow(
      /templates\/watcher-deployment.yaml: the watcher's `ports:` block/,
    );
  });

  it("points the watcher's readiness probe at /ready and keeps the rest of values.yaml", () => {
    const out = patchValues(values);
    const parsed = parse(out);
    expect(parsed.watcher.readinessProbe.httpGet).toEqual({
      path: "/ready",
      port: 8080,
      scheme: "HTTP",
    });
    expect(parsed.watcher.livenessProbe.httpGet.path).toBe("/healthz");
    expect(out.startsWith("# values\n")).toBe(true);
  });

  it("templates the Services behind the watcher switch, and istio-system only when missing", () => {
    const text = helmServicesTemplate();
    expect(text.startsWith("{{- if .Values.watcher.enabled }}\n")).toBe(true);
    expect(text).toContain('{{- if not (lookup "v1" "Namespace" "" "istio-system") }}');
    expect(text).toContain("helm.sh/resource-policy: keep");
    // What helm renders when the namespace exists: the two Services.
    const rendered = text
      .split("\n")
      .filter(l => !l.startsWith("{{"))
      .join("\n");
    const docs = docsOf(rendered);
    expect(docs.map(d => `${d.kind}/${d.metadata.namespace ?? ""}/${d.metadata.name}`)).toEqual([
      "Service/pepr-system/rigging",
      "Service/istio-system/istiod",
      "Namespace//istio-system",
    ]);
  });
});
