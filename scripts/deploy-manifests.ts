/**
 * What `npm run build` adds to the manifests and the Helm chart `pepr build` writes, which Pepr
 * 1.1.4 generates from fixed templates with no hook (its watcher declares only port 3000 and its
 * Services only 443): the control-plane Services, the watcher's xDS ports, a readiness probe
 * that reflects xDS, and the watcher as replicas (a rolling update, a PodDisruptionBudget and a
 * CPU autoscaler; control-plane/availability-objects.ts says why the watcher is the control
 * plane). Pure text and object transforms; scripts/post-build.ts does the I/O. Each is
 * idempotent, so a second run over patched output changes nothing.
 */
import { parseDocument, stringify } from "yaml";
import {
  CONTROL_PLANE_PORTS,
  istiodAlias,
  istiodNamespaceObject,
  READINESS_PATH,
  READINESS_PORT,
  riggingService,
  WATCHER_NAME,
  type ManifestObject,
} from "../control-plane/service-objects";
import {
  CONTROL_PLANE_MAX_REPLICAS,
  CONTROL_PLANE_REPLICAS,
  CONTROL_PLANE_TARGET_CPU,
  controlPlaneAutoscaler,
  controlPlaneDisruptionBudget,
  watcherStrategy,
} from "../control-plane/availability-objects";
import {
  validationMatchConditions,
  withValidationMatchConditions,
  type MatchCondition,
} from "../mesh/admission/validation-match-conditions";

/** The watcher container's ports: Pepr's 3000 (named, for readers) and the control plane's. */
export function watcherContainerPorts(): Array<{
  name: string;
  containerPort: number;
  protocol: string;
}> {
  const ports = new Map<number, string>([[3000, "https-pepr"]]);
  for (const p of CONTROL_PLANE_PORTS)
    if (!ports.has(p.containerPort)) ports.set(p.containerPort, p.name);
  ports.set(READINESS_PORT, "http-ready");
  return [...ports].map(([containerPort, name]) => ({ name, containerPort, protocol: "TCP" }));
}

/** The watcher's readiness probe: `/ready` (xDS + CA listening and Pepr's /healthz answering). */
export function watcherReadinessProbe(): Record<string, unknown> {
  return {
    httpGet: { path: READINESS_PATH, port: READINESS_PORT, scheme: "HTTP" },
    initialDelaySeconds: 5,
    periodSeconds: 5,
    failureThreshold: 3,
  };
}

interface ContainerLike {
  name?: string;
  ports?: unknown[];
  readinessProbe?: unknown;
}

/** A manifest document as `pepr build` writes it. */
type Doc = { kind?: string; metadata?: { name?: string; namespace?: string } } & Record<
  string,
  unknown
>;

/**
 * The documents of dist/pepr-module-rigging.yaml with the watcher patched and the Services added.
 * Throws, naming the object, when the watcher Deployment is not where Pepr puts it.
 */
export function patchManifestDocs(docs: readonly Doc[], istiodNamespace = "istio-system"): Doc[] {
  const out = docs.map(d => structuredClone(d));
  const watcher = out.find(d => d.kind === "Deployment" && d.metadata?.name === WATCHER_NAME);
  if (!watcher)
    throw new Error(`Deployment pepr-system/${WATCHER_NAME}: not found in the manifests`);
  const containers = (
    watcher as { spec?: { template?: { spec?: { containers?: ContainerLike[] } } } }
  ).spec?.template?.spec?.containers;
  const container = containers?.find(c => c.name === "watcher");
  if (!container) {
    throw new Error(
      `Deployment pepr-system/${WATCHER_NAME}: spec.template.spec.containers: no container "watcher"`,
    );
  }
  container.ports = watcherContainerPorts();
  container.readinessProbe = watcherReadinessProbe();
  const spec = (watcher as { spec: Record<string, unknown> }).spec;
  spec.replicas = CONTROL_PLANE_REPLICAS;
  spec.strategy = watcherStrategy();
  const added: ManifestObject[] = [
    riggingService(),
    istiodNamespaceObject(istiodNamespace),
    istiodAlias(istiodNamespace),
    controlPlaneDisruptionBudget(),
    controlPlaneAutoscaler(),
  ];
  const has = (o: ManifestObject) =>
    out.some(
      d =>
        d.kind === o.kind &&
        d.metadata?.name === o.metadata.name &&
        d.metadata?.namespace === o.metadata.namespace,
    );
  for (const o of added) if (!has(o)) out.push(o as unknown as Doc);
  for (const d of out) {
    if (d.kind !== "ValidatingWebhookConfiguration") continue;
    const hooks = d as unknown as { webhooks?: Array<{ matchConditions?: MatchCondition[] }> };
    hooks.webhooks = (hooks.webhooks ?? []).map(withValidationMatchConditions);
  }
  return out;
}

