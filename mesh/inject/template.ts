/**
 * The rendered sidecar template for one pod: the partial Pod that Istio's `sidecar` template
 * produces, to be strategically merged over the pod.
 */
import { templateAnnotations, templateLabels } from "./template-metadata";
import type { TemplateContext } from "./template-context";
import { initContainer } from "./template-init";
import { proxyContainer } from "./template-proxy";
import { templatePullSecrets, templateVolumes } from "./template-volumes";
import type { Container, JsonObject } from "./types";

/** The template's partial pod. */
export interface TemplatePod {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    initContainers: Container[];
    containers?: Container[];
    volumes: JsonObject[];
    imagePullSecrets?: JsonObject[];
  };
}

/** Renders the `sidecar` template. */
export function renderTemplate(ctx: TemplateContext): TemplatePod {
  const proxy = proxyContainer(ctx);
  const init = initContainer(ctx);
  const initContainers: Container[] = init ? [init] : [];
  if (ctx.nativeSidecar) initContainers.push(proxy);
  const spec: TemplatePod["spec"] = { initContainers, volumes: templateVolumes(ctx) };
  if (!ctx.nativeSidecar) spec.containers = [proxy];
  const secrets = templatePullSecrets(ctx);
  if (secrets) spec.imagePullSecrets = secrets;
  return {
    metadata: { labels: templateLabels(ctx), annotations: templateAnnotations(ctx) },
    spec,
  };
}
