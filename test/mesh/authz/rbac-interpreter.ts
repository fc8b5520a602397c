/**
 * A tiny interpreter of the Envoy RBAC config the builder emits, written from Envoy's docs and
 * not from the evaluator, so `explain-drift.test.ts` can check `explainRequest` against what a
 * proxy would enforce.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/rbac/v3/rbac.proto
 */
import type { NamedFilter } from "../../../xds/compile/security/index";
import type { AuthzRequest } from "../../../mesh/authz/request-attributes";

type O = Record<string, unknown>;
const obj = (v: unknown): O => (v ?? {}) as O;

function ipToBig(ip: string): { v: bigint; w: number } | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(ip))
    return { v: ip.split(".").reduce((a, o) => a * 256n + BigInt(o), 0n), w: 32 };
  if (!ip.includes(":")) return undefined;
  const [l = "", r] = ip.split("::");
  const part = (s: string) => (s ? s.split(":").map(h => BigInt(parseInt(h, 16))) : []);
  const left = part(l);
  const right = r === undefined ? [] : part(r);
  const all = [...left, ...Array(8 - left.length - right.length).fill(0n), ...right];
  return { v: all.reduce((a: bigint, g: bigint) => a * 65536n + g, 0n), w: 128 };
}

function cidr(range: unknown, ip: string | undefined): boolean {
  const r = obj(range);
  const net = ipToBig(String(r.address_prefix));
  const addr = ip === undefined ? undefined : ipToBig(ip);
  if (!net || !addr || net.w !== addr.w) return false;
  const len = Number(obj(r.prefix_len).value ?? net.w);
  const shift = BigInt(net.w - len);
  return net.v >> shift === addr.v >> shift;
}

/** `envoy.type.matcher.v3.StringMatcher`. */
export function str(m: unknown, s: string | undefined): boolean {
  if (s === undefined) return false;
  const x = obj(m);
  const ic = x.ignore_case === true;
  const a = ic ? s.toLowerCase() : s;
  const low = (v: unknown) => (ic ? String(v).toLowerCase() : String(v));
  if ("exact" in x) return a === low(x.exact);
  if ("prefix" in x) return a.startsWith(low(x.prefix));
  if ("suffix" in x) return a.endsWith(low(x.suffix));
  if ("contains" in x) return a.includes(low(x.contains));
  if ("safe_regex" in x) return new RegExp(`^(?:${String(obj(x.safe_regex).regex)})$`, "s").test(s);
  throw new Error(`unknown string matcher ${JSON.stringify(m)}`);
}

/** `envoy.type.matcher.v3.ValueMatcher` against a Struct value. */
export function value(m: unknown, v: unknown): boolean {
  const x = obj(m);
  if ("string_match" in x) return typeof v === "string" && str(x.string_match, v);
  if ("list_match" in x) return Array.isArray(v) && v.some(e => value(obj(x.list_match).one_of, e));
  if ("or_match" in x)
    return (obj(x.or_match).value_matchers as unknown[]).some(vm => value(vm, v));
  if ("present_match" in x) return v !== undefined;
  throw new Error(`unknown value matcher ${JSON.stringify(m)}`);
}

/** What Envoy knows about a request, derived once. */
interface Facts {
  headers: Record<string, string>;
  urlPath?: string;
  uriSan?: string;
  metadata: Record<string, O>;
  req: AuthzRequest;
}

