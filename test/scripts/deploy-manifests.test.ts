import { parse, parseAllDocuments } from "yaml";
import {
  helmAvailabilityTemplate,
  helmServicesTemplate,
  patchManifestYaml,
  patchValidationWebhookTemplate,
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
  replicas: 1
  strategy:
    type: Recreate
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
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata:
  name: pepr-rigging
webhooks:
  - name: pepr-rigging.pepr.dev
    matchPolicy: Equivalent
    failurePolicy: Fail
`;

const template = `spec:
  replicas: 1
  strategy:
    type: Recreate
  selector:
    matchLabels:
      app: {{ .Values.uuid }}-watcher
  template:
    spec:
      containers:
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

  it("runs the watcher as replicas rolled one at a time, with a disruption budget and a CPU autoscaler", () => {
    const watcher = find(patched, "Deployment", "pepr-rigging-watcher", "pepr-system")!;
    expect(watcher.spec.replicas).toBe(2);
    expect(watcher.spec.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    const selector = watcher.spec.selector.matchLabels;
    const pdb = find(patched, "PodDisruptionBudget", "pepr-rigging-watcher", "pepr-system")!;
    expect(pdb.spec).toEqual({ minAvailable: 1, selector: { matchLabels: selector } });
    const hpa = find(patched, "HorizontalPodAutoscaler", "pepr-rigging-watcher", "pepr-system")!;
    expect(hpa).toMatchObject({ apiVersion: "autoscaling/v2" });
    expect(hpa.spec).toEqual({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "pepr-rigging-watcher" },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 80 } },
        },
      ],
    });
  });

  it("skips the validating webhook for pods the mutating webhook injected (matchConditions)", () => {
    const config = find(patched, "ValidatingWebhookConfiguration", "pepr-rigging") as unknown as {
      webhooks: unknown;
    };
    const hooks = config.webhooks as {
      matchConditions?: { name: string; expression: string }[];
    }[];
    expect(hooks.map(h => h.matchConditions?.map(c => c.name))).toEqual([
      ["rigging.dev/not-an-injected-pod"],
    ]);
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
  const webhookTemplate = `webhooks:
  - admissionReviewVersions:
      - v1
    failurePolicy: {{ .Values.admission.failurePolicy }}
    matchPolicy: Equivalent
    name: {{ .Values.uuid }}.pepr.dev
`;

  it("adds the validating webhook's matchConditions after its matchPolicy, once", () => {
    const out = patchValidationWebhookTemplate(webhookTemplate);
    const hook = (
      parse(out.replace(/\{\{[^}]*\}\}/g, "x")) as {
        webhooks: { matchConditions: { name: string; expression: string }[] }[];
      }
    ).webhooks[0]!;
    expect(hook.matchConditions.map(c => c.name)).toEqual(["rigging.dev/not-an-injected-pod"]);
    expect(hook.matchConditions[0]!.expression).toContain("'sidecar.istio.io/status' in");
    expect(patchValidationWebhookTemplate(out)).toBe(out);
  });

  it("refuses a webhook template without matchPolicy, naming the file", () => {
    expect(() => patchValidationWebhookTemplate("webhooks: []\n")).toThrow(
      "templates/validation-webhook.yaml: no webhook with `matchPolicy: Equivalent` was found",
    );
  });

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

  it("templates the replicas (left to the autoscaler when it is on) and a rolling update", () => {
    const out = patchWatcherTemplate(template);
    expect(out).toContain(
      [
        "spec:",
        "  {{- if not .Values.watcher.autoscaling.enabled }}",
        "  replicas: {{ .Values.watcher.replicas }}",
        "  {{- end }}",
        "  strategy:",
        "    type: RollingUpdate",
        "    rollingUpdate:",
        "      maxUnavailable: 0",
        "      maxSurge: 1",
        "  selector:",
      ].join("\n"),
    );
    expect(out).not.toContain("Recreate");
  });

  it("refuses a template without Pepr's replicas block, naming the file", () => {
    expect(() => patchWatcherTemplate(template.replace("replicas: 1", "replicas: 3"))).toThrow(
      /templates\/watcher-deployment.yaml: `replicas: 1` with `strategy: Recreate` was not found/,
    );
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
    expect(parsed.watcher).toMatchObject({
      replicas: 2,
      podDisruptionBudget: { enabled: true, minAvailable: 1 },
      autoscaling: {
        enabled: true,
        minReplicas: 2,
        maxReplicas: 5,
        targetCPUUtilizationPercentage: 80,
      },
    });
    // A user's own setting survives a second run.
    expect(parse(patchValues(out.replace("replicas: 2", "replicas: 4"))).watcher.replicas).toBe(4);
  });

  it("templates the disruption budget and the autoscaler behind their switches", () => {
    const text = helmAvailabilityTemplate();
    expect(text).toContain("{{- if .Values.watcher.podDisruptionBudget.enabled }}");
    expect(text).toContain("{{- if .Values.watcher.autoscaling.enabled }}");
    expect(text).toContain(
      "averageUtilization: {{ .Values.watcher.autoscaling.targetCPUUtilizationPercentage }}",
    );
    // What helm renders with the defaults of values.yaml.
    const rendered = text
      .split("\n")
      .filter(l => !l.startsWith("{{"))
      .join("\n")
      .replace("{{ .Values.watcher.podDisruptionBudget.minAvailable }}", "1")
      .replace("{{ .Values.watcher.autoscaling.minReplicas }}", "2")
      .replace("{{ .Values.watcher.autoscaling.maxReplicas }}", "5")
      .replace("{{ .Values.watcher.autoscaling.targetCPUUtilizationPercentage }}", "80");
    const docs = docsOf(rendered);
    expect(docs.map(d => d.kind)).toEqual(["PodDisruptionBudget", "HorizontalPodAutoscaler"]);
    expect(docs[1]!.spec).toMatchObject({ minReplicas: 2, maxReplicas: 5 });
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
