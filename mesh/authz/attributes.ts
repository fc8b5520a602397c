/**
 * One generator per authorization attribute: how a value of a source, operation or `when`
 * condition becomes an Envoy RBAC permission or principal.
 *
 * Attributes: https://istio.io/latest/docs/reference/config/security/conditions/
 * Source of truth for the shapes: istio/istio pilot/pkg/security/authz/model/generator.go.
 */
import { FilterNames } from "../../xds/compile/shared/envoy-names";
import { cidrRange } from "./cidr";
import type { EnvoyObject, Permission, Principal } from "../../xds/compile/security/envoy-objects";
import {
  containsPathTemplate,
  exactMatcher,
  headerMatcher,
  metadataListOrScalar,
  metadataMatcher,
  orValue,
  prefixMatcher,
  quoteMeta,
  regexMatcher,
  stringMatcher,
  stringOrValue,
  stringValue,
  suffixMatcher,
  uriTemplate,
  type StringMatcher,
  type ValueMatcher,
} from "./matchers";

/** The result of generating one matcher: a value, nothing (skip), or why it cannot be built. */
export type Generated<T> = { readonly value?: T } | { readonly error: string };

/** Which side of an RBAC policy an attribute lands on. */
export type Side = "permission" | "principal";

/**
 * How an attribute's values are turned into matchers. `single` generators make one matcher per
 * value (OR-ed); `extended` generators take all values at once (JWT claims, metadata).
 */
export type AttributeGenerator =
  | {
      readonly side: Side;
      readonly kind: "single";
      readonly make: (key: string, value: string, forTCP: boolean) => Generated<EnvoyObject>;
    }
  | {
      readonly side: Side;
      readonly kind: "extended";
      readonly make: (
        key: string,
        values: readonly string[],
        forTCP: boolean,
      ) => Generated<EnvoyObject>;
    };

/** The `jwt_authn` filter whose dynamic metadata holds a verified token's payload. */
export const JWT_FILTER = FilterNames.jwtAuthn;
/** The metadata key `jwt_authn` writes the payload under (`payload_in_metadata`). */
export const JWT_PAYLOAD_KEY = "payload";

const httpOnly = (key: string): { error: string } => ({
  error: `${JSON.stringify(key)} is HTTP only`,
});

/** A peer identity matched against the mTLS certificate's URI SAN. */
function authenticated(m: StringMatcher): Principal {
  return { authenticated: { principal_name: m } };
}

function cidr(value: string, wrap: (c: EnvoyObject) => EnvoyObject): Generated<EnvoyObject> {
  const r = cidrRange(value);
  return r.ok ? { value: wrap(r.value) } : { error: r.error };
}

/** Go's `strconv.ParseUint(v, 10, 32)` limited to 65535. */
function port(value: string): Generated<Permission> {
  if (!/^\d+$/.test(value) || Number(value) > 65535) {
    return { error: `invalid port ${JSON.stringify(value)}: must be an integer in [0, 65535]` };
  }
  return { value: { destination_port: Number(value) } };
}

/** `[name]` → name, as Istio's `extractNameInBrackets`. */
export function nameInBrackets(s: string): string | undefined {
  return s.startsWith("[") && s.endsWith("]") ? s.slice(1, -1) : undefined;
}

/** `[a][b]` → [a, b]; `[a.b]` → [a.b]; falls back to the single-bracket form. */
export function namesInNestedBrackets(s: string): string[] | undefined {
  const out: string[] = [];
  for (let begin = 0; begin < s.length; ) {
    const end = s[begin] === "[" ? s.indexOf("]", begin + 1) : -1;
    const nested = end > 0 ? s.indexOf("[", begin + 1) : -1;
    if (end < 0 || (nested >= 0 && nested < end)) {
      const single = nameInBrackets(s);
      return single === undefined ? undefined : [single];
    }
    out.push(s.slice(begin + 1, end));
    begin = end + 1;
  }
  return out;
}

/** A JWT claim (at `claims` under the payload) equal to one of `m`. */
function jwtClaim(claim: string, m: StringMatcher): EnvoyObject {
  return metadataMatcher(JWT_FILTER, [JWT_PAYLOAD_KEY, claim], stringValue(m));
}

const MATCH_ANY = regexMatcher(".+");

/**
 * `requestPrincipals` / `request.auth.principal`: `iss/sub`, split at the last `/` (issuers
 * are often URLs), each half matched in the payload; `*` may start or end the value.
 */
