/**
 * Injection templates: each renders a partial Pod that is strategically merged over the pod.
 * A pod picks them with `inject.istio.io/templates: a,b` (default `sidecar`); like Istio's
 * `RunTemplate` (https://github.com/istio/istio/blob/master/pkg/kube/inject/inject.go), every
 * template is rendered from the same pod and merged in the order given, both over the pod and
 * into one combined template pod, which says what was injected.
 */
import { A, PROXY } from "./annotations";
import { mergeMap } from "./merge";
import type { TemplateContext } from "./template-context";
import { customTemplate } from "./template-custom";
import { gatewayTemplate } from "./template-gateway";
import { grpcAgentTemplate } from "./template-grpc-agent";
import { grpcSimpleTemplate } from "./template-grpc-simple";
import { sidecarTemplate } from "./template-sidecar";
import type { Container, JsonObject, Pod } from "./types";

/** A template's partial pod. */
export interface TemplatePod {
  metadata: { labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    initContainers?: Container[];
    containers?: Container[];
    volumes?: JsonObject[];
    imagePullSecrets?: JsonObject[];
    securityContext?: JsonObject;
  };
}

/** A template: the pod (as the template sees it) → the partial pod to merge. */
export type Template = (ctx: TemplateContext) => TemplatePod;

/** Istio's built-in templates (istio-discovery chart, `sidecarInjectorWebhook.templates`). */
export const TEMPLATES: Readonly<Record<string, Template>> = {
  sidecar: sidecarTemplate,
  gateway: gatewayTemplate,
  "grpc-agent": grpcAgentTemplate,
  "grpc-simple": grpcSimpleTemplate,
};

/**
 * The template names a pod asks for: `inject.istio.io/templates`, comma-separated, or the
 * injector config's `defaultTemplates` (Istio's default: `sidecar`).
 */
export function selectTemplates(
  annotations: Record<string, string>,
  defaults: readonly string[] = ["sidecar"],
): string[] {
  const raw = annotations[A.templates];
  return raw === undefined ? [...defaults] : raw.split(",").map(t => t.trim());
}

/** Renders one template by name: a custom one from values first, as Istio's chart does. */
function renderNamed(name: string, ctx: TemplateContext): TemplatePod | string {
  const custom = ctx.values.sidecarInjectorWebhook.templates ?? {};
  const text = Object.hasOwn(custom, name) ? custom[name] : undefined;
  if (text !== undefined) return customTemplate(name, text);
  const render = Object.hasOwn(TEMPLATES, name) ? TEMPLATES[name] : undefined;
  if (render) return render(ctx);
  const known = [...new Set([...Object.keys(TEMPLATES), ...Object.keys(custom)])].sort();
  return `template "${name}" not found; known templates: ${known.join(", ")}`;
}

/** The result of running a pod's templates. */
export interface Rendered {
  /** The pod with every template merged over it, in order. */
  readonly merged: Pod;
  /** All templates merged together: what was injected. */
  readonly template: TemplatePod;
}

/**
 * Runs the named templates over `pod`. A string is an error: a name that is not a template, or a
 * custom template Rigging cannot render.
 * With a native sidecar, a user-declared istio-proxy among the pod's containers moves to the init
 * containers before merging, so the user's fields meet the template's proxy.
 */
export function runTemplates(pod: Pod, names: string[], ctx: TemplateContext): Rendered | string {
  let merged = pod;
  let template: TemplatePod = { metadata: {}, spec: {} };
  for (const name of names) {
    const found = renderNamed(name, ctx);
    if (typeof found === "string") return found;
    const overlay = found as unknown as Record<string, unknown>;
    template = mergeMap(
      template as unknown as Record<string, unknown>,
      overlay,
    ) as unknown as TemplatePod;
    const proxy = merged.spec.containers.find(c => c.name === PROXY);
    if (proxy && template.spec.initContainers?.some(c => c.name === PROXY)) {
      merged = structuredClone(merged);
      merged.spec.containers = merged.spec.containers.filter(c => c.name !== PROXY);
      merged.spec.initContainers = [...(merged.spec.initContainers ?? []), proxy];
    }
    merged = mergeMap(merged as unknown as Record<string, unknown>, overlay) as unknown as Pod;
  }
  return { merged, template };
}