function facts(req: AuthzRequest): Facts {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  if (req.method !== undefined) headers[":method"] = req.method;
  if (req.path !== undefined) headers[":path"] = req.path;
  if (req.host !== undefined) headers[":authority"] = req.host;
  return {
    headers,
    urlPath: req.path?.replace(/[?#].*$/s, ""),
    uriSan: req.principal === undefined ? undefined : `spiffe://${req.principal}`,
    metadata: req.claims ? { "envoy.filters.http.jwt_authn": { payload: req.claims } } : {},
    req,
  };
}

function header(m: unknown, f: Facts): boolean {
  const x = obj(m);
  const v = f.headers[String(x.name).toLowerCase()];
  if (x.present_match === true) return v !== undefined;
  return str(x.string_match, v);
}

function metadata(m: unknown, f: Facts): boolean {
  const x = obj(m);
  let cur: unknown = f.metadata[String(x.filter)];
  for (const k of x.path as { key: string }[])
    cur = cur === undefined ? undefined : obj(cur)[k.key];
  return cur !== undefined && value(x.value, cur);
}

// Envoy's uri_template_internal.cc: `*` is one segment of pchars, `**` any pchars and `/`.
const PCHAR = "a-zA-Z0-9\\-._~%!$&'()+,;:@=";
function template(t: string, path: string | undefined): boolean {
  if (path === undefined) return false;
  const re = t
    .split(/(\*\*|\*)/)
    .map(p =>
      p === "**"
        ? `[${PCHAR}/]*`
        : p === "*"
          ? `[${PCHAR}]+`
          : p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"),
    )
    .join("");
  return new RegExp(`^${re}$`).test(path);
}

function permission(p: unknown, f: Facts): boolean {
  const x = obj(p);
  if (x.any === true) return true;
  if (x.and_rules) return (obj(x.and_rules).rules as unknown[]).every(r => permission(r, f));
  if (x.or_rules) return (obj(x.or_rules).rules as unknown[]).some(r => permission(r, f));
  if (x.not_rule) return !permission(x.not_rule, f);
  if (x.header) return header(x.header, f);
  if (x.url_path) return str(obj(x.url_path).path, f.urlPath);
  if ("destination_port" in x) return f.req.destinationPort === x.destination_port;
  if (x.destination_ip) return cidr(x.destination_ip, f.req.destinationIp);
  if (x.requested_server_name) return str(x.requested_server_name, f.req.sni);
  if (x.metadata) return metadata(x.metadata, f);
  if (x.uri_template)
    return template(String(obj(obj(x.uri_template).typed_config).path_template), f.urlPath);
  throw new Error(`unknown permission ${JSON.stringify(p)}`);
}

function principal(p: unknown, f: Facts): boolean {
  const x = obj(p);
  if (x.any === true) return true;
  if (x.and_ids) return (obj(x.and_ids).ids as unknown[]).every(r => principal(r, f));
  if (x.or_ids) return (obj(x.or_ids).ids as unknown[]).some(r => principal(r, f));
  if (x.not_id) return !principal(x.not_id, f);
  // No peer certificate: nothing to match the principal name against.
  if (x.authenticated) return str(obj(x.authenticated).principal_name, f.uriSan);
  if (x.direct_remote_ip) return cidr(x.direct_remote_ip, f.req.sourceIp);
  if (x.remote_ip) return cidr(x.remote_ip, f.req.remoteIp ?? f.req.sourceIp);
  if (x.header) return header(x.header, f);
  if (x.metadata) return metadata(x.metadata, f);
  throw new Error(`unknown principal ${JSON.stringify(p)}`);
}

/** Names of the policies of an RBAC rule set that match. */
function matching(rules: unknown, f: Facts): string[] {
  const policies = obj(obj(rules).policies) as Record<
    string,
    { permissions: unknown[]; principals: unknown[] }
  >;
  return Object.entries(policies)
    .filter(
      ([, p]) =>
        p.permissions.some(x => permission(x, f)) && p.principals.some(x => principal(x, f)),
    )
    .map(([name]) => name)
    .sort();
}

/** The outcome of a filter chain: allowed or not, and every enforced / shadow policy that matched. */
export interface RbacOutcome {
  allowed: boolean;
  matched: string[];
  shadowMatched: string[];
}

/** One RBAC filter's verdict, and the dynamic metadata it leaves under `envoy.filters.http.rbac`. */
export interface RbacFilterOutcome extends RbacOutcome {
  /**
   * With shadow rules: `<shadow_rules_stat_prefix>shadow_engine_result` ("allowed" | "denied")
   * and, when a shadow policy matched, `<prefix>shadow_effective_policy_id` (the first matching
   * policy name in sorted order, as Envoy's engine walks its ordered policy map).
   */
  metadata: Record<string, string>;
}

/** Runs one RBAC filter (HTTP or network). */
export function runRbacFilter(filter: NamedFilter, req: AuthzRequest): RbacFilterOutcome {
  const f = facts(req);
  const c = filter.typed_config as O;
  const metadata: Record<string, string> = {};
  let shadowMatched: string[] = [];
  if (c.shadow_rules) {
    shadowMatched = matching(c.shadow_rules, f);
    const action = obj(c.shadow_rules).action ?? "ALLOW";
    const prefix = String(c.shadow_rules_stat_prefix ?? "");
    const denied =
      (action === "ALLOW" && shadowMatched.length === 0) ||
      (action === "DENY" && shadowMatched.length > 0);
    const first = shadowMatched[0];
    if (first !== undefined) metadata[`${prefix}shadow_effective_policy_id`] = first;
    metadata[`${prefix}shadow_engine_result`] = denied ? "denied" : "allowed";
  }
  let allowed = true;
  let matched: string[] = [];
  if (c.rules) {
    matched = matching(c.rules, f);
    const action = obj(c.rules).action ?? "ALLOW";
    if (action === "ALLOW" && matched.length === 0) allowed = false;
    if (action === "DENY" && matched.length > 0) allowed = false;
  }
  return { allowed, matched, shadowMatched, metadata };
}

/** Runs the RBAC filters (ext_authz filters pass) in order, as the HTTP or network chain does. */
export function runRbac(filters: readonly NamedFilter[], req: AuthzRequest): RbacOutcome {
  let allowed = true;
  const matched: string[] = [];
  const shadowMatched: string[] = [];
  for (const filter of filters) {
    if (!String(filter.typed_config["@type"]).endsWith(".rbac.v3.RBAC")) continue;
    const one = runRbacFilter(filter, req);
    shadowMatched.push(...one.shadowMatched);
    matched.push(...one.matched);
    if (!one.allowed) allowed = false;
  }
  return { allowed, matched: matched.sort(), shadowMatched: shadowMatched.sort() };
}
