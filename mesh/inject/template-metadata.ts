/**
 * The labels and annotations the templates add: mTLS mode, canonical service name and revision,
 * revision, default container, and (sidecar template, CNI mode) the traffic settings the CNI
 * plugin reads.
 */
import { A, L } from "./annotations";
import { excludedInbound, type TemplateContext } from "./template-context";

/** sprig `trimAll "-_."`: strip those characters from both ends. */
function trimAll(s: string, chars: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && chars.includes(s[a] ?? "")) a++;
  while (b > a && chars.includes(s[b - 1] ?? "")) b--;
  return s.slice(a, b);
}

/**
 * The canonical service labels as the gateway and grpc-agent templates write them: the first of
 * the usual labels, else the workload's name, untruncated (the sidecar template trims them).
 */
export function canonicalLabels(ctx: TemplateContext): Record<string, string> {
  const l = ctx.labels;
  return {
    [L.canonicalName]:
      l[L.canonicalName] || l["app.kubernetes.io/name"] || l.app || ctx.workload.name || "",
    [L.canonicalRevision]:
      l[L.canonicalRevision] || l["app.kubernetes.io/version"] || l.version || "latest",
  };
}

/** `istio.io/rev`, and the first app container as `kubectl`'s default unless the pod names one. */
export function revisionAnnotations(ctx: TemplateContext): Record<string, string> {
  const has = (n: string) => Object.hasOwn(ctx.annotations, n);
  const out: Record<string, string> = { [A.rev]: ctx.mesh.revision || "default" };
  const first = ctx.appContainers[0];
  if (first !== undefined) {
    if (!has(A.defaultLogsContainer)) out[A.defaultLogsContainer] = first;
    if (!has(A.defaultContainer)) out[A.defaultContainer] = first;
  }
  return out;
}

/** The labels the sidecar template sets on the pod. */
export function templateLabels(ctx: TemplateContext): Record<string, string> {
  const l = ctx.labels;
  const out: Record<string, string> = { [L.tlsMode]: l[L.tlsMode] || "istio" };
  if (ctx.proxyConfig.proxyMetadata?.ISTIO_META_ENABLE_HBONE === "true") {
    out[L.tunnel] = l[L.tunnel] || "http";
  }
  const name =
    l[L.canonicalName] || l["app.kubernetes.io/name"] || l.app || ctx.workload.name || "";
  out[L.canonicalName] = trimAll(name.slice(0, 63), "-_.");
  out[L.canonicalRevision] =
    l[L.canonicalRevision] || l["app.kubernetes.io/version"] || l.version || "latest";
  return out;
}

/** sprig-free `appendMultusNetwork`: add `default/istio-cni` to a Multus networks annotation. */
export function appendMultusNetwork(existing: string, network: string): string {
  if (existing === "") return network;
  const i = existing.lastIndexOf("]");
  if (i !== -1) {
    let nets: { name?: unknown; namespace?: unknown }[];
    try {
      nets = JSON.parse(existing) as typeof nets;
    } catch {
      return existing;
    }
    const [ns, name] = network.includes("/") ? network.split("/", 2) : ["", network];
    if (nets.some(n => n.name === name && (n.namespace ?? "") === ns)) return existing;
    const add = ns ? `, {"name": "${name}", "namespace": "${ns}"}` : `, {"name": "${name}"}`;
    return existing.slice(0, i) + add + existing.slice(i);
  }
  if (existing.split(",").some(n => n.trim() === network)) return existing;
  return `${existing}, ${network}`;
}

/** The annotations the sidecar template sets on the pod. */
export function templateAnnotations(ctx: TemplateContext): Record<string, string> {
  const a = ctx.annotations;
  const has = (n: string) => Object.hasOwn(a, n);
  const p = ctx.values.global.proxy;
  const out = revisionAnnotations(ctx);
  if (!ctx.cni) return out;
  if (ctx.values.pilot.cni.provider === "multus") {
    out[A.multusNetworks] = appendMultusNetwork(a[A.multusNetworks] ?? "", "default/istio-cni");
  }
  out[A.interceptionMode] = ctx.interceptionMode;
  const inc = ctx.ann(A.includeOutboundIPRanges, p.includeIPRanges);
  if (inc) out[A.includeOutboundIPRanges] = inc;
  const exc = ctx.ann(A.excludeOutboundIPRanges, p.excludeIPRanges);
  if (exc) out[A.excludeOutboundIPRanges] = exc;
  out[A.includeInboundPorts] = ctx.ann(A.includeInboundPorts, p.includeInboundPorts);
  out[A.excludeInboundPorts] = excludedInbound(ctx);
  if (has(A.includeOutboundPorts) || (p.includeOutboundPorts ?? "") !== "") {
    out[A.includeOutboundPorts] = ctx.ann(A.includeOutboundPorts, p.includeOutboundPorts);
  }
  if (has(A.excludeOutboundPorts) || p.excludeOutboundPorts !== "") {
    out[A.excludeOutboundPorts] = ctx.ann(A.excludeOutboundPorts, p.excludeOutboundPorts);
  }
  for (const n of [A.kubevirtInterfaces, A.rerouteVirtualInterfaces, A.excludeInterfaces]) {
    if (a[n]) out[n] = a[n];
  }
  return out;
}