/** The manifest file's text, patched (documents joined as `pepr build` joins them). */
export function patchManifestYaml(text: string, istiodNamespace = "istio-system"): string {
  const docs = text
    .split(/^---\s*$/m)
    .map(t => t.trim())
    .filter(t => t !== "")
    .map(t => parseDocument(t).toJS() as Doc);
  return patchManifestDocs(docs, istiodNamespace)
    .map(d => stringify(d, { lineWidth: 0 }))
    .join("---\n");
}

/** Where each webhook of Pepr's validation-webhook.yaml names its match policy. */
const PEPR_MATCH_POLICY_LINE = /^( +)matchPolicy: Equivalent\n/gm;

/**
 * The chart's templates/validation-webhook.yaml with {@link validationMatchConditions} on each
 * webhook (after its `matchPolicy`), as patchManifestDocs sets them in the manifests.
 */
export function patchValidationWebhookTemplate(text: string): string {
  if (text.includes(validationMatchConditions[0]!.name)) return text;
  if (!PEPR_MATCH_POLICY_LINE.test(text)) {
    throw new Error(
      "templates/validation-webhook.yaml: no webhook with `matchPolicy: Equivalent` was found; Pepr's template changed",
    );
  }
  return text.replace(PEPR_MATCH_POLICY_LINE, (line, indent: string) => {
    const block = stringify({ matchConditions: validationMatchConditions }, { lineWidth: 0 })
      .trimEnd()
      .split("\n")
      .map(l => `${indent}${l}`);
    return `${line}${block.join("\n")}\n`;
  });
}

/** Pepr's watcher template declares one port; this replaces that block with ours. */
const PEPR_PORTS_BLOCK = /^( +)ports:\n\1 {2}- containerPort: 3000\n/m;

/** Pepr's watcher template: one replica, recreated on every rollout. */
const PEPR_REPLICAS_BLOCK = /^( +)replicas: 1\n\1strategy:\n\1 {2}type: Recreate\n/m;

/**
 * The chart's templates/watcher-deployment.yaml with the watcher's ports declared and its
 * replicas (`watcher.replicas`, left to the autoscaler when `watcher.autoscaling.enabled`)
 * rolled one at a time.
 */
export function patchWatcherTemplate(text: string): string {
  return patchWatcherReplicas(patchWatcherPorts(text));
}

function patchWatcherReplicas(text: string): string {
  if (text.includes(".Values.watcher.replicas")) return text;
  const m = PEPR_REPLICAS_BLOCK.exec(text);
  if (!m) {
    throw new Error(
      "templates/watcher-deployment.yaml: `replicas: 1` with `strategy: Recreate` was not found; Pepr's template changed",
    );
  }
  const i = m[1]!;
  const strategy = stringify({ strategy: watcherStrategy() })
    .trimEnd()
    .split("\n")
    .map(l => `${i}${l}`);
  const lines = [
    `${i}{{- if not .Values.watcher.autoscaling.enabled }}`,
    `${i}replicas: {{ .Values.watcher.replicas }}`,
    `${i}{{- end }}`,
    ...strategy,
  ];
  return text.replace(PEPR_REPLICAS_BLOCK, `${lines.join("\n")}\n`);
}

function patchWatcherPorts(text: string): string {
  if (text.includes(`containerPort: ${CONTROL_PLANE_PORTS[1]!.containerPort}`)) return text;
  const m = PEPR_PORTS_BLOCK.exec(text);
  if (!m) {
    throw new Error(
      "templates/watcher-deployment.yaml: the watcher's `ports:` block (containerPort 3000) was not found; Pepr's template changed",
    );
  }
  const indent = m[1]!;
  const lines = watcherContainerPorts().flatMap(p => [
    `${indent}  - name: ${p.name}`,
    `${indent}    containerPort: ${p.containerPort}`,
    `${indent}    protocol: ${p.protocol}`,
  ]);
  return text.replace(PEPR_PORTS_BLOCK, `${indent}ports:\n${lines.join("\n")}\n`);
}

