/**
 * The injection settings as Istio users set them: the `istio-sidecar-injector` ConfigMap in
 * istiod's namespace, whose `values` key holds the istio-discovery chart values (JSON) and whose
 * `config` key holds the injector's own config (YAML: `policy`, `alwaysInjectSelector`,
 * `neverInjectSelector`, `injectedAnnotations`, `defaultTemplates`, `templates`). The same
 * parser reads `rig kube-inject --valuesFile/--injectConfigFile`, as istioctl's flags do.
 *
 * Istio's semantics (manifests/charts/istio-control/istio-discovery/templates/
 * istiod-injector-configmap.yaml and pkg/kube/inject/inject.go): the `config` fields decide
 * injection (the chart writes `policy` from `values.global.proxy.autoInject`), so where both
 * say something, `config` wins. Values the chart has but the injector does not read are
 * accepted and ignored, as Istio ignores unknown values. A value of the wrong type, or a policy
 * that is neither `enabled` nor `disabled`, refuses the whole ConfigMap; nothing is half-applied.
 */
import { LineCounter, parseDocument } from "yaml";
import { Findings, isMapping, shown } from "../meshconfig/findings";
import { at, idx } from "../validation/diagnostic";
import { defaultInjectionValues, type InjectionValues } from "./settings";
import { TEMPLATES } from "./template";
import { customTemplate } from "./template-custom";
import {
  bool,
  count,
  mapping,
  name,
  oneOf,
  overlay,
  port,
  resources,
  selectors,
  str,
  stringList,
  stringMap,
  tag,
  type Schema,
} from "./value-checks";

/** The ConfigMap Istio's injector reads, and its two keys. */
export const INJECTOR_CONFIGMAP = "istio-sidecar-injector";
export const INJECTOR_VALUES_KEY = "values";
export const INJECTOR_CONFIG_KEY = "config";

/**
 * The templates Rigging renders itself (Istio's built-ins). Rigging does not execute the Go
 * templates a ConfigMap carries under `templates`: for these names it renders its own, and other
 * names must be plain YAML overlays.
 */
export const RENDERED_TEMPLATES: readonly string[] = Object.keys(TEMPLATES);

/** The ConfigMap name for a revision (`istio-sidecar-injector-<rev>`), as the chart names it. */
export function injectorConfigMapName(revision: string): string {
  return revision === "" || revision === "default"
    ? INJECTOR_CONFIGMAP
    : `${INJECTOR_CONFIGMAP}-${revision}`;
}

/** Injection values with notes about what was accepted but not acted on, or every error found. */
export type InjectorConfigResult =
  | { readonly ok: true; readonly value: InjectionValues; readonly notes: readonly string[] }
  | { readonly ok: false; readonly errors: readonly string[] };

const IMAGE_PULL_POLICIES = ["", "Always", "IfNotPresent", "Never"];

/** The chart values the injector reads, with the rule each must keep. */
const VALUES_SCHEMA: Schema = {
  global: {
    hub: name,
    tag,
    variant: str,
    imagePullPolicy: oneOf(...IMAGE_PULL_POLICIES),
    imagePullSecrets: stringList,
    logAsJson: bool,
    nativeNftables: bool,
    logging: { level: str },
    meshID: str,
    trustDomain: str,
    multiCluster: { clusterName: str },
    network: str,
    pilotCertProvider: str,
    caAddress: str,
    caName: str,
    mountMtlsCerts: bool,
    trustBundleName: str,
    sds: { token: { aud: str } },
    sts: { servicePort: port },
    proxy: {
      image: name,
      autoInject: oneOf("enabled", "disabled"),
      clusterDomain: str,
      componentLogLevel: str,
      logLevel: str,
      excludeInboundPorts: str,
      includeInboundPorts: str,
      includeIPRanges: str,
      excludeIPRanges: str,
      includeOutboundPorts: str,
      excludeOutboundPorts: str,
      outlierLogPath: str,
      privileged: bool,
      seccompProfile: mapping,
      readinessFailureThreshold: count,
      readinessInitialDelaySeconds: count,
      readinessPeriodSeconds: count,
      startupProbe: { enabled: bool, failureThreshold: count },
      resources,
      statusPort: port,
      tracer: str,
      holdApplicationUntilProxyStarts: bool,
      capNetBindService: bool,
      lifecycle: mapping,
    },
    proxy_init: { image: name, forceApplyIptables: bool },
  },
  pilot: { cni: { enabled: bool, provider: str }, crlConfigMapName: str },
  sidecarInjectorWebhook: {
    rewriteAppHTTPProbe: bool,
    enableNamespacesByDefault: bool,
    injectedAnnotations: stringMap,
    neverInjectSelector: selectors,
    alwaysInjectSelector: selectors,
  },
};

