/**
 * Value rules of AuthorizationPolicy sources, operations and conditions. Rules: Istio's
 * pkg/config/security (CheckEmptyValues, CheckServiceAccount, CheckValidPathTemplate,
 * ValidateAttribute, ValidateIPs, ValidatePorts).
 * https://istio.io/latest/docs/reference/config/security/conditions/
 */
import { isCidr, isIP } from "./ip";

/** Values may not be empty strings. */
export function checkNonEmpty(field: string, values: readonly string[]): string | undefined {
  return values.some(v => v === "") ? `empty value not allowed, found in ${field}` : undefined;
}

/** At most one `*`, only at the start or end (prefix/suffix match). */
export function checkWildcards(field: string, values: readonly string[]): string | undefined {
  const empty = checkNonEmpty(field, values);
  if (empty) return empty;
  for (const v of values) {
    const stars = v.split("*").length - 1;
    if (stars > 1)
      return `at most one wildcard is allowed, found in ${field}: ${JSON.stringify(v)}`;
    if (stars === 1 && v !== "*" && !v.startsWith("*") && !v.endsWith("*")) {
      return `wildcard is only allowed at the start or end, found in ${field}: ${JSON.stringify(v)}`;
    }
  }
  return undefined;
}

/** Trust domains: wildcard rules, and no `/`. */
export function checkTrustDomains(field: string, values: readonly string[]): string | undefined {
  const w = checkWildcards(field, values);
  if (w) return w;
  const bad = values.find(v => v.includes("/"));
  return bad !== undefined
    ? `trust domain must not contain '/', found in ${field}: ${JSON.stringify(bad)}`
    : undefined;
}

/** Service accounts: `sa` or `namespace/sa`, no wildcard, at most 320 characters, at most 16. */
export function checkServiceAccounts(field: string, values: readonly string[]): string | undefined {
  if (values.length > 16) return "may not have more than 16 values";
  for (const v of values) {
    if (v === "") return `empty value not allowed, found in ${field}`;
    if (v.includes("*")) return `wildcard not allowed, found in ${field}`;
    const slashes = v.split("/").length - 1;
    if (slashes > 1)
      return `expected format 'serviceAccount' or 'namespace/serviceAccount', found ${JSON.stringify(v)} in ${field}`;
    if (v.length > 320)
      return `value cannot exceed 320 characters, found ${JSON.stringify(v)} in ${field}`;
    const [ns, sa] = v.split("/");
    if (slashes === 1 && ns === "")
      return `expected format 'serviceAccount' or 'namespace/serviceAccount', found empty namespace ${JSON.stringify(v)} in ${field}`;
    if (slashes === 1 && sa === "")
      return `expected format 'serviceAccount' or 'namespace/serviceAccount', found empty serviceAccount ${JSON.stringify(v)} in ${field}`;
  }
  return undefined;
}

/** IP addresses or CIDR ranges. */
export function checkIPs(values: readonly string[]): string | undefined {
  for (const v of values) {
    if (v.includes("/") ? !isCidr(v) : !isIP(v))
      return v.includes("/") ? `bad CIDR range (${v})` : `bad IP address (${v})`;
  }
  return undefined;
}

/** Ports as decimal strings in 0..65535. */
export function checkPortValues(values: readonly string[]): string | undefined {
  const bad = values.find(v => !/^\d+$/.test(v) || Number(v) > 65535);
  return bad !== undefined ? `bad port (${bad})` : undefined;
}

const ONE = "{*}";
const ANY = "{**}";
const LITERAL = /^[a-zA-Z0-9\-._~%!$&'()+,;:@=]+$/;

/** Path templates: `{*}` for one segment, `{**}` for the rest (last operator only). */
export function checkPathTemplates(field: string, paths: readonly string[]): string | undefined {
  for (const path of paths) {
    const templated = path.includes(ONE) || path.includes(ANY);
    const trimmed = path.replace(/^\/+|\/+$/g, "");
    let sawAny = false;
    for (const glob of trimmed.split("/")) {
      if ((glob === ONE || glob === ANY) && !sawAny) {
        sawAny = glob === ANY;
        continue;
      }
      if (glob === ONE || glob === ANY)
        return `invalid or unsupported path ${trimmed}, found in ${field}. {**} is not the last operator`;
      if (/[{}]/.test(glob))
        return `invalid or unsupported path ${trimmed}, found in ${field}. Contains '{' or '}' beyond a supported path template`;
      if (templated && !LITERAL.test(glob)) {
        return `invalid or unsupported path ${trimmed}, found in ${field}. Contains segment ${glob} with invalid string literal`;
      }
    }
  }
  return undefined;
}

function mapKey(key: string): string | undefined {
  const open = key.indexOf("[");
  return key.endsWith("]") && open > 0 && open < key.length - 2
    ? undefined
    : `bad key (${key}): should have format a[b]`;
}

/**
 * A condition key: a known attribute, with `[name]` for map-like ones.
 * https://istio.io/latest/docs/reference/config/security/conditions/
 */
export function checkAttributeKey(key: string): string | undefined {
  if (
    key.startsWith("request.headers") ||
    key.startsWith("request.auth.claims") ||
    key.startsWith("experimental.envoy.filters.")
  ) {
    return mapKey(key);
  }
  if (key.startsWith("destination.labels"))
    return `attribute ${key} is replaced by the workload selector`;
  switch (key) {
    case "source.ip":
    case "remote.ip":
    case "destination.ip":
    case "source.serviceAccount":
    case "source.trustDomain":
    case "destination.port":
    case "source.namespace":
    case "source.principal":
    case "request.auth.principal":
    case "request.auth.audiences":
    case "request.auth.presenter":
    case "connection.sni":
      return undefined;
    case "destination.namespace":
      return `attribute ${key} is replaced by the metadata.namespace`;
    case "destination.name":
    case "destination.user":
      return `deprecated attribute ${key}: only supported in v1alpha1`;
    default:
      return `unknown attribute: ${key}`;
  }
}

/** The values of a condition on a valid key. */
export function checkAttributeValues(key: string, values: readonly string[]): string | undefined {
  const empty = checkNonEmpty(key, values);
  if (empty) return empty;
  switch (key) {
    case "source.ip":
    case "remote.ip":
    case "destination.ip":
      return checkIPs(values);
    case "source.serviceAccount":
      return checkServiceAccounts(key, values);
    case "source.trustDomain":
      return checkWildcards(key, values);
    case "destination.port":
      return checkPortValues(values);
    default:
      return undefined;
  }
}
