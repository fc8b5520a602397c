/**
 * Prometheus metrics merging: the app's `prometheus.io/*` scrape annotations move into the
 * proxy's `ISTIO_PROMETHEUS_ANNOTATIONS` and the pod is pointed at the agent, which serves the
 * app's and Envoy's metrics together (`applyPrometheusMerge` in
 * https://github.com/istio/istio/blob/master/pkg/kube/inject/webhook.go).
 */
import { A, PROXY } from "./annotations";
import type { MeshConfig } from "./settings";
import type { Container, Pod } from "./types";
import { parseBool } from "./validate-annotations";

const sanitize = (k: string) => k.replace(/[^a-zA-Z0-9_]/g, "_");
const SCRAPE = "prometheus_io_scrape";
const PORT = "prometheus_io_port";
const PATH = "prometheus_io_path";
const TARGETS = "prometheus_istio_io_scrape_targets";
const SECURE_PORT = "prometheus_istio_io_secure_port";

/** Ports the agent and Envoy own; scraping them through the merge would loop or leak. */
const RESERVED: Readonly<Record<string, string>> = {
  "15000": "Envoy admin",
  "15001": "outbound traffic capture",
  "15004": "pilot debug",
  "15006": "inbound traffic capture",
  "15008": "HBONE tunnel",
  "15020": "pilot-agent status / merged Prometheus",
  "15021": "Envoy health",
  "15053": "DNS proxy",
  "15090": "Envoy Prometheus (already merged)",
};

function find(annotations: Record<string, string>, key: string): [string, string] | undefined {
  for (const [k, v] of Object.entries(annotations)) if (sanitize(k) === key) return [k, v];
  return undefined;
}

/** Removes every spelling of the scrape annotations (`prometheus.io/port`, `prometheus_io_port`…). */
export function clearPrometheusAnnotations(annotations: Record<string, string>): void {
  for (const k of Object.keys(annotations)) {
    if ([SCRAPE, PORT, PATH, TARGETS].includes(sanitize(k))) delete annotations[k];
  }
}

function checkPort(port: string, agentPort: string, what: string): string | undefined {
  const n = /^[+-]?[0-9]+$/.test(port) ? Number(port) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) return `${what}: invalid port "${port}"`;
  const canon = String(n);
  if (canon === agentPort) return `${what}: port ${port} conflicts with agent port`;
  const reason = RESERVED[canon];
  if (reason)
    return `${what}: port ${port} is reserved for Istio (${reason}) and cannot be scraped`;
  return undefined;
}

/**
 * Applies metrics merging to an injected pod. Returns an error message (Istio refuses the pod)
 * when the scrape annotations name an invalid or reserved port.
 */
export function applyPrometheusMerge(
  pod: Pod,
  annotations: Record<string, string>,
  mesh: MeshConfig,
  statusPort: number,
): string | undefined {
  const scrapeAnn = find(annotations, SCRAPE);
  const scrape = scrapeAnn ? (parseBool(scrapeAnn[1]) ?? true) : true;
  const mergeAnn = annotations[A.mergeMetrics];
  const merge =
    (mergeAnn === undefined ? undefined : parseBool(mergeAnn)) ??
    mesh.enablePrometheusMerge ??
    true;
  if (!scrape || !merge) return undefined;
  const target = String(statusPort);
  const port = find(annotations, PORT)?.[1];
  if (port === target) return undefined;
  const cfg: {
    scrape: string;
    path: string;
    port: string;
    targets?: { port: string; path: string }[];
  } = {
    scrape: scrapeAnn?.[1] ?? "",
    path: find(annotations, PATH)?.[1] ?? "",
    port: port ?? "",
  };
  const rawTargets = find(annotations, TARGETS)?.[1];
  const targets: { port: string; path: string }[] = [];
  let targetsOk = true;
  for (const entry of (rawTargets ?? "").split(",").map(e => e.trim())) {
    if (entry === "") continue;
    const [p = "", path = ""] = [entry.split(":", 1)[0], entry.slice(entry.indexOf(":") + 1)];
    const hasPath = entry.includes(":") && path.trim() !== "";
    if (p.trim() === "") targetsOk = false;
    targets.push({ port: p.trim(), path: hasPath ? path.trim() : "/metrics" });
  }
  if (targetsOk && targets.length) {
    cfg.targets = targets;
    cfg.port = targets[0]?.port ?? "";
    cfg.path = targets[0]?.path ?? "";
    for (const t of targets) {
      const e = checkPort(t.port, target, "invalid prometheus scrape targets");
      if (e)
        return e
          .replace(/: invalid port/, ": invalid target port")
          .replace(/: port /, ": target port ");
    }
  } else if (cfg.port !== "") {
    const e = checkPort(cfg.port, target, "invalid prometheus scrape configuration");
    if (e) return e;
  }
  const sidecar = findSidecar(pod);
  if (sidecar && (cfg.scrape || cfg.path || cfg.port || cfg.targets)) {
    sidecar.env = [
      ...(sidecar.env ?? []),
      { name: "ISTIO_PROMETHEUS_ANNOTATIONS", value: JSON.stringify(cfg) },
    ];
  }
  clearPrometheusAnnotations(annotations);
  annotations["prometheus.io/port"] = target;
  annotations["prometheus.io/path"] = "/stats/prometheus";
  annotations["prometheus.io/scrape"] = "true";
  return undefined;
}

/** Sets `prometheus.istio.io/secure-port` from ENVOY_SECURE_MERGED_METRICS_PORT unless set. */
export function applySecurePrometheusAnnotation(
  pod: Pod,
  annotations: Record<string, string>,
): void {
  if (Object.keys(annotations).some(k => sanitize(k) === SECURE_PORT)) return;
  const v = findSidecar(pod)?.env?.find(e => e.name === "ENVOY_SECURE_MERGED_METRICS_PORT")?.value;
  if (v && v !== "0") annotations["prometheus.istio.io/secure-port"] = v;
}

/** The istio-proxy container, among containers or (native sidecar) init containers. */
export function findSidecar(pod: Pod): Container | undefined {
  return (
    pod.spec.containers.find(c => c.name === PROXY) ??
    pod.spec.initContainers?.find(c => c.name === PROXY)
  );
}