/** The document in `text` (JSON is YAML too), or undefined after recording its syntax errors. */
function readDocument(findings: Findings, text: string, what: string): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  for (const error of doc.errors) {
    const { line, col } = lines.linePos(error.pos[0]);
    findings.error(
      `line ${line}, column ${col}`,
      `invalid ${what}: ${error.message.split("\n")[0]}`,
    );
  }
  if (doc.errors.length > 0) return undefined;
  try {
    return doc.toJS() as unknown;
  } catch (e) {
    findings.error("", `invalid ${what}: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
}

/** The chart values in `text` laid over `base`; errors and notes go to `findings`. */
function readValues(findings: Findings, text: string, base: InjectionValues): InjectionValues {
  const doc = readDocument(findings, text, "JSON");
  if (doc === undefined || doc === null) return base;
  if (!isMapping(doc)) {
    findings.error("", `must be a JSON object of chart values, got ${shown(doc)}`);
    return base;
  }
  const plain = base as unknown as Record<string, unknown>;
  return overlay(findings, "", VALUES_SCHEMA, plain, doc) as unknown as InjectionValues;
}

/** `defaultTemplates`: built-in templates, or custom ones the values or config define. */
function readDefaultTemplates(
  findings: Findings,
  path: string,
  value: unknown,
  custom: Record<string, string>,
): string[] | undefined {
  if (!stringList(findings, path, value)) return undefined;
  const known = [...new Set([...RENDERED_TEMPLATES, ...Object.keys(custom)])];
  let ok = true;
  (value as string[]).forEach((t, i) => {
    if (known.includes(t)) return;
    ok = false;
    findings.error(
      idx(path, i),
      `template ${shown(t)} is not defined (known: ${known.join(", ")})`,
    );
  });
  return ok ? (value as string[]) : undefined;
}

/**
 * `templates`: Istio's chart ships its built-in templates here as Go templates; for those names
 * Rigging renders its own. Other names become custom templates, which must be plain YAML.
 */
function readTemplates(
  findings: Findings,
  path: string,
  value: unknown,
  custom: Record<string, string>,
): void {
  if (!mapping(findings, path, value)) return;
  for (const [name, text] of Object.entries(value as Record<string, unknown>)) {
    const at_ = at(path, name);
    if (typeof text !== "string") {
      findings.error(at_, `must be a template text (string), got ${shown(text)}`);
    } else if (RENDERED_TEMPLATES.includes(name)) {
      findings.note(at_, "built-in template: Rigging renders its own");
    } else {
      const rendered = customTemplate(name, text);
      if (typeof rendered === "string") findings.error(at_, rendered.replace(/^[^:]*: /, ""));
      else custom[name] = text;
    }
  }
}

/** The injector `config` in `text` applied to `values`; errors and notes go to `findings`. */
function readConfig(findings: Findings, text: string, values: InjectionValues): InjectionValues {
  const doc = readDocument(findings, text, "YAML");
  if (doc === undefined || doc === null) return values;
  if (!isMapping(doc)) {
    findings.error("", `must be a mapping of injector settings, got ${shown(doc)}`);
    return values;
  }
  const out = structuredClone(values);
  const hook = out.sidecarInjectorWebhook;
  // Read after `templates`, which may define the custom templates it names.
  let defaults: { path: string; value: unknown } | undefined;
  for (const [key, value] of Object.entries(doc)) {
    const path = at("", key);
    switch (key) {
      case "policy":
        if (oneOf("enabled", "disabled")(findings, path, value))
          out.global.proxy.autoInject = value as string;
        break;
      case "alwaysInjectSelector":
        if (value === null) hook.alwaysInjectSelector = [];
        else if (selectors(findings, path, value))
          hook.alwaysInjectSelector = value as typeof hook.alwaysInjectSelector;
        break;
      case "neverInjectSelector":
        if (value === null) hook.neverInjectSelector = [];
        else if (selectors(findings, path, value))
          hook.neverInjectSelector = value as typeof hook.neverInjectSelector;
        break;
      case "injectedAnnotations":
        if (value === null) hook.injectedAnnotations = {};
        else if (stringMap(findings, path, value))
          hook.injectedAnnotations = value as Record<string, string>;
        break;
      case "defaultTemplates":
        if (value !== null) defaults = { path, value };
        break;
      case "templates":
        if (value !== null) {
          const custom = { ...(hook.templates ?? {}) };
          readTemplates(findings, path, value, custom);
          if (Object.keys(custom).length > 0) hook.templates = custom;
        }
        break;
      case "template":
      case "aliases":
        findings.note(path, "accepted, not acted on by Rigging");
        break;
      default:
        findings.note(path, "unknown to Istio's injector config, ignored as Istio ignores it");
    }
  }
  if (defaults !== undefined) {
    const chosen = readDefaultTemplates(
      findings,
      defaults.path,
      defaults.value,
      hook.templates ?? {},
    );
    if (chosen !== undefined) hook.defaultTemplates = chosen;
  }
  return out;
}

/** What a ConfigMap's `data` holds at `key`: a string, nothing, or an error. */
function dataKey(findings: Findings, data: unknown, key: string): string | undefined {
  const value = isMapping(data) ? data[key] : undefined;
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  findings.error(`data.${key}`, `must be a string, got ${shown(value)}`);
  return undefined;
}

/** Refused with every error when there is any; otherwise the value and the notes. */
function result(findings: Findings[], value: InjectionValues): InjectorConfigResult {
  const errors = findings.flatMap(f => f.errors);
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, value, notes: findings.flatMap(f => f.notes) };
}

/**
 * Reads the injection values from an `istio-sidecar-injector` ConfigMap, laid over `base`
 * (Rigging's defaults). Missing keys keep the base; messages name
 * `ConfigMap <namespace>/<name>`, the data key and the field path.
 */
export function injectorConfigFromConfigMap(
  configMap: { metadata?: { namespace?: string; name?: string }; data?: Record<string, string> },
  base: InjectionValues = defaultInjectionValues(),
): InjectorConfigResult {
  const { namespace = "", name: cmName = "" } = configMap.metadata ?? {};
  const source = `ConfigMap ${namespace}/${cmName}`;
  const top = new Findings(source);
  // The object comes from the cluster: its declared type is a hope, not a fact.
  const data: unknown = configMap.data;
  const valuesText = dataKey(top, data, INJECTOR_VALUES_KEY);
  const configText = dataKey(top, data, INJECTOR_CONFIG_KEY);
  return parseInjectorConfig({ values: valuesText, config: configText }, base, {
    values: [source, `data.${INJECTOR_VALUES_KEY}`],
    config: [source, `data.${INJECTOR_CONFIG_KEY}`],
    extra: top,
  });
}

/** Where each text came from, for messages: `[object, prefix]`. */
export interface InjectorConfigSources {
  readonly values: readonly [string, string?];
  readonly config: readonly [string, string?];
  /** Findings already made about the container (e.g. a data key of the wrong type). */
  readonly extra?: Findings;
}

/**
 * Parses chart values (JSON) and injector config (YAML) texts, either of which may be absent,
 * over `base`. Used for the ConfigMap and for `rig kube-inject --valuesFile/--injectConfigFile`.
 */
export function parseInjectorConfig(
  texts: { readonly values?: string; readonly config?: string },
  base: InjectionValues = defaultInjectionValues(),
  sources: InjectorConfigSources = { values: ["values"], config: ["config"] },
): InjectorConfigResult {
  const valuesFindings = new Findings(sources.values[0], sources.values[1]);
  const configFindings = new Findings(sources.config[0], sources.config[1]);
  let values = base;
  if (texts.values !== undefined && texts.values.trim() !== "")
    values = readValues(valuesFindings, texts.values, values);
  if (texts.config !== undefined && texts.config.trim() !== "")
    values = readConfig(configFindings, texts.config, values);
  const all = [...(sources.extra ? [sources.extra] : []), valuesFindings, configFindings];
  return result(all, values);
}
