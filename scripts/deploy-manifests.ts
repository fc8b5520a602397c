/**
 * What `npm run build` adds to the manifests and the Helm chart `pepr build` writes, which Pepr
 * 1.1.4 generates from fixed templates with no hook (its watcher declares only port 3000 and its
 * Services only 443): the control-plane Services, the watcher's xDS ports and a readiness probe
 * that reflects xDS. Pure text and object transforms; scripts/post-build.ts does the I/O. Each is
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
  const added: ManifestObject[] = [
    riggingService(),
    istiodNamespaceObject(istiodNamespace),
    istiodAlias(istiodNamespace),
  ];
  const has = (o: ManifestObject) =>
    out.some(
      d =>
        d.kind === o.kind &&
        d.metadata?.name === o.metadata.name &&
        d.metadata?.namespace === o.metadata.namespace,
    );
  for (const o of added) if (!has(o)) out.push(o as unknown as Doc);
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

/** Pepr's watcher template declares one port; this replaces that block with ours. */
const PEPR_PORTS_BLOCK = /^( +)ports:\n\1 {2}- containerPort: 3000\n/m;

/** The chart's templates/watcher-deployment.yaml with the watcher's ports declared. */
export function patchWatcherTemplate(text: string): string {
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
  return doc.toString({ lineWidth: 0 });
}

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
