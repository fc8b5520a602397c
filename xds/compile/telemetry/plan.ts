/**
 * What the applicable Telemetries (root, namespace, workload) ask of one side of a proxy, merged
 * as Istio merges them (pilot/pkg/model/telemetry.go: mergeLogs, mergeMetrics, and tracing where
 * the most specific entry wins), over the mesh config's `defaultProviders`.
 *
 * CLIENT is a sidecar's outbound side and every gateway listener; SERVER is a sidecar's inbound.
 */
import type { Telemetry } from "../../../mesh/api/kinds";
import type { AccessLogging, Metrics, MetricSelector, Tracing } from "../../../mesh/api/telemetry";
import { METRIC_NAMES } from "../../../mesh/api/telemetry";
import type { MeshConfig } from "../../../mesh/meshconfig/mesh-config";

/** The side of the proxy a rule applies to. */
export type Mode = "CLIENT" | "SERVER";

/** One access log to write: its provider, and the CEL filter deciding which entries. */
export interface LogPlan {
  readonly provider: string;
  readonly filter?: string;
}

/** A tag change of one metric. */
export interface TagPlan {
  readonly name: string;
  readonly remove: boolean;
  readonly value?: string;
}

/** One metric's overrides (Istio's metricsOverride). */
export interface MetricPlan {
  readonly name: string;
  readonly disabled: boolean;
  readonly tags: readonly TagPlan[];
}

/** The `istio.stats` configuration of one side, or disabled. */
export interface MetricsPlan {
  readonly providers: readonly string[];
  readonly disabled: boolean;
  readonly overrides: readonly MetricPlan[];
  readonly reportingInterval?: string;
}

/** Tracing of one side. */
export interface TracingPlan {
  readonly provider?: string;
  readonly randomSamplingPercentage: number;
  readonly disableSpanReporting: boolean;
  readonly customTags: NonNullable<Tracing["customTags"]>;
}

const modeMatches = (mode: Mode, selector?: { mode?: string }) =>
  !selector?.mode || selector.mode === "CLIENT_AND_SERVER" || selector.mode === mode;

const names = (refs?: readonly { name: string }[]) => (refs ?? []).map(r => r.name);

/**
 * Access logs of one side. Undefined when no Telemetry and no default provider speaks about
 * logging: then the mesh config's `accessLogFile` applies, as in Istio.
 */
export function planAccessLogs(
  telemetries: readonly Telemetry[],
  mesh: MeshConfig,
  mode: Mode,
): LogPlan[] | undefined {
  const levels = telemetries.map(t => t.spec.accessLogging ?? []).filter(l => l.length > 0);
  const defaults = mesh.defaultProviders.accessLogging;
  if (levels.length === 0)
    return defaults.length === 0 ? undefined : defaults.map(provider => ({ provider }));
  // The most specific level naming providers for this side decides which are in scope.
  let inScope: readonly string[] = defaults;
  const filters = new Map<string, string | undefined>();
  for (const level of levels) {
    const named = level.filter(l => modeMatches(mode, l.match)).flatMap(l => names(l.providers));
    for (const l of level.filter(e => modeMatches(mode, e.match)))
      for (const p of names(l.providers)) filters.set(p, l.filter?.expression);
    if (named.length > 0) inScope = named;
  }
  const out = new Map<string, LogPlan | "disabled">();
  let parent: readonly string[] = defaults;
  for (const level of levels) {
    for (const l of level as AccessLogging[]) {
      const providers = names(l.providers).length > 0 ? names(l.providers) : parent;
      parent = providers;
      if (!modeMatches(mode, l.match)) continue;
      for (const p of providers.filter(n => inScope.includes(n))) {
        if (l.disabled) out.set(p, "disabled");
        else {
          const filter = filters.get(p) ?? l.filter?.expression;
          out.set(p, { provider: p, ...(filter !== undefined ? { filter } : {}) });
        }
      }
    }
  }
  return [...out.values()].filter((p): p is LogPlan => p !== "disabled");
}

/** The metric names an override selects (every standard metric for ALL_METRICS or none). */
function selected(match?: MetricSelector): string[] {
  if (match?.customMetric) return [match.customMetric];
  if (match?.metric && match.metric !== "ALL_METRICS") return [match.metric];
  return METRIC_NAMES.filter(m => m !== "ALL_METRICS");
}

/** Metrics of one side: providers, overrides flattened per metric (sorted by name). */
export function planMetrics(
  telemetries: readonly Telemetry[],
  mesh: MeshConfig,
  mode: Mode,
): MetricsPlan {
  const entries: Metrics[] = telemetries.flatMap(t => t.spec.metrics ?? []);
  let providers: readonly string[] = mesh.defaultProviders.metrics;
  let reportingInterval: string | undefined;
  for (const m of entries) {
    if (names(m.providers).length > 0) providers = names(m.providers);
    if (m.reportingInterval) reportingInterval = m.reportingInterval;
  }
  const metrics = new Map<string, { disabled: boolean; tags: Map<string, TagPlan> }>();
  let disabled = false;
  for (const m of entries) {
    for (const o of m.overrides ?? []) {
      if (!modeMatches(mode, o.match)) continue;
      const all = !o.match?.customMetric && (!o.match?.metric || o.match.metric === "ALL_METRICS");
      // Disabling every metric drops the filter altogether; re-enabling all brings it back.
      if (all && o.disabled !== undefined && Object.keys(o.tagOverrides ?? {}).length === 0)
        disabled = o.disabled;
      for (const name of selected(o.match)) {
        const entry = metrics.get(name) ?? { disabled: false, tags: new Map() };
        if (o.disabled !== undefined) entry.disabled = o.disabled;
        for (const [tag, to] of Object.entries(o.tagOverrides ?? {})) {
          const remove = to.operation === "REMOVE";
          entry.tags.set(tag, { name: tag, remove, ...(remove ? {} : { value: to.value }) });
        }
        metrics.set(name, entry);
      }
    }
  }
  const overrides = [...metrics.entries()]
    .map(([name, e]) => ({
      name,
      disabled: e.disabled,
      tags: [...e.tags.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
  return {
    providers,
    disabled,
    overrides,
    ...(reportingInterval ? { reportingInterval } : {}),
  };
}

/**
 * Tracing of one side: the most specific matching entry's settings over the less specific
 * ones; undefined when tracing is off (`enableTracing: false`) or no provider is named.
 */
export function planTracing(
  telemetries: readonly Telemetry[],
  mesh: MeshConfig,
  mode: Mode,
): TracingPlan | undefined {
  if (!mesh.enableTracing) return undefined;
  let provider: string | undefined = mesh.defaultProviders.tracing[0];
  let randomSamplingPercentage = 1;
  let disableSpanReporting = false;
  let customTags: TracingPlan["customTags"] = {};
  let any = provider !== undefined;
  for (const t of telemetries.flatMap(x => x.spec.tracing ?? [])) {
    if (!modeMatches(mode, t.match)) continue;
    any = true;
    provider = names(t.providers)[0] ?? provider;
    if (t.randomSamplingPercentage !== undefined)
      randomSamplingPercentage = t.randomSamplingPercentage;
    if (t.disableSpanReporting !== undefined) disableSpanReporting = t.disableSpanReporting;
    if (t.customTags) customTags = { ...customTags, ...t.customTags };
  }
  if (!any || provider === undefined) return undefined;
  return { provider, randomSamplingPercentage, disableSpanReporting, customTags };
}
