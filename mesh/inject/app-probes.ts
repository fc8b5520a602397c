/**
 * Application probe rewriting: the kubelet's HTTP, TCP and gRPC probes (and HTTP/TCP lifecycle
 * hooks) of app containers are pointed at the agent's status port, and the originals are handed
 * to the agent in `ISTIO_KUBE_APP_PROBERS`, so probes keep working under mTLS.
 * https://github.com/istio/istio/blob/master/pkg/kube/inject/app_probe.go
 */
import { A, PROXY } from "./annotations";
import type { Container, EnvVar, Pod, Probe } from "./types";
import { parseBool } from "./validate-annotations";

/** The env var the agent reads the original probes from. */
export const KUBE_APP_PROBERS = "ISTIO_KUBE_APP_PROBERS";

/** `ShouldRewriteAppHTTPProbers`: the annotation when it parses as a bool, else the setting. */
export function shouldRewriteProbes(
  annotations: Record<string, string>,
  setting: boolean,
): boolean {
  const v = annotations[A.rewriteAppHTTPProbers];
  const b = v === undefined ? undefined : parseBool(v);
  return b ?? setting;
}

function urls(container: string) {
  return {
    readinessProbe: `/app-health/${container}/readyz`,
    livenessProbe: `/app-health/${container}/livez`,
    startupProbe: `/app-health/${container}/startupz`,
    preStop: `/app-lifecycle/${container}/prestopz`,
    postStart: `/app-lifecycle/${container}/poststartz`,
  };
}

/** The agent's view of a probe (`Prober`): one action and the timeout, Go field order. */
function toProber(p: Probe | undefined, withTimeout: boolean): Record<string, unknown> | undefined {
  if (!p) return undefined;
  const t = withTimeout && p.timeoutSeconds ? { timeoutSeconds: p.timeoutSeconds } : {};
  if (p.httpGet) return { httpGet: { ...p.httpGet }, ...t };
  if (p.tcpSocket) return { tcpSocket: { ...p.tcpSocket }, ...t };
  if (withTimeout && p.grpc) return { grpc: { ...p.grpc }, ...t };
  return undefined;
}

/** Resolve a named port; drop probes already pointing at the status port. */
function resolvePort(
  p: Record<string, unknown> | undefined,
  ports: Map<string, number>,
  statusPort: number,
): Record<string, unknown> | undefined {
  if (!p || p.grpc) return p;
  const action = (p.httpGet ?? p.tcpSocket) as { port?: number | string } | undefined;
  if (!action) return undefined;
  if (typeof action.port === "string") {
    const n = ports.get(action.port);
    if (n === undefined) return undefined;
    action.port = n;
  } else if (action.port === statusPort) {
    return undefined;
  }
  return p;
}

/** Go's encoding of an HTTPGetAction/TCPSocketAction/GRPCAction: struct order, zeros omitted. */
function goAction(kind: string, a: Record<string, unknown>): Record<string, unknown> {
  const order =
    kind === "httpGet"
      ? ["path", "port", "host", "scheme", "httpHeaders"]
      : kind === "tcpSocket"
        ? ["port", "host"]
        : ["port", "service"];
  const out: Record<string, unknown> = {};
  for (const k of order) {
    const v = a[k];
    if (v === undefined || v === null || v === "") continue;
    if (kind === "grpc" && k === "service" && v === null) continue;
    out[k] = v;
  }
  return out;
}

/** The probes the agent takes over, by agent URL (`KubeAppProbers`). */
export type AppProbers = Record<string, Record<string, unknown>>;