/** The chart's values.yaml with the watcher's readiness probe replaced (comments kept). */
export function patchValues(text: string): string {
  const doc = parseDocument(text);
  if (!doc.hasIn(["watcher", "readinessProbe"])) {
    throw new Error("values.yaml: watcher.readinessProbe not found; Pepr's chart changed");
  }
  doc.setIn(["watcher", "readinessProbe"], doc.createNode(watcherReadinessProbe()));
  const defaults: Array<[string, unknown]> = [
    ["replicas", CONTROL_PLANE_REPLICAS],
    ["podDisruptionBudget", { enabled: true, minAvailable: 1 }],
    [
      "autoscaling",
      {
        enabled: true,
        minReplicas: CONTROL_PLANE_REPLICAS,
        maxReplicas: CONTROL_PLANE_MAX_REPLICAS,
        targetCPUUtilizationPercentage: CONTROL_PLANE_TARGET_CPU,
      },
    ],
  ];
  // Values a user already set (a second run, or an edited chart) are kept.
  for (const [key, value] of defaults)
    if (!doc.hasIn(["watcher", key])) doc.setIn(["watcher", key], doc.createNode(value));
  return doc.toString({ lineWidth: 0 });
}

/**
 * The chart's template for the control plane's PodDisruptionBudget and autoscaler, each behind
 * its switch in values.yaml (`watcher.podDisruptionBudget`, `watcher.autoscaling`).
 */
export function helmAvailabilityTemplate(): string {
  const pdb = controlPlaneDisruptionBudget();
  pdb.spec!.minAvailable = "{{ .Values.watcher.podDisruptionBudget.minAvailable }}";
  const hpa = controlPlaneAutoscaler();
  Object.assign(hpa.spec!, {
    minReplicas: "{{ .Values.watcher.autoscaling.minReplicas }}",
    maxReplicas: "{{ .Values.watcher.autoscaling.maxReplicas }}",
  });
  const cpu = (hpa.spec!.metrics as Array<{ resource: { target: Record<string, unknown> } }>)[0]!;
  cpu.resource.target.averageUtilization =
    "{{ .Values.watcher.autoscaling.targetCPUUtilizationPercentage }}";
  // Helm templates are text: the quoted placeholders become numbers once rendered.
  const unquote = (t: string) => t.replace(/["']({{ [^}]+ }})["']/g, "$1");
  return [
    "{{- if .Values.watcher.enabled }}",
    "{{- if .Values.watcher.podDisruptionBudget.enabled }}",
    "---",
    unquote(stringify(pdb)).trimEnd(),
    "{{- end }}",
    "{{- if .Values.watcher.autoscaling.enabled }}",
    "---",
    unquote(stringify(hpa)).trimEnd(),
    "{{- end }}",
    "{{- end }}",
    "",
  ].join("\n");
}

/** Where the availability template goes in the chart. */
export const HELM_AVAILABILITY_TEMPLATE = "templates/control-plane-availability.yaml";

/**
 * The chart's template for the control-plane Services (gated like the watcher). istio-system is
 * created only when missing, and kept on `helm uninstall`: it may hold the user's own mesh
 * config (`istio`, `istio-sidecar-injector`, `cacerts`), and a chart must not own a namespace
 * that existed before it.
 */
export function helmServicesTemplate(istiodNamespace = "istio-system"): string {
  const ns = istiodNamespaceObject(istiodNamespace);
  ns.metadata.annotations = { "helm.sh/resource-policy": "keep" };
  return [
    "{{- if .Values.watcher.enabled }}",
    stringify(riggingService()).trimEnd(),
    "---",
    stringify(istiodAlias(istiodNamespace)).trimEnd(),
    `{{- if not (lookup "v1" "Namespace" "" "${istiodNamespace}") }}`,
    "---",
    stringify(ns).trimEnd(),
    "{{- end }}",
    "{{- end }}",
    "",
  ].join("\n");
}

/** Where the Services template goes in the chart. */
export const HELM_SERVICES_TEMPLATE = "templates/control-plane-services.yaml";
