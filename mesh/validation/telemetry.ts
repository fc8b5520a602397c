/**
 * Telemetry validation: selector or target references, providers, tracing sampling and tags,
 * metric tag overrides, access log filters (CEL syntax).
 * Rules: Istio's ValidateTelemetry (pkg/config/validation/validation.go) and the CRD's CEL rules.
 * https://istio.io/latest/docs/reference/config/telemetry/
 */
import type { ProviderRef, TelemetrySpec } from "../../mesh/api/telemetry";
import { checkCelSyntax } from "./cel-syntax";
import type { Context, ValidateOptions } from "./context";
import { checkDurationField } from "./context";
import { at, idx, type Report, type ValidationResult } from "./diagnostic";
import { runValidator } from "./pipeline";
import { checkPolicyTargets } from "./policy-target";

/**
 * Providers Istio's default mesh config declares (pkg/config/mesh/mesh.go DefaultMeshConfig), so a
 * Telemetry naming them needs no `extensionProviders` entry.
 */
export const BUILTIN_TELEMETRY_PROVIDERS: readonly string[] = [
  "prometheus",
  "stackdriver",
  "envoy",
];

function checkProviders(
  report: Report,
  path: string,
  providers: readonly ProviderRef[] | undefined,
  known: ReadonlySet<string> | undefined,
): void {
  (providers ?? []).forEach((p, i) => {
    const p_ = at(idx(path, i), "name");
    if (p.name === "") report.error(p_, "providers.name may not be empty");
    else if (known && !known.has(p.name)) {
      report.warn(
        p_,
        `provider ${JSON.stringify(p.name)} is not declared in the mesh config's extensionProviders (known: ${[...known].sort().join(", ")}); it is ignored`,
      );
    }
  });
}

function checkTracing(report: Report, spec: TelemetrySpec, known?: ReadonlySet<string>): void {
  const tracing = spec.tracing ?? [];
  if (tracing.length > 1)
    report.warn("spec.tracing", "multiple tracing is not currently supported");
  tracing.forEach((t, i) => {
    const path = idx("spec.tracing", i);
    if ((t.providers ?? []).length > 1)
      report.warn(at(path, "providers"), "multiple providers is not currently supported");
    checkProviders(report, at(path, "providers"), t.providers, known);
    const pct = t.randomSamplingPercentage;
    if (pct !== undefined && !(pct >= 0 && pct <= 100))
      report.error(
        at(path, "randomSamplingPercentage"),
        `randomSamplingPercentage must be in range [0.0, 100.0], got ${pct}`,
      );
    for (const [name, tag] of Object.entries(t.customTags ?? {})) {
      const p = idx(at(path, "customTags"), name);
      if (name === "") report.error(p, "tag name may not be empty");
      if (tag.literal && tag.literal.value === "")
        report.error(at(p, "literal.value"), "literal tag value may not be empty");
      if (tag.header && tag.header.name === "")
        report.error(at(p, "header.name"), "header tag name may not be empty");
      if (tag.environment && tag.environment.name === "")
        report.error(at(p, "environment.name"), "environment tag name may not be empty");
    }
  });
}

function checkMetrics(report: Report, spec: TelemetrySpec, known?: ReadonlySet<string>): void {
  (spec.metrics ?? []).forEach((m, i) => {
    const path = idx("spec.metrics", i);
    checkProviders(report, at(path, "providers"), m.providers, known);
    checkDurationField(report, at(path, "reportingInterval"), m.reportingInterval);
    (m.overrides ?? []).forEach((o, j) => {
      const op = idx(at(path, "overrides"), j);
      if (o.match?.customMetric === "")
        report.error(at(op, "match.customMetric"), "customMetric may not be empty");
      for (const [tag, to] of Object.entries(o.tagOverrides ?? {})) {
        const tp = idx(at(op, "tagOverrides"), tag);
        if (tag === "") report.warn(tp, "tagOverrides.name may not be empty");
        const operation = to.operation ?? "UPSERT";
        if (operation === "UPSERT" && !to.value)
          report.error(tp, "tagOverrides.value must be set when operation is UPSERT");
        if (operation === "REMOVE" && to.value !== undefined)
          report.error(tp, "tagOverrides.value may only be set when operation is UPSERT");
      }
    });
  });
}

function checkAccessLogging(
  report: Report,
  spec: TelemetrySpec,
  known?: ReadonlySet<string>,
): void {
  (spec.accessLogging ?? []).forEach((l, i) => {
    const path = idx("spec.accessLogging", i);
    checkProviders(report, at(path, "providers"), l.providers, known);
    const expression = l.filter?.expression;
    if (expression !== undefined) {
      const problem = checkCelSyntax(expression);
      if (problem)
        report.error(at(path, "filter.expression"), `must be a valid CEL expression, ${problem}`);
    }
  });
}

/** The semantic rules of a Telemetry spec; `known` provider names when the mesh config is known. */
export function checkTelemetrySpec(
  spec: TelemetrySpec,
  ctx: Context,
  known?: ReadonlySet<string>,
): void {
  const { report } = ctx;
  checkPolicyTargets(report, spec);
  checkMetrics(report, spec, known);
  checkTracing(report, spec, known);
  checkAccessLogging(report, spec, known);
}

/**
 * Validates a Telemetry object. With `options.extensionProviders` (the names the mesh config
 * declares), a provider that is neither declared nor built in is a warning naming its field.
 */
export function validateTelemetry(obj: unknown, options?: ValidateOptions): ValidationResult {
  const declared = options?.extensionProviders;
  const known = declared ? new Set([...BUILTIN_TELEMETRY_PROVIDERS, ...declared]) : undefined;
  return runValidator(
    "Telemetry",
    (spec, ctx) => checkTelemetrySpec(spec, ctx, known),
    obj,
    options,
  );
}
