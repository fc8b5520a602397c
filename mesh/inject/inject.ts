/**
 * The pure sidecar injector: `(pod, namespace, mesh settings, injection values) → result`, making
 * the decisions and producing the pod spec Istio's injector does
 * (https://github.com/istio/istio/blob/master/pkg/kube/inject/webhook.go `injectPod`), with the
 * proxies pointed at Rigging's control plane.
 */
import { A, L } from "./annotations";
import { decideInjection, injectRequired, podRef, type InjectionDecision } from "./decision";
import { goNormalizeContainers, prune } from "./merge";
import { reapplyUserContainers, strippedForTemplate } from "./overrides";
import { postProcess } from "./post-process";
import { mergeProxyConfig, parseProxyConfigAnnotation } from "./proxy-config";
import type { InjectionValues, MeshSettings, ProxyConfig } from "./settings";
import { runTemplates, selectTemplates } from "./template";
import { templateContext } from "./template-context";
import type { Namespace, Pod, WorkloadMeta } from "./types";
import { validateAnnotations } from "./validate-annotations";
import { workloadOf } from "./workload";
import { fail, ok, type Result } from "../result";

/** The outcome of an injection request that did not fail. */
export interface Injection {
  /** Whether a sidecar was added. */
  readonly injected: boolean;
  /** The resulting pod (the input, unchanged, when not injected). */
  readonly pod: Pod;
  /** Why it was or was not injected. */
  readonly decision: InjectionDecision;
}

/** Options for {@link injectPod}. */
export interface InjectOptions {
  /**
   * `kube-inject` semantics: skip the webhook's namespace selectors (a manifest has no namespace
   * labels) and run only the injector's own policy check, as `istioctl kube-inject` does.
   * @default false
   */
  readonly manual?: boolean;
  /**
   * The workload that owns the pod template (for `kube-inject` of a Deployment, Job, …); by
   * default it is guessed from the pod's controller reference, as the webhook does.
   */
  readonly workload?: WorkloadMeta;
}

/**
 * Decides whether a pod is injected and, if so, returns it with the sidecar. User-facing failures
 * (malformed injection annotations) come back as errors naming the pod, field and rule.
 */
export function injectPod(
  pod: Pod,
  namespace: Namespace,
  mesh: MeshSettings,
  values: InjectionValues,
  options: InjectOptions = {},
): Result<Injection> {
  const nsName = pod.metadata?.namespace || namespace.metadata?.name || "";
  const decision = options.manual
    ? injectRequired(pod, nsName, mesh, values)
    : decideInjection(pod, namespace, mesh, values);
  if (!decision.inject) return ok({ injected: false, pod, decision });
  const rendered = renderSidecar(pod, nsName, mesh, values, options.workload);
  if (!rendered.ok) return rendered;
  return ok({ injected: true, pod: rendered.value, decision });
}

/** The pod's effective ProxyConfig: mesh default plus its `proxy.istio.io/config`. */
export function effectiveProxyConfig(pod: Pod, mesh: MeshSettings): Result<ProxyConfig> {
  const base = mesh.meshConfig.defaultConfig ?? {};
  const raw = pod.metadata?.annotations?.[A.proxyConfig];
  if (raw === undefined) return ok(base);
  const parsed = parseProxyConfigAnnotation(raw);
  if (typeof parsed === "string") {
    return fail(`metadata.annotations["${A.proxyConfig}"]: ${parsed}`);
  }
  return ok(mergeProxyConfig(base, parsed));
}

/**
 * Injects a pod unconditionally (the decision has been made): the templates it names in
 * `inject.istio.io/templates` (default `sidecar`; also `gateway`, `grpc-agent`, `grpc-simple`),
 * strategic merge, user overrides and post-processing.
 */
export function renderSidecar(
  input: Pod,
  namespace: string,
  mesh: MeshSettings,
  values: InjectionValues,
  workload?: WorkloadMeta,
): Result<Pod> {
  const pod = structuredClone(input);
  const ref = podRef(pod, namespace);
  const annotations = pod.metadata?.annotations ?? {};
  const errors = validateAnnotations(ref, annotations);
  if (errors.length) return fail(...errors);
  const pcResult = effectiveProxyConfig(pod, mesh);
  if (!pcResult.ok) return fail(...pcResult.errors.map(e => `${ref}: ${e}`));
  const pc = pcResult.value;
  const statusPort = pc.statusPort ?? 15020;
  const stripped = strippedForTemplate(pod, statusPort);
  if (typeof stripped === "string") return fail(`${ref}: ${stripped}`);
  const owner = workload ?? workloadOf(pod, namespace);
  const ctx = templateContext(stripped, owner, pc, mesh, values);
  const rendered = runTemplates(
    pod,
    selectTemplates(annotations, ctx.values.sidecarInjectorWebhook.defaultTemplates),
    ctx,
  );
  if (typeof rendered === "string") {
    return fail(`${ref}: metadata.annotations["${A.templates}"]: ${rendered}`);
  }
  const { template } = rendered;
  let merged = rendered.merged;
  const reapplied = reapplyUserContainers(merged, pod, template, pc.interceptionMode === "TPROXY");
  if (typeof reapplied === "string") return fail(`${ref}: ${reapplied}`);
  merged = reapplied;

  const network = pod.metadata?.labels?.[L.network] ?? values.global.network;
  const refusal = postProcess(merged, {
    template,
    cluster: values.global.multiCluster.clusterName,
    network,
    statusPort,
    rewriteProbes: values.sidecarInjectorWebhook.rewriteAppHTTPProbe,
    enablePrometheusMerge: mesh.meshConfig.enablePrometheusMerge,
    revision: mesh.revision,
    injectedAnnotations: values.sidecarInjectorWebhook.injectedAnnotations,
    holdApplication:
      pc.holdApplicationUntilProxyStarts === true ||
      values.global.proxy.holdApplicationUntilProxyStarts === true,
  });
  if (refusal) return fail(`${ref}: metadata.annotations: ${refusal}`);
  if (merged.spec.initContainers?.length === 0) delete merged.spec.initContainers;
  goNormalizeContainers(merged.spec.containers);
  goNormalizeContainers(merged.spec.initContainers);
  return ok(prune(merged));
}