function requestPrincipal(
  key: string,
  values: readonly string[],
  forTCP: boolean,
): Generated<Principal> {
  if (forTCP) return httpOnly(key);
  const or: Principal[] = values.map(value => {
    const idx = value.lastIndexOf("/");
    const found = idx >= 0;
    const iss = found ? value.slice(0, idx) : value;
    const sub = found ? value.slice(idx + 1) : "";
    let matchIss: StringMatcher;
    let matchSub: StringMatcher;
    if (value === "*") {
      matchIss = MATCH_ANY;
      matchSub = MATCH_ANY;
    } else if (value.startsWith("*")) {
      if (found) {
        matchIss = iss === "*" ? MATCH_ANY : suffixMatcher(iss.slice(1));
        matchSub = exactMatcher(sub);
      } else {
        matchIss = MATCH_ANY;
        matchSub = suffixMatcher(value.slice(1));
      }
    } else if (value.endsWith("*")) {
      if (found) {
        matchIss = exactMatcher(iss);
        matchSub = sub === "*" ? MATCH_ANY : prefixMatcher(sub.slice(0, -1));
      } else {
        matchIss = prefixMatcher(value.slice(0, -1));
        matchSub = MATCH_ANY;
      }
    } else {
      matchIss = exactMatcher(iss);
      matchSub = exactMatcher(sub);
    }
    return {
      and_ids: {
        ids: [{ metadata: jwtClaim("iss", matchIss) }, { metadata: jwtClaim("sub", matchSub) }],
      },
    };
  });
  if (or.length === 0) return {};
  return { value: or.length === 1 ? or[0] : { or_ids: { ids: or } } };
}

/** A JWT claim that may be a string or a list of strings (`aud`, `azp`, custom claims). */
function claimList(claims: readonly string[], values: readonly string[]): Principal {
  return {
    metadata: metadataListOrScalar(JWT_FILTER, [JWT_PAYLOAD_KEY, ...claims], stringOrValue(values)),
  };
}

const perValue = (
  side: Side,
  make: (key: string, value: string, forTCP: boolean) => Generated<EnvoyObject>,
): AttributeGenerator => ({ side, kind: "single", make });

const extended = (
  side: Side,
  make: (key: string, values: readonly string[], forTCP: boolean) => Generated<EnvoyObject>,
): AttributeGenerator => ({ side, kind: "extended", make });

/** `destination.ip`. */
export const destinationIp = perValue("permission", (_k, v) =>
  cidr(v, c => ({ destination_ip: c })),
);
/** `destination.port` and `to.operation.ports`. */
export const destinationPort = perValue("permission", (_k, v) => port(v));
/** `connection.sni`. */
export const connectionSni = perValue("permission", (_k, v) => ({
  value: { requested_server_name: stringMatcher(v) },
}));
/** `experimental.envoy.filters.<filter>[<key>]`: dynamic metadata; `[v]` matches in a list. */
export const envoyFilterMetadata = extended("permission", (key, values) => {
  const [filter, field] = key
    .replace(/^experimental\./, "")
    .replace(/\]$/, "")
    .split(/\[(.*)/s);
  if (filter === undefined || field === undefined) return { error: `invalid key: ${key}` };
  const matchers: ValueMatcher[] = values.map(v =>
    v.startsWith("[") && v.endsWith("]")
      ? { list_match: { one_of: stringValue(stringMatcher(v.replace(/^[[\]]+|[[\]]+$/g, ""))) } }
      : stringValue(stringMatcher(v)),
  );
  return { value: { metadata: metadataMatcher(filter, [field], orValue(matchers)) } };
});
/** `to.operation.hosts`: the `:authority` header, case-insensitive. */
export const host = perValue("permission", (key, v, forTCP) =>
  forTCP ? httpOnly(key) : { value: { header: headerMatcher(":authority", v, true) } },
);
/** `to.operation.methods`: the `:method` header. */
export const method = perValue("permission", (key, v, forTCP) =>
  forTCP ? httpOnly(key) : { value: { header: headerMatcher(":method", v) } },
);
/** `to.operation.paths`: the path without query; `{*}`/`{**}` templates use `uri_template`. */
export const path = perValue("permission", (key, v, forTCP) => {
  if (forTCP) return httpOnly(key);
  if (containsPathTemplate(v)) return { value: { uri_template: uriTemplate(v) } };
  return { value: { url_path: { path: stringMatcher(v) } } };
});

