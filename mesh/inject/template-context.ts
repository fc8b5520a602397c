/**
 * What the sidecar template reads, computed once per pod: Istio's `SidecarTemplateData` and the
 * template's own `$variables` (`$tproxy`, `$nativeSidecar`, `$holdProxy`, …) from
 * manifests/charts/istio-control/istio-discovery/files/injection-template.yaml, and the image
 * naming from `ProxyImage`/`ProxyInitImage` in
 * https://github.com/istio/istio/blob/master/pkg/kube/inject/inject.go
 */
import { A, PROXY } from "./annotations";
import type { InjectionValues, MeshSettings, ProxyConfig } from "./settings";
import type { Pod, WorkloadMeta } from "./types";

/** Everything the template functions read. */
export interface TemplateContext {
  readonly pod: Pod;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly workload: WorkloadMeta;
  readonly proxyConfig: ProxyConfig;
  readonly mesh: MeshSettings;
  readonly values: InjectionValues;
  /** Names of the app containers (every container but istio-proxy), in order. */
  readonly appContainers: string[];
  readonly interceptionMode: string;
  readonly tproxy: boolean;
  readonly capNetBindService: boolean;
  readonly nativeSidecar: boolean;
  readonly holdProxy: boolean;
  readonly cni: boolean;
  readonly proxyUID: number;
  readonly proxyGID: number;
  readonly proxyImage: string;
  readonly proxyInitImage: string;
  /** The status port as the template prints it (annotation or `values.global.proxy.statusPort`). */
  readonly statusPort: string;
  /** `annotation .ObjectMeta name default`: the annotation, else the default printed as Go would. */
  ann(name: string, fallback: unknown): string;
}

/** Go's `fmt.Sprint` of a template value (nil prints as `<nil>`). */
export function goString(v: unknown): string {
  if (v === undefined || v === null) return "<nil>";
  return String(v);
}

const KNOWN_IMAGE_TYPES = ["distroless", "debug"];

/** `updateImageTypeIfPresent`: swap a known `-distroless`/`-debug` tag suffix for `type`. */
function tagWithType(tag: string, type: string): string {
  if (type === "") return tag;
  let t = tag;
  for (const known of KNOWN_IMAGE_TYPES) {
    if (t.endsWith(`-${known}`)) {
      t = t.slice(0, -(known.length + 1));
      break;
    }
  }
  return type === "default" ? t : `${t}-${type}`;
}

function imageURL(
  values: InjectionValues,
  name: string,
  type: string,
  annotations: Record<string, string>,
) {
  const g = values.global;
  const imageType = annotations[A.proxyImageType] ?? (type || g.variant);
  return `${g.hub}/${name}:${tagWithType(String(g.tag), imageType)}`;
}

/** Builds the template context for one pod. */
export function templateContext(
  pod: Pod,
  workload: WorkloadMeta,
  proxyConfig: ProxyConfig,
  mesh: MeshSettings,
  values: InjectionValues,
): TemplateContext {
  const labels = pod.metadata?.labels ?? {};
  const annotations = pod.metadata?.annotations ?? {};
  const ann = (name: string, fallback: unknown) =>
    Object.hasOwn(annotations, name) ? (annotations[name] ?? "") : goString(fallback);
  const interceptionMode = ann(A.interceptionMode, proxyConfig.interceptionMode ?? "REDIRECT");
  const native = (annotations[A.nativeSidecar] || String(mesh.nativeSidecars)) !== "false";
  const hold =
    proxyConfig.holdApplicationUntilProxyStarts === true ||
    values.global.proxy.holdApplicationUntilProxyStarts === true;
  return {
    pod,
    labels,
    annotations,
    workload,
    proxyConfig,
    mesh,
    values,
    appContainers: pod.spec.containers.map(c => c.name).filter(n => n !== PROXY),
    interceptionMode,
    tproxy: interceptionMode === "TPROXY",
    capNetBindService: ann(A.capNetBindService, values.global.proxy.capNetBindService) === "true",
    nativeSidecar: native,
    holdProxy: hold && !native,
    cni: values.pilot.cni.enabled,
    // OpenShift's per-namespace UID ranges are not supported; Istio's default applies.
    proxyUID: 1337,
    proxyGID: 1337,
    proxyImage: imageURL(
      values,
      values.global.proxy.image || "proxyv2",
      proxyConfig.image?.imageType ?? "",
      annotations,
    ),
    proxyInitImage: imageURL(values, values.global.proxy_init.image || "proxyv2", "", annotations),
    statusPort: ann(A.statusPort, values.global.proxy.statusPort),
    ann,
  };
}

/** `excludeInboundPort`: add the status port to the excluded inbound ports unless present. */
export function excludeInboundPort(port: string, excluded: string): string {
  const p = port.trim();
  if (p === "" || p === "0") return excluded;
  const out: string[] = [];
  for (const raw of excluded.split(",")) {
    if (raw === p) return excluded;
    const t = raw.trim();
    if (t) out.push(t);
  }
  out.push(p);
  return out.join(",");
}

/** The pod's excluded inbound ports, status port included, as the template computes them. */
export function excludedInbound(ctx: TemplateContext): string {
  return excludeInboundPort(
    ctx.statusPort,
    ctx.ann(A.excludeInboundPorts, ctx.values.global.proxy.excludeInboundPorts),
  );
}
