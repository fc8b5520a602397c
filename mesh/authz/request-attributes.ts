/**
 * A described request, and how each authorization attribute reads it: the Istio-value
 * semantics the generators in `xds/compile/security/rbac-attributes.ts` compile to Envoy matchers, evaluated directly
 * (`*`, `prefix*`, `*suffix`, exact; peer identities behind `spiffe://`; JWT claims as string
 * or list). `explain-drift.test.ts` checks these against the compiled RBAC so the two agree.
 *
 * @see https://istio.io/latest/docs/reference/config/security/conditions/
 */
import { namesInNestedBrackets, nameInBrackets, quoteMeta } from "./attributes";
import { ipInCidr } from "./ip-match";

/** What a request looks like to the server-side proxy. */
export interface AuthzRequest {
  /** HTTP filter chain or TCP (no methods, paths, hosts, headers or JWT). Default HTTP. */
  readonly protocol?: "HTTP" | "TCP";
  /** Peer identity from the mTLS certificate, without `spiffe://`: `cluster.local/ns/N/sa/S`. */
  readonly principal?: string;
  /** Peer address of the connection (`source.ip`). */
  readonly sourceIp?: string;
  /** Original client address (`remote.ip`, from X-Forwarded-For); defaults to `sourceIp`. */
  readonly remoteIp?: string;
  readonly destinationIp?: string;
  readonly destinationPort?: number;
  /** TLS SNI (`connection.sni`). */
  readonly sni?: string;
  readonly method?: string;
  /** `:path`; the query and fragment are ignored, as Envoy's `url_path` does. */
  readonly path?: string;
  /** `:authority`. */
  readonly host?: string;
  /** Request headers; names compare case-insensitively. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The payload of a verified JWT; absent when the request carries none. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** The outcome of one attribute value against the request, with what was compared. */
export interface ValueOutcome {
  readonly match: boolean;
  /** What the request had, for people: `"/api/v1"`, `(no peer identity)`. */
  readonly actual: string;
}

const show = (v: unknown, missing: string) => (v === undefined ? missing : JSON.stringify(v));
const NO_PEER = "(no peer identity: plaintext)";
const NO_JWT = "(no verified JWT)";

/**
 * Istio's value syntax: `*` is any non-empty value, `*x` a suffix, `x*` a prefix, otherwise
 * exact (a leading `*` wins over a trailing one, as in `xds/compile/security/rbac-matchers.ts`).
 */
export function istioValueMatches(pattern: string, actual: string, ignoreCase = false): boolean {
  const a = ignoreCase ? actual.toLowerCase() : actual;
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  if (p === "*") return a.length > 0;
  if (p.startsWith("*")) return a.endsWith(p.slice(1));
  if (p.endsWith("*")) return a.startsWith(p.slice(0, -1));
  return a === p;
}

/** Header semantics: `*` means present (even if empty); otherwise Istio's value syntax. */
function headerMatches(pattern: string, actual: string | undefined, ignoreCase = false) {
  if (actual === undefined) return false;
  return pattern === "*" || istioValueMatches(pattern, actual, ignoreCase);
}

const fullRegex = (re: string, s: string) => new RegExp(`^(?:${re})$`, "s").test(s);

// RFC 3986 pchars without `/`: what Envoy's `uri_template` lets a `*` span.
const PCHAR = "a-zA-Z0-9\\-._~%!$&'()+,;:@=";

/**
 * Envoy `uri_template`: `{*}` is one non-empty segment, `{**}` the rest of the path (zero or
 * more segments, and the `/` before it stays literal).
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/path/match/uri_template/v3/uri_template_match.proto
 */
export function pathTemplateMatches(template: string, path: string): boolean {
  const re = template
    .split(/(\{\*\*\}|\{\*\})/)
    .map(part =>
      part === "{**}" ? `[${PCHAR}/]*` : part === "{*}" ? `[${PCHAR}]+` : quoteMeta(part),
    )
    .join("");
  return fullRegex(re, path);
}

function header(req: AuthzRequest, name: string): string | undefined {
  const lower = name.toLowerCase();
  if (lower === ":method") return req.method;
  if (lower === ":path") return req.path;
  if (lower === ":authority" || lower === "host") return req.host;
  const hit = Object.entries(req.headers ?? {}).find(([k]) => k.toLowerCase() === lower);
  return hit?.[1];
}

/** The claim at `keys` (nested objects), or undefined. */
function claimAt(claims: Readonly<Record<string, unknown>> | undefined, keys: readonly string[]) {
  let cur: unknown = claims;
  for (const k of keys) {
    if (typeof cur !== "object" || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[k];
  }
  return cur;
}

/** A claim that is a string matching, or a list holding a string matching, any pattern. */
function claimListMatches(claim: unknown, patterns: readonly string[]): boolean {
  const one = (v: unknown) => typeof v === "string" && patterns.some(p => istioValueMatches(p, v));
  return one(claim) || (Array.isArray(claim) && claim.some(one));
}

/** `iss/sub` against the claims, split at the last `/` as `xds/compile/security/rbac-attributes.ts` does. */
function requestPrincipalMatches(value: string, claims: AuthzRequest["claims"]): boolean {
  const iss = claimAt(claims, ["iss"]);
  const sub = claimAt(claims, ["sub"]);
  if (typeof iss !== "string" || typeof sub !== "string") return false;
  const nonEmpty = (s: string) => s.length > 0;
  const idx = value.lastIndexOf("/");
  const found = idx >= 0;
  const vIss = found ? value.slice(0, idx) : value;
  const vSub = found ? value.slice(idx + 1) : "";
  if (value === "*") return nonEmpty(iss) && nonEmpty(sub);
  if (value.startsWith("*")) {
    if (!found) return nonEmpty(iss) && sub.endsWith(value.slice(1));
    return (vIss === "*" ? nonEmpty(iss) : iss.endsWith(vIss.slice(1))) && sub === vSub;
  }
  if (value.endsWith("*")) {
    if (!found) return iss.startsWith(value.slice(0, -1)) && nonEmpty(sub);
    return iss === vIss && (vSub === "*" ? nonEmpty(sub) : sub.startsWith(vSub.slice(0, -1)));
  }
  return iss === vIss && sub === vSub;
}

/** The request principal the claims make, for messages. */
const requestPrincipalOf = (claims: AuthzRequest["claims"]) => {
  const iss = claimAt(claims, ["iss"]);
  const sub = claimAt(claims, ["sub"]);
  return typeof iss === "string" && typeof sub === "string" ? `${iss}/${sub}` : undefined;
};

function peer(req: AuthzRequest, test: (uri: string) => boolean): ValueOutcome {
  if (req.principal === undefined) return { match: false, actual: NO_PEER };
  return { match: test(`spiffe://${req.principal}`), actual: JSON.stringify(req.principal) };
}

function ip(actual: string | undefined, cidr: string, missing: string): ValueOutcome {
  return { match: actual !== undefined && ipInCidr(actual, cidr), actual: show(actual, missing) };
}

/**
 * One value of a per-value attribute (`key` as in `rule-model.ts`) against the request.
 * `policyNamespace` completes a bare `serviceAccounts` entry.
 */
export function valueOutcome(
  key: string,
  value: string,
  req: AuthzRequest,
  policyNamespace: string,
): ValueOutcome {
  switch (key) {
    case "source.ip":
      return ip(req.sourceIp, value, "(no source IP)");
    case "remote.ip":
      return ip(req.remoteIp ?? req.sourceIp, value, "(no remote IP)");
    case "destination.ip":
      return ip(req.destinationIp, value, "(no destination IP)");
    case "source.namespace":
      return peer(req, uri =>
        fullRegex(`.*/ns/${value.split("*").map(quoteMeta).join(".*")}/.*`, uri),
      );
    case "source.trustDomain":
      return peer(req, uri => {
        if (value === "*") return uri.startsWith("spiffe://");
        if (!value.includes("*")) return uri.startsWith(`spiffe://${value}/`);
        const star = value.indexOf("*");
        const td = `${quoteMeta(value.slice(0, star))}[^/]*${quoteMeta(value.slice(star + 1))}`;
        return fullRegex(`spiffe://${td}/.*`, uri);
      });
    case "source.serviceAccount": {
      const slash = value.indexOf("/");
      const ns = slash < 0 ? policyNamespace : value.slice(0, slash);
      const sa = slash < 0 ? value : value.slice(slash + 1);
      return peer(req, uri =>
        fullRegex(`spiffe://.+/ns/${quoteMeta(ns)}/(.+/|)sa/${quoteMeta(sa)}(/.+)?`, uri),
      );
    }
    case "source.principal":
      return peer(req, uri => {
        const p = uri.slice("spiffe://".length);
        // `*` needs a non-empty URI SAN; `spiffe://` alone still counts (Envoy matches `.+`).
        return value === "*" ? uri.length > 0 : istioValueMatches(value, p);
      });
    case "destination.port":
      return {
        match: req.destinationPort !== undefined && req.destinationPort === Number(value),
        actual: show(req.destinationPort, "(no destination port)"),
      };
    case "connection.sni":
      return {
        match: req.sni !== undefined && istioValueMatches(value, req.sni),
        actual: show(req.sni, "(no SNI)"),
      };
    case "path-matcher": {
      const path = req.path?.split(/[?#]/)[0];
      const match =
        path !== undefined &&
        (value.includes("{*}") || value.includes("{**}")
          ? pathTemplateMatches(value, path)
          : istioValueMatches(value, path));
      return { match, actual: show(path, "(no path)") };
    }
    case ":method":
      return { match: headerMatches(value, req.method), actual: show(req.method, "(no method)") };
    case ":authority":
      return { match: headerMatches(value, req.host, true), actual: show(req.host, "(no host)") };
  }
  if (key.startsWith("request.headers")) {
    const name = nameInBrackets(key.slice("request.headers".length)) ?? "";
    const actual = header(req, name);
    return { match: headerMatches(value, actual), actual: show(actual, `(no ${name} header)`) };
  }
  return { match: false, actual: "(not known to rig: treated as absent)" };
}

/**
 * All values of an attribute that matches as a set (JWT claims, request principals, Envoy
 * metadata): true when any value matches.
 */
export function valuesOutcome(
  key: string,
  values: readonly string[],
  req: AuthzRequest,
): ValueOutcome {
  const claims = req.claims;
  if (key === "request.auth.principal") {
    return {
      match: values.some(v => requestPrincipalMatches(v, claims)),
      actual: show(requestPrincipalOf(claims), NO_JWT),
    };
  }
  const path =
    key === "request.auth.audiences"
      ? ["aud"]
      : key === "request.auth.presenter"
        ? ["azp"]
        : key.startsWith("request.auth.claims")
          ? namesInNestedBrackets(key.slice("request.auth.claims".length))
          : undefined;
  if (!path)
    return { match: false, actual: "(Envoy metadata: not known to rig, treated as absent)" };
  const claim = claimAt(claims, path);
  const missing = claims === undefined ? NO_JWT : `(no ${path.join(".")} claim)`;
  return { match: claimListMatches(claim, values), actual: show(claim, missing) };
}