/** `source.ip` and `ipBlocks`: the peer address of the connection. */
export const sourceIp = perValue("principal", (_k, v) => cidr(v, c => ({ direct_remote_ip: c })));
/** `remote.ip` and `remoteIpBlocks`: the client address from X-Forwarded-For or PROXY. */
export const remoteIp = perValue("principal", (_k, v) => cidr(v, c => ({ remote_ip: c })));
/** `source.namespace` and `namespaces`: the `/ns/<ns>/` segment of the peer identity. */
export const sourceNamespace = perValue("principal", (_k, v) => ({
  value: authenticated(regexMatcher(`.*/ns/${v.split("*").map(quoteMeta).join(".*")}/.*`)),
}));
/** `source.trustDomain` and `trustDomains`. */
export const sourceTrustDomain = perValue("principal", (_k, v) => {
  if (v === "*") return { value: authenticated(prefixMatcher("spiffe://")) };
  if (!v.includes("*")) return { value: authenticated(prefixMatcher(`spiffe://${v}/`)) };
  const star = v.indexOf("*");
  const escaped = `${quoteMeta(v.slice(0, star))}[^/]*${quoteMeta(v.slice(star + 1))}`;
  return { value: authenticated(regexMatcher(`spiffe://${escaped}/.*`)) };
});
/**
 * `source.serviceAccount` and `serviceAccounts`: `sa` (in the policy's namespace) or `ns/sa`,
 * matched anywhere after the trust domain, and not as a prefix of a longer name.
 */
export function serviceAccount(policyNamespace: string): AttributeGenerator {
  return perValue("principal", (_k, v) => {
    const slash = v.indexOf("/");
    const ns = slash < 0 ? policyNamespace : v.slice(0, slash);
    const sa = slash < 0 ? v : v.slice(slash + 1);
    return {
      value: authenticated(
        regexMatcher(`spiffe://.+/ns/${quoteMeta(ns)}/(.+/|)sa/${quoteMeta(sa)}(/.+)?`),
      ),
    };
  });
}
/** `source.principal` and `principals`: `<td>/ns/<ns>/sa/<sa>` behind `spiffe://`. */
export const sourcePrincipal = perValue("principal", (_k, v) => ({
  value: authenticated(stringMatcher(v, "spiffe://")),
}));
/** `request.auth.principal` and `requestPrincipals`. */
export const requestPrincipalAttr = extended("principal", requestPrincipal);
/** `request.auth.audiences`: the `aud` claim. */
export const requestAudiences = extended("principal", (key, values, forTCP) =>
  forTCP ? httpOnly(key) : { value: claimList(["aud"], values) },
);
/** `request.auth.presenter`: the `azp` claim. */
export const requestPresenter = extended("principal", (key, values, forTCP) =>
  forTCP ? httpOnly(key) : { value: claimList(["azp"], values) },
);
/** `request.headers[<name>]`. */
export const requestHeader = perValue("principal", (key, v, forTCP) => {
  if (forTCP) return httpOnly(key);
  const name = nameInBrackets(key.slice("request.headers".length));
  if (name === undefined)
    return { error: `expecting format request.headers[<NAME>], but found ${key}` };
  return { value: { header: headerMatcher(name, v) } };
});
/** `request.auth.claims[<claim>]` and nested `request.auth.claims[a][b]`. */
export const requestClaim = extended("principal", (key, values, forTCP) => {
  if (forTCP) return httpOnly(key);
  const claims = namesInNestedBrackets(key.slice("request.auth.claims".length));
  if (!claims) return { error: `expecting format request.auth.claims[<NAME>], but found ${key}` };
  return { value: claimList(claims, values) };
});

/** Generators for `when` keys; `undefined` for keys Istio does not know. */
export function conditionGenerator(
  key: string,
  policyNamespace: string,
): AttributeGenerator | undefined {
  switch (key) {
    case "destination.ip":
      return destinationIp;
    case "destination.port":
      return destinationPort;
    case "connection.sni":
      return connectionSni;
    case "source.ip":
      return sourceIp;
    case "remote.ip":
      return remoteIp;
    case "source.namespace":
      return sourceNamespace;
    case "source.trustDomain":
      return sourceTrustDomain;
    case "source.serviceAccount":
      return serviceAccount(policyNamespace);
    case "source.principal":
      return sourcePrincipal;
    case "request.auth.principal":
      return requestPrincipalAttr;
    case "request.auth.audiences":
      return requestAudiences;
    case "request.auth.presenter":
      return requestPresenter;
  }
  if (key.startsWith("experimental.envoy.filters.")) return envoyFilterMetadata;
  if (key.startsWith("request.headers")) return requestHeader;
  if (key.startsWith("request.auth.claims")) return requestClaim;
  return undefined;
}
