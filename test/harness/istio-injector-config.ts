/**
 * The `config` and `values` of the `istio-sidecar-injector` ConfigMap that Istio's Helm chart
 * (manifests/charts/istio-control/istio-discovery, templates/istiod-injector-configmap.yaml)
 * renders with its default values, built from the chart's files in ../shared, for istiod's
 * injector (test/harness/istiod.ts `injector`). A bench dependency: Rigging reads the same
 * ConfigMap at run time but never ships this.
 */
import { readFileSync } from "node:fs";
import { parse, stringify } from "yaml";
import { sharedPath } from "./shared";

const CHART = ["istio", "manifests", "charts", "istio-control", "istio-discovery"];

/** Template names the chart writes into `templates:`, with the file each comes from. */
const TEMPLATES: Record<string, string> = {
  sidecar: "injection-template.yaml",
  gateway: "gateway-injection-template.yaml",
  "grpc-simple": "grpc-simple.yaml",
  "grpc-agent": "grpc-agent.yaml",
};

type Values = Record<string, unknown> & {
  global: { proxy: { autoInject: string } };
  sidecarInjectorWebhook: {
    alwaysInjectSelector?: unknown[];
    neverInjectSelector?: unknown[];
    injectedAnnotations?: Record<string, string>;
  };
  revision: string;
  cni: unknown;
  env: unknown;
  gateways: { securityContext?: unknown; seccompProfile?: unknown };
};

/** The chart's default values (under its `_internal_defaults_do_not_set` key). */
function chartValues(): Values {
  const file = parse(readFileSync(sharedPath(...CHART, "values.yaml"), "utf8")) as {
    _internal_defaults_do_not_set: Values;
  };
  return file._internal_defaults_do_not_set;
}

/** The ConfigMap's two keys, as the chart renders them with its defaults. */
export function istioInjectorConfig(): { config: string; values: string } {
  const v = chartValues();
  // The chart scopes `values` to the fields the templates read, to keep the ConfigMap small.
  const values = {
    global: v.global,
    sidecarInjectorWebhook: v.sidecarInjectorWebhook,
    revision: v.revision,
    pilot: { cni: v.cni, env: v.env },
    gateways: {
      securityContext: v.gateways.securityContext,
      seccompProfile: v.gateways.seccompProfile,
    },
  };
  const templates = Object.fromEntries(
    Object.entries(TEMPLATES).map(([name, file]) => [
      name,
      readFileSync(sharedPath(...CHART, "files", file), "utf8"),
    ]),
  );
  const config = {
    defaultTemplates: ["sidecar"],
    policy: v.global.proxy.autoInject,
    alwaysInjectSelector: v.sidecarInjectorWebhook.alwaysInjectSelector ?? [],
    neverInjectSelector: v.sidecarInjectorWebhook.neverInjectSelector ?? [],
    injectedAnnotations: v.sidecarInjectorWebhook.injectedAnnotations ?? {},
    templates,
  };
  return { config: stringify(config), values: JSON.stringify(values, null, 2) };
}
