/**
 * Envoy matchers from Istio's value syntax, where a value is exact, `prefix*`, `*suffix` or `*`.
 * Mirrors istio/istio pilot/pkg/security/authz/matcher (string.go, header.go, metadata.go,
 * template.go) so the generated RBAC is what istiod would send.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/type/matcher/v3/string.proto
 */
import { quoteMeta } from "../../../mesh/authz/attributes";
import type {
  ConfigCore_TypedExtensionConfig,
  EnvoyTypeMatcher_StringMatcher,
  HeaderMatcher,
  MetadataMatcher,
  ValueMatcher as EnvoyValueMatcher,
} from "../shared/envoy";
import { Types } from "../shared/envoy-names";

/** `envoy.type.matcher.v3.StringMatcher` in object form. */
export type StringMatcher = EnvoyTypeMatcher_StringMatcher;

/** `envoy.type.matcher.v3.ValueMatcher` in object form. */
export type ValueMatcher = EnvoyValueMatcher;

/** A `safe_regex` (RE2) matcher. */
export function regexMatcher(regex: string): StringMatcher {
  return { safe_regex: { regex } };
}

// `ignore_case` is only written when true: Go leaves the default out, and so do the goldens.
const withCase = (m: StringMatcher, ignoreCase: boolean): StringMatcher =>
  ignoreCase ? { ...m, ignore_case: true } : m;

/** An exact matcher. */
export function exactMatcher(value: string, ignoreCase = false): StringMatcher {
  return withCase({ exact: value }, ignoreCase);
}

/** A prefix matcher. */
export function prefixMatcher(value: string, ignoreCase = false): StringMatcher {
  return withCase({ prefix: value }, ignoreCase);
}

/** A suffix matcher. */
export function suffixMatcher(value: string, ignoreCase = false): StringMatcher {
  return withCase({ suffix: value }, ignoreCase);
}

/**
 * Istio's `StringMatcherWithPrefix`: `*` is `.+` (present and non-empty, never an empty
 * prefix, which Envoy rejects); `*x` is a suffix (a regex when a prefix must be prepended);
 * `x*` a prefix; anything else exact. `prefix` is prepended (e.g. `spiffe://`).
 */
export function stringMatcher(value: string, prefix = ""): StringMatcher {
  if (value === "*") return regexMatcher(".+");
  if (value.startsWith("*")) {
    return prefix === ""
      ? suffixMatcher(value.slice(1))
      : regexMatcher(`${prefix}.*${quoteMeta(value.slice(1))}`);
  }
  if (value.endsWith("*")) return prefixMatcher(prefix + value.slice(0, -1));
  return exactMatcher(prefix + value);
}

/**
 * A `route.v3.HeaderMatcher`: `*` is a presence match (an empty prefix is invalid in Envoy).
 * Hosts compare case-insensitively (`ignoreCase`), as DNS names do.
 */
export function headerMatcher(name: string, value: string, ignoreCase = false): HeaderMatcher {
  if (value === "*") return { name, present_match: true };
  if (value.startsWith("*"))
    return { name, string_match: suffixMatcher(value.slice(1), ignoreCase) };
  if (value.endsWith("*"))
    return { name, string_match: prefixMatcher(value.slice(0, -1), ignoreCase) };
  return { name, string_match: exactMatcher(value, ignoreCase) };
}

/** A `ValueMatcher` holding a string matcher. */
export function stringValue(m: StringMatcher): ValueMatcher {
  return { string_match: m };
}

/** An OR of value matchers (one matcher stays itself, as Istio's `OrMatcher` does). */
export function orValue(matchers: readonly ValueMatcher[]): ValueMatcher {
  if (matchers.length === 1) return matchers[0] as ValueMatcher;
  return { or_match: { value_matchers: matchers } };
}

/** An OR over Istio-syntax values. */
export function stringOrValue(values: readonly string[]): ValueMatcher {
  return orValue(values.map(v => stringValue(stringMatcher(v))));
}

/** A `MetadataMatcher` on `filter` at path `keys`. */
export function metadataMatcher(
  filter: string,
  keys: readonly string[],
  value: ValueMatcher,
): MetadataMatcher {
  return { filter, path: keys.map(key => ({ key })), value };
}

/**
 * A metadata matcher that accepts `value` either as a scalar or as one element of a list:
 * JWT claims such as `aud` or `groups` may be either (Istio's `MetadataListValueMatcher` with
 * extended JWT matching).
 */
export function metadataListOrScalar(
  filter: string,
  keys: readonly string[],
  value: ValueMatcher,
): MetadataMatcher {
  return metadataMatcher(filter, keys, {
    or_match: { value_matchers: [{ list_match: { one_of: value } }, value] },
  });
}

/** Istio's path templates `{*}` (one segment) and `{**}` (any segments). */
export function containsPathTemplate(path: string): boolean {
  return path.includes("{*}") || path.includes("{**}");
}

/**
 * An Envoy `uri_template` matcher for an Istio path template: `{*}` becomes `*` and `{**}`
 * becomes `**` (`sanitizePathTemplate`).
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/path/match/uri_template/v3/uri_template_match.proto
 */
export function uriTemplate(path: string): ConfigCore_TypedExtensionConfig {
  const template = path.replace(/\{\*\*\}|\{\*\}/g, m => (m === "{**}" ? "**" : "*"));
  return {
    name: "uri-template",
    typed_config: { "@type": Types.uriTemplate, path_template: template },
  };
}
