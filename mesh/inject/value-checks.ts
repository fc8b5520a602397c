/**
 * Type checks for the injection settings users write (chart values, injector config, mesh config
 * fields): each check records a broken rule at its path and says whether the value may be used.
 * A schema is a tree of checks whose shape follows the settings it guards, so a wrong type
 * (`global.proxy.statusPort: "abc"`) is named with its full path.
 */
import { idx, at } from "../validation/diagnostic";
import { isMapping, shown, type Findings } from "../meshconfig/findings";

/** Records what is wrong with `value` at `path`; true when the value may be used. */
export type Check = (findings: Findings, path: string, value: unknown) => boolean;

/** A mapping whose known keys are checked; keys it does not name are ignored. */
export interface Schema {
  readonly [key: string]: Check | Schema;
}

function rule(test: (value: unknown) => boolean, want: string): Check {
  return (findings, path, value) => {
    if (test(value)) return true;
    findings.error(path, `must be ${want}, got ${shown(value)}`);
    return false;
  };
}

/** Any string. */
export const str = rule(v => typeof v === "string", "a string");

/** A string that is not empty (an image name or registry). */
export const name = rule(v => typeof v === "string" && v.trim() !== "", "a non-empty string");

/** true or false (a quoted "true" is a string, as Istio's decoders see it). */
export const bool = rule(v => typeof v === "boolean", "true or false");

/** A port number, 0 meaning "off" where the chart allows it. */
export const port = rule(
  v => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535,
  "a port number 0-65535",
);

/** A whole number of zero or more (seconds, thresholds). */
export const count = rule(
  v => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0x7fffffff,
  "a whole number 0 or more",
);

/** An image tag: the chart's `tag` is a string, but Helm users write `1.31` unquoted too. */
export const tag = rule(
  v => (typeof v === "string" && v.trim() !== "") || (typeof v === "number" && Number.isFinite(v)),
  "a non-empty string or a number",
);

/** A free-form mapping (a securityContext, resources, lifecycle): the API server checks it. */
export const mapping = rule(isMapping, "a mapping");

/** One of `allowed`. */
export function oneOf(...allowed: string[]): Check {
  const want = allowed.map(a => (a === "" ? '""' : a)).join(", ");
  return rule(v => typeof v === "string" && allowed.includes(v), `one of ${want}`);
}

/** A list of strings; each bad item is named. */
export const stringList: Check = (findings, path, value) => {
  if (!Array.isArray(value)) {
    findings.error(path, `must be a list of strings, got ${shown(value)}`);
    return false;
  }
  return value.map((item, i) => str(findings, idx(path, i), item)).every(Boolean);
};

/** A map of strings to strings (annotations, proxyMetadata); each bad value is named. */
export const stringMap: Check = (findings, path, value) => {
  if (!isMapping(value)) {
    findings.error(path, `must be a mapping of strings to strings, got ${shown(value)}`);
    return false;
  }
  return Object.entries(value)
    .map(([key, item]) => str(findings, idx(path, key), item))
    .every(Boolean);
};

const OPERATORS = ["In", "NotIn", "Exists", "DoesNotExist"];

/** A Kubernetes label selector (`matchLabels`, `matchExpressions`). */
const labelSelector: Check = (findings, path, value) => {
  if (!mapping(findings, path, value)) return false;
  const s = value as Record<string, unknown>;
  let good = s.matchLabels == null || stringMap(findings, at(path, "matchLabels"), s.matchLabels);
  const exprs = s.matchExpressions;
  if (exprs == null) return good;
  if (!Array.isArray(exprs)) {
    findings.error(at(path, "matchExpressions"), `must be a list, got ${shown(exprs)}`);
    return false;
  }
  exprs.forEach((e, i) => {
    const p = idx(at(path, "matchExpressions"), i);
    if (!mapping(findings, p, e)) return (good = false);
    const { key, operator, values } = e as Record<string, unknown>;
    good = str(findings, at(p, "key"), key) && good;
    good = oneOf(...OPERATORS)(findings, at(p, "operator"), operator) && good;
    if (values != null) good = stringList(findings, at(p, "values"), values) && good;
  });
  return good;
};

/** A list of label selectors (`alwaysInjectSelector`, `neverInjectSelector`). */
export const selectors: Check = (findings, path, value) => {
  if (!Array.isArray(value)) {
    findings.error(path, `must be a list of label selectors, got ${shown(value)}`);
    return false;
  }
  return value.map((s, i) => labelSelector(findings, idx(path, i), s)).every(Boolean);
};

/** `resources`: a mapping, or null for "no resources". */
export const resources: Check = (findings, path, value) =>
  value === null || mapping(findings, path, value);

/**
 * Checks `input` against `schema` and lays the good values over `base` (a deep copy is returned).
 * Mappings merge key by key, as Helm merges values files; lists and scalars replace. A null
 * leaves the base value, as an unset Helm value does, except where the check allows null.
 */
export function overlay(
  findings: Findings,
  path: string,
  schema: Schema,
  base: Record<string, unknown>,
  input: Record<string, unknown>,
): Record<string, unknown> {
  const out: Record<string, unknown> = structuredClone(base);
  for (const [key, value] of Object.entries(input)) {
    const check = schema[key];
    const p = at(path, key);
    if (check === undefined) continue;
    if (typeof check === "function") {
      if (value === null && check !== resources) continue;
      if (check(findings, p, value)) out[key] = value;
      continue;
    }
    if (value === null) continue;
    if (!mapping(findings, p, value)) continue;
    const inner = isMapping(out[key]) ? (out[key] as Record<string, unknown>) : {};
    out[key] = overlay(findings, p, check, inner, value as Record<string, unknown>);
  }
  return out;
}
