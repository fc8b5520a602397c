/**
 * Custom injection templates from `values.sidecarInjectorWebhook.templates`, as Istio users add
 * them (for example a `spire` template that mounts the SPIFFE CSI socket, used as
 * `inject.istio.io/templates: sidecar,spire`). Istio runs them as Go templates; Rigging supports
 * the plain YAML overlays among them and refuses template actions by name, rather than render
 * them wrongly.
 */
import { parse as parseYaml } from "yaml";
import type { TemplatePod } from "./template";

/** A custom template's overlay, or an error message naming the rule it breaks. */
export function customTemplate(name: string, text: string): TemplatePod | string {
  const where = `values.sidecarInjectorWebhook.templates["${name}"]`;
  if (text.includes("{{")) {
    return `${where}: Go template actions ({{ ... }}) are not supported; only plain YAML overlays are`;
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (e) {
    return `${where}: not valid YAML: ${(e as Error).message.split("\n")[0]}`;
  }
  if (parsed === null || parsed === undefined) return { metadata: {}, spec: {} };
  if (typeof parsed !== "object" || Array.isArray(parsed)) {
    return `${where}: must be a partial Pod (a YAML mapping with metadata and spec)`;
  }
  const pod = parsed as Partial<TemplatePod>;
  return { metadata: pod.metadata ?? {}, spec: pod.spec ?? {} };
}
