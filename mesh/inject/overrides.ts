/**
 * User customisation of the injected containers: a pod may declare its own `istio-proxy` (or
 * `istio-init`) container, whose fields win over the template's. The user's containers are kept
 * in `proxy.istio.io/overrides` so re-injection can apply them again; a custom proxy UID is
 * carried into the iptables rules. `reapplyOverwrittenContainers`, `adjustInitContainerUser`,
 * `stripPod` and `reinsertOverrides` in
 * https://github.com/istio/istio/blob/master/pkg/kube/inject/webhook.go and inject.go
 */
import { A, INIT, VALIDATION } from "./annotations";
import { goContainer } from "./go-json";
import { mergeMap } from "./merge";
import { clearPrometheusAnnotations, findSidecar } from "./prometheus";
import type { TemplatePod } from "./template";
import type { Container, Pod } from "./types";

interface Parsed {
  containers?: Container[];
  initContainers?: Container[];
}

function parseOverrides(pod: Pod): Parsed | string {
  const raw = pod.metadata?.annotations?.[A.proxyOverrides];
  if (raw === undefined) return {};
  try {
    return JSON.parse(raw) as Parsed;
  } catch (e) {
    return `metadata.annotations["${A.proxyOverrides}"]: ${(e as Error).message}`;
  }
}

function statusNames(pod: Pod): { containers: string[]; initContainers: string[] } | undefined {
  const raw = pod.metadata?.annotations?.[A.status];
  if (raw === undefined) return undefined;
  try {
    const s = JSON.parse(raw) as { containers?: string[] | null; initContainers?: string[] | null };
    return { containers: s.containers ?? [], initContainers: s.initContainers ?? [] };
  } catch {
    return { containers: [], initContainers: [] };
  }
}

/**
 * The pod as the template should see it: containers injected earlier removed, the agent's
 * Prometheus port annotations dropped, the status annotation gone, and the user's saved
 * overrides put back. A string is an error about the overrides annotation.
 */
export function strippedForTemplate(pod: Pod, statusPort: number): Pod | string {
  const p = structuredClone(pod);
  const prev = statusNames(p);
  if (prev) {
    p.spec.containers = p.spec.containers.filter(c => !prev.containers.includes(c.name));
    p.spec.initContainers = p.spec.initContainers?.filter(
      c => !prev.initContainers.includes(c.name),
    );
    const annotations = p.metadata?.annotations ?? {};
    if (annotations["prometheus.io/port"] === String(statusPort))
      clearPrometheusAnnotations(annotations);
    delete annotations[A.status];
  }
  const overrides = parseOverrides(p);
  if (typeof overrides === "string") return overrides;
  for (const c of overrides.containers ?? []) {
    if (!p.spec.containers.some(x => x.name === c.name)) p.spec.containers.push(c);
  }
  for (const c of overrides.initContainers ?? []) {
    const init = (p.spec.initContainers ??= []);
    if (!init.some(x => x.name === c.name)) init.push(c);
  }
  return p;
}

/** Merge one user container over the injected one of the same name (`applyContainer`). */
function overlay(list: Container[] | undefined, c: Container): Container[] {
  const o = { ...c } as Record<string, unknown>;
  if (o.image === "auto") delete o.image; // "auto": keep the injected image
  // "containers" is merged by name, the same strategy as initContainers.
  return mergeMap({ containers: list ?? [] }, { containers: [o] }).containers as Container[];
}

/**
 * Re-applies the user's own definitions of injected containers over the merged pod, records
 * them in `proxy.istio.io/overrides` on first injection, and aligns the init container's user.
 */
export function reapplyUserContainers(
  merged: Pod,
  original: Pod,
  template: TemplatePod,
  tproxyMesh: boolean,
): Pod | string {
  const saved = parseOverrides(original);
  if (typeof saved === "string") return saved;
  const injected = statusNames(original);
  const found: Parsed = {};
  let pod = merged;
  const findIn = (name: string, list?: Container[]) => list?.find(c => c.name === name);
  for (const t of template.spec.containers ?? []) {
    if (injected?.containers.includes(t.name)) continue;
    const match = findIn(t.name, saved.containers) ?? findIn(t.name, original.spec.containers);
    if (!match) continue;
    (found.containers ??= []).push(match);
    pod = { ...pod, spec: { ...pod.spec, containers: overlay(pod.spec.containers, match) } };
  }
  for (const t of template.spec.initContainers ?? []) {
    if (injected?.initContainers.includes(t.name)) continue;
    const match =
      findIn(t.name, saved.initContainers) ??
      findIn(t.name, original.spec.containers) ??
      findIn(t.name, original.spec.initContainers);
    if (!match) continue;
    (found.initContainers ??= []).push(match);
    pod = {
      ...pod,
      spec: { ...pod.spec, initContainers: overlay(pod.spec.initContainers, match) },
    };
  }
  if (!injected && (found.containers || found.initContainers)) {
    const value: Record<string, unknown> = {};
    if (found.containers)
      value.containers = found.containers.map(c => goContainer(normalizeImage(c)));
    if (found.initContainers) {
      value.initContainers = found.initContainers.map(c => goContainer(normalizeImage(c)));
    }
    pod.metadata = pod.metadata ?? {};
    pod.metadata.annotations = {
      ...pod.metadata.annotations,
      [A.proxyOverrides]: JSON.stringify(value),
    };
  }
  adjustInitContainerUser(pod, original, tproxyMesh);
  return pod;
}

function normalizeImage(c: Container): Container {
  return c.image === "auto" ? { ...c, image: "" } : c;
}

/**
 * When the user's istio-proxy sets runAsUser/runAsGroup, iptables must exempt that UID instead of
 * 1337 (`-u`), and a CNI validation container runs as it too; in TPROXY mode the proxy stays root.
 */
function adjustInitContainerUser(pod: Pod, original: Pod, tproxyMesh: boolean): void {
  const user = findSidecar(original)?.securityContext;
  if (!user || (user.runAsUser == null && user.runAsGroup == null)) return;
  const inits = pod.spec.initContainers ?? [];
  const init = inits.find(c => c.name === INIT) ?? inits.find(c => c.name === VALIDATION);
  if (!init) return;
  const tproxy = tproxyMesh || pod.metadata?.annotations?.[A.interceptionMode] === "TPROXY";
  if (tproxy && user.runAsUser != null) {
    const sidecar = findSidecar(pod);
    if (sidecar?.securityContext)
      sidecar.securityContext = { ...sidecar.securityContext, runAsUser: 0 };
  }
  if (!tproxy && init.name === VALIDATION) {
    const sc = { ...init.securityContext };
    if (user.runAsUser != null) sc.runAsUser = user.runAsUser;
    if (user.runAsGroup != null) sc.runAsGroup = user.runAsGroup;
    init.securityContext = sc;
  }
  if (user.runAsUser == null || user.runAsUser === 0) return;
  const args = init.args ?? [];
  const i = args.indexOf("-u");
  if (i >= 0 && i + 1 < args.length) args[i + 1] = String(user.runAsUser);
}
