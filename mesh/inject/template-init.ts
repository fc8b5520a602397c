/**
 * The `istio-init` container (iptables redirection) or, in CNI mode, `istio-validation`, and the
 * shared `resources` block — the `initContainers` part of Istio's injection-template.yaml.
 */
import { A, INIT, VALIDATION } from "./annotations";
import { canonicalQuantity } from "./quantity";
import { excludedInbound, type TemplateContext } from "./template-context";
import type { Container, JsonObject } from "./types";

/** Quantities pass through Go's resource.Quantity, which prints them canonically. */
function canonical(list: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(list)) {
    if (v === null) continue; // omitNil
    out[k] = typeof v === "string" ? canonicalQuantity(v) : v;
  }
  return out;
}

/**
 * The proxy's `resources`: the proxyCPU/proxyMemory(/Limit) annotations when any is set,
 * otherwise `values.global.proxy.resources`. Undefined when neither gives anything.
 */
export function proxyResources(ctx: TemplateContext): JsonObject | undefined {
  const a = ctx.annotations;
  const has = (n: string) => Object.hasOwn(a, n);
  if (has(A.proxyCPU) || has(A.proxyMemory) || has(A.proxyCPULimit) || has(A.proxyMemoryLimit)) {
    const out: JsonObject = {};
    const pick = (cpu: string, mem: string): JsonObject => {
      const r: JsonObject = {};
      if (has(cpu)) r.cpu = canonicalQuantity(a[cpu] ?? "");
      if (has(mem)) r.memory = canonicalQuantity(a[mem] ?? "");
      return r;
    };
    if (has(A.proxyCPU) || has(A.proxyMemory)) out.requests = pick(A.proxyCPU, A.proxyMemory);
    if (has(A.proxyCPULimit) || has(A.proxyMemoryLimit)) {
      out.limits = pick(A.proxyCPULimit, A.proxyMemoryLimit);
    }
    return out;
  }
  const r = ctx.values.global.proxy.resources;
  if (!r || Object.keys(r).length === 0) return undefined;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(r)) {
    if (v === null) continue;
    out[k] = typeof v === "object" && !Array.isArray(v) ? canonical(v) : v;
  }
  return out;
}

/** The iptables (or CNI validation) init container; undefined when interception is NONE. */
export function initContainer(ctx: TemplateContext): Container | undefined {
  if (ctx.interceptionMode === "NONE") return undefined;
  const { values, mesh } = ctx;
  const g = values.global;
  const p = g.proxy;
  const annotations = ctx.annotations;
  const has = (n: string) => Object.hasOwn(annotations, n);
  const excluded = excludedInbound(ctx);
  const args = [
    "istio-iptables",
    "-p",
    String(mesh.meshConfig.proxyListenPort || 15001),
    "-z",
    String(mesh.meshConfig.proxyInboundListenPort || 15006),
    "-u",
    ctx.tproxy ? "1337" : String(ctx.proxyUID),
    "-m",
    ctx.interceptionMode,
    "-i",
    ctx.ann(A.includeOutboundIPRanges, p.includeIPRanges),
    "-x",
    ctx.ann(A.excludeOutboundIPRanges, p.excludeIPRanges),
    "-b",
    ctx.ann(A.includeInboundPorts, p.includeInboundPorts),
    "-d",
    excluded ? `15090,15021,${excluded}` : "15090,15021",
  ];
  if (has(A.includeOutboundPorts) || (p.includeOutboundPorts ?? "") !== "") {
    args.push("-q", ctx.ann(A.includeOutboundPorts, p.includeOutboundPorts));
  }
  if (has(A.excludeOutboundPorts) || (p.excludeOutboundPorts ?? "") !== "") {
    args.push("-o", ctx.ann(A.excludeOutboundPorts, p.excludeOutboundPorts));
  }
  if (has(A.rerouteVirtualInterfaces))
    args.push("-k", annotations[A.rerouteVirtualInterfaces] ?? "");
  else if (has(A.kubevirtInterfaces)) args.push("-k", annotations[A.kubevirtInterfaces] ?? "");
  if (has(A.excludeInterfaces)) args.push("-c", annotations[A.excludeInterfaces] ?? "");
  args.push(`--log_output_level=${ctx.ann(A.agentLogLevel, g.logging.level)}`);
  if (g.logAsJson) args.push("--log_as_json");
  if (ctx.cni) args.push("--run-validation", "--skip-rule-apply");
  else if (g.proxy_init.forceApplyIptables) args.push("--force-apply");
  if (g.nativeNftables) args.push("--native-nftables");

  const imageAnn = ctx.ann(A.proxyImage, g.proxy_init.image);
  const c: Container = {
    name: ctx.cni ? VALIDATION : INIT,
    image: imageAnn.includes("/") ? imageAnn : ctx.proxyInitImage,
    args,
  };
  if (g.imagePullPolicy) c.imagePullPolicy = g.imagePullPolicy;
  const md = ctx.proxyConfig.proxyMetadata ?? {};
  const keys = Object.keys(md).sort();
  if (keys.length) c.env = keys.map(k => ({ name: k, value: md[k] ?? "" }));
  c.resources = proxyResources(ctx) ?? null;
  const sc: JsonObject = {
    allowPrivilegeEscalation: p.privileged,
    privileged: p.privileged,
    capabilities: ctx.cni ? { drop: ["ALL"] } : { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] },
  };
  if (!ctx.cni) {
    Object.assign(sc, {
      readOnlyRootFilesystem: false,
      runAsGroup: 0,
      runAsNonRoot: false,
      runAsUser: 0,
    });
  } else {
    Object.assign(sc, {
      readOnlyRootFilesystem: true,
      runAsGroup: ctx.tproxy ? 1337 : ctx.proxyGID,
      runAsUser: ctx.tproxy ? 1337 : ctx.proxyUID,
      runAsNonRoot: true,
    });
  }
  if (p.seccompProfile && Object.keys(p.seccompProfile).length)
    sc.seccompProfile = p.seccompProfile;
  c.securityContext = sc;
  return c;
}
