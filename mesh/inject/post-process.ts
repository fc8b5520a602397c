/**
 * What Istio does after merging the template (`postProcessPod` in
 * https://github.com/istio/istio/blob/master/pkg/kube/inject/webhook.go): cluster/network env,
 * metrics merging, probe rewriting, the status annotation, and container order.
 */
import { CORE_DUMP, INIT, L, A, PROXY, VALIDATION } from "./annotations";
import { collectAppProbers, rewriteProbes, shouldRewriteProbes, withProbers } from "./app-probes";
import { applyPrometheusMerge, applySecurePrometheusAnnotation, findSidecar } from "./prometheus";
import type { TemplatePod } from "./template";
import type { Container, Pod } from "./types";

/** Where to move a container in its list. */
type Move = "first" | "last";

function move(list: Container[] | undefined, name: string, where: Move): Container[] | undefined {
  if (!list) return list;
  const match = list.find(c => c.name === name);
  if (!match) return list;
  const rest = list.filter(c => c.name !== name);
  return where === "first" ? [match, ...rest] : [...rest, match];
}

/**
 * Proxy last among containers (so `kubectl exec` defaults to the app) unless the app must wait
 * for it; as a native sidecar: init (or validation), then proxy, then the user's init containers;
 * otherwise: validation first, the user's init containers, then iptables last.
 */
export function reorder(pod: Pod, holdApplication: boolean): void {
  pod.spec.containers = move(pod.spec.containers, PROXY, holdApplication ? "first" : "last") ?? [];
  let inits = pod.spec.initContainers;
  if (inits?.some(c => c.name === PROXY)) {
    for (const name of [CORE_DUMP, PROXY, VALIDATION, INIT]) inits = move(inits, name, "first");
  } else {
    inits = move(inits, VALIDATION, "first");
    inits = move(inits, INIT, "last");
    inits = move(inits, CORE_DUMP, "last");
  }
  pod.spec.initContainers = inits;
}

/** `sidecar.istio.io/status`: what the template injected, so tools and re-injection know. */
export function statusAnnotation(template: TemplatePod, revision: string): string {
  const names = (l: { name?: unknown }[] | undefined) =>
    l?.length ? l.map(x => String(x.name)) : null;
  return JSON.stringify({
    initContainers: names(template.spec.initContainers),
    containers: names(template.spec.containers),
    volumes: names(template.spec.volumes),
    imagePullSecrets: names(template.spec.imagePullSecrets),
    revision: revision || "default",
  });
}

/** Inputs of post-processing. */
export interface PostProcessInput {
  readonly template: TemplatePod;
  readonly cluster: string;
  readonly network: string;
  readonly statusPort: number;
  readonly rewriteProbes: boolean;
  readonly enablePrometheusMerge: boolean | undefined;
  readonly revision: string;
  readonly injectedAnnotations: Record<string, string>;
  readonly holdApplication: boolean;
}

/** Applies Istio's post-processing to a merged pod in place; a string is a refusal. */
export function postProcess(pod: Pod, input: PostProcessInput): string | undefined {
  const meta = (pod.metadata ??= {});
  const annotations = (meta.annotations ??= {});
  const labels = (meta.labels ??= {});
  const sidecar = findSidecar(pod);
  // Cluster and network given per injection replace the template's values, appended sorted.
  const envs: Record<string, string> = {};
  if (input.cluster) envs.ISTIO_META_CLUSTER_ID = input.cluster;
  if (input.network) envs.ISTIO_META_NETWORK = input.network;
  if (sidecar && Object.keys(envs).length) {
    const kept = (sidecar.env ?? []).filter(e => !(e.name in envs));
    sidecar.env = [
      ...kept,
      ...Object.keys(envs)
        .sort()
        .map(name => ({ name, value: envs[name] ?? "" })),
    ];
  }
  const mergeError = applyPrometheusMerge(
    pod,
    annotations,
    { enablePrometheusMerge: input.enablePrometheusMerge },
    input.statusPort,
  );
  if (mergeError) return mergeError;
  applySecurePrometheusAnnotation(pod, annotations);
  if (sidecar && shouldRewriteProbes(annotations, input.rewriteProbes)) {
    const probers = collectAppProbers(pod, input.statusPort);
    if (Object.keys(probers).length) {
      sidecar.env = withProbers(sidecar.env, probers, Object.hasOwn(annotations, A.status));
    }
    const raw = annotations[A.statusPort];
    // Istio's strconv.Atoi: an unparseable annotation logs and yields 0.
    const port = raw === undefined ? input.statusPort : /^[+-]?[0-9]+$/.test(raw) ? Number(raw) : 0;
    rewriteProbes(pod.spec.containers, port);
    rewriteProbes(pod.spec.initContainers, port);
  }
  if (input.network) labels[L.network] = input.network;
  annotations[A.status] = statusAnnotation(input.template, input.revision);
  Object.assign(annotations, input.injectedAnnotations);
  reorder(pod, input.holdApplication);
  return undefined;
}