/** `DumpAppProbers`: the app probes to hand to the agent, named ports resolved. */
export function collectAppProbers(pod: Pod, statusPort: number): AppProbers {
  const out: AppProbers = {};
  for (const c of [...(pod.spec.initContainers ?? []), ...pod.spec.containers]) {
    if (c.name === PROXY) continue;
    const u = urls(c.name);
    const ports = new Map<string, number>();
    for (const p of c.ports ?? []) if (p.name) ports.set(p.name, p.containerPort);
    const add = (url: string, prober: Record<string, unknown> | undefined) => {
      const r = resolvePort(prober, ports, statusPort);
      if (r) out[url] = r;
    };
    add(u.readinessProbe, toProber(c.readinessProbe, true));
    add(u.livenessProbe, toProber(c.livenessProbe, true));
    add(u.startupProbe, toProber(c.startupProbe, true));
    add(u.preStop, toProber(c.lifecycle?.preStop, false));
    add(u.postStart, toProber(c.lifecycle?.postStart, false));
  }
  return out;
}

/** Go's `json.Marshal` of KubeAppProbers: URLs sorted, Prober and action fields in struct order. */
export function encodeAppProbers(probers: AppProbers): string {
  const encoded = Object.keys(probers)
    .sort()
    .map(k => {
      const p = probers[k] ?? {};
      const parts: string[] = [];
      for (const kind of ["httpGet", "tcpSocket", "grpc"]) {
        const action = p[kind] as Record<string, unknown> | undefined;
        if (action) parts.push(`"${kind}":${JSON.stringify(goAction(kind, action))}`);
      }
      if (p.timeoutSeconds) parts.push(`"timeoutSeconds":${String(p.timeoutSeconds)}`);
      return `${JSON.stringify(k)}:{${parts.join(",")}}`;
    });
  return `{${encoded.join(",")}}`;
}

/** Point one probe or hook at the agent (`convertAppProber`); undefined when not rewritable. */
function convert(
  p: Probe | undefined,
  url: string,
  port: number,
  isProbe: boolean,
): Probe | undefined {
  if (!p) return undefined;
  if (p.httpGet) {
    const { httpGet, ...rest } = p;
    const scheme = httpGet.scheme === "HTTPS" ? "HTTP" : httpGet.scheme;
    return { ...rest, httpGet: { ...httpGet, path: url, port, ...(scheme ? { scheme } : {}) } };
  }
  if (p.tcpSocket || (isProbe && p.grpc)) {
    const { tcpSocket: _t, grpc: _g, ...rest } = p;
    return { ...rest, httpGet: { path: url, port } };
  }
  return undefined;
}

/** `patchRewriteProbe`: rewrite every app container's probes and hooks to the status port. */
export function rewriteProbes(containers: Container[] | undefined, statusPort: number): void {
  for (const c of containers ?? []) {
    if (c.name === PROXY) continue;
    const u = urls(c.name);
    for (const kind of ["readinessProbe", "livenessProbe", "startupProbe"] as const) {
      const r = convert(c[kind], u[kind], statusPort, true);
      if (r) c[kind] = r;
    }
    if (c.lifecycle) {
      for (const hook of ["preStop", "postStart"] as const) {
        const r = convert(c.lifecycle[hook], u[hook], statusPort, false);
        if (r) c.lifecycle[hook] = r;
      }
    }
  }
}

/**
 * Appends ISTIO_KUBE_APP_PROBERS, or on re-injection merges into the existing one (its entries
 * win), as `mergeOrAppendProbers` does.
 */
export function withProbers(
  env: EnvVar[] | undefined,
  probers: AppProbers,
  reinjected: boolean,
): EnvVar[] {
  const list = env ?? [];
  const i = list.findIndex(e => e.name === KUBE_APP_PROBERS);
  if (!reinjected || i < 0)
    return [...list, { name: KUBE_APP_PROBERS, value: encodeAppProbers(probers) }];
  let existing: AppProbers;
  try {
    existing = JSON.parse(list[i]?.value ?? "") as AppProbers;
  } catch {
    return list; // Istio logs and keeps the env as is
  }
  const merged = { ...probers, ...existing };
  return list.map((e, j) =>
    j === i ? { name: KUBE_APP_PROBERS, value: encodeAppProbers(merged) } : e,
  );
}
