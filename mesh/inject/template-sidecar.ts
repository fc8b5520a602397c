/**
 * Istio's `sidecar` template (injection-template.yaml): the iptables (or CNI validation) init
 * container and the istio-proxy sidecar, native or not, with its volumes.
 */
import type { TemplatePod } from "./template";
import type { TemplateContext } from "./template-context";
import { initContainer } from "./template-init";
import { templateAnnotations, templateLabels } from "./template-metadata";
import { proxyContainer } from "./template-proxy";
import { templatePullSecrets, templateVolumes } from "./template-volumes";
import type { Container } from "./types";

/** Renders the `sidecar` template. */
export function sidecarTemplate(ctx: TemplateContext): TemplatePod {
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
