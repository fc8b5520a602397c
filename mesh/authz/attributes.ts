/**
 * The authorization attributes a rule can use: which side of a rule each lands on (principal or
 * permission), whether its values are taken one by one or together, and which values cannot
 * apply (an HTTP-only attribute on TCP, a malformed address, port or key). What a value matches
 * in a request is in `request-attributes.ts`; the Envoy RBAC matchers are generated from the same
 * table in `xds/compile/security/rbac-attributes.ts`.
 *
 * Attributes: https://istio.io/latest/docs/reference/config/security/conditions/
 * Source of truth: istio/istio pilot/pkg/security/authz/model/generator.go.
 */
import { isCidr, isIPv4, isIPv6 } from "../validation/ip";

/** Which side of an RBAC policy an attribute lands on. */
export type Side = "permission" | "principal";

/**
 * How values are taken: `single` attributes match one value at a time (OR-ed); `extended` ones
 * take all values at once (JWT claims, request principals, metadata).
 */
export type AttributeKind = "single" | "extended";

/** An attribute whose values match one at a time (OR-ed). */
export interface SingleAttribute<Id extends string = AttributeId, S extends Side = Side> {
  readonly id: Id;
  readonly side: S;
  readonly kind: "single";
  /** Why `value` cannot apply (on TCP when `forTCP`), or undefined when it can. */
  readonly check: (key: string, value: string, forTCP: boolean) => string | undefined;
}

/** An attribute whose values are taken together (JWT claims, request principals, metadata). */
export interface ExtendedAttribute<Id extends string = AttributeId, S extends Side = Side> {
  readonly id: Id;
  readonly side: S;
  readonly kind: "extended";
  /** Why `values` cannot apply (on TCP when `forTCP`), or undefined when they can. */
  readonly check: (key: string, values: readonly string[], forTCP: boolean) => string | undefined;
}

/** One attribute: what it is, its side and kind, and why a value of it cannot apply. */
export type Attribute<Id extends string = AttributeId> =
  | SingleAttribute<Id>
  | ExtendedAttribute<Id>;

/** Escapes RE2 metacharacters, like Go's `regexp.QuoteMeta`. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, "\\$&");
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

/**
 * `experimental.envoy.filters.<filter>[<key>]` → the filter and the key, or undefined when the
 * key has no `[...]`.
 */
export function envoyFilterKey(key: string): { filter: string; field: string } | undefined {
  const [filter, field] = key
    .replace(/^experimental\./, "")
    .replace(/\]$/, "")
    .split(/\[(.*)/s);
  return filter === undefined || field === undefined ? undefined : { filter, field };
}

/**
 * Why `value` is not an address or CIDR block Istio's `AddrStrToCidrRange` accepts (Go's
 * `net/netip`: no IPv6 zone), or undefined.
 */
export function cidrProblem(value: string): string | undefined {
  const slash = value.indexOf("/");
  const addr = slash < 0 ? value : value.slice(0, slash);
  if (slash >= 0 && !isCidr(value)) return `${JSON.stringify(value)} is not a valid CIDR block`;
  if (slash < 0 && !(isIPv4(addr) || (isIPv6(addr) && !addr.includes("%"))))
    return `${JSON.stringify(value)} is not a valid IP address`;
  return undefined;
}

/** Go's `strconv.ParseUint(v, 10, 32)` limited to 65535. */
function portProblem(value: string): string | undefined {
  return !/^\d+$/.test(value) || Number(value) > 65535
    ? `invalid port ${JSON.stringify(value)}: must be an integer in [0, 65535]`
    : undefined;
}

const httpOnly = (key: string, forTCP: boolean): string | undefined =>
  forTCP ? `${JSON.stringify(key)} is HTTP only` : undefined;

const never = () => undefined;

// Each attribute keeps its side as a literal type, so the Envoy generators can be typed by it.
const single = <Id extends string, S extends Side>(
  id: Id,
  side: S,
  check: (key: string, value: string, forTCP: boolean) => string | undefined = never,
): SingleAttribute<Id, S> => ({ id, side, kind: "single", check });

const extended = <Id extends string, S extends Side>(
  id: Id,
  side: S,
  check: (key: string, values: readonly string[], forTCP: boolean) => string | undefined,
): ExtendedAttribute<Id, S> => ({ id, side, kind: "extended", check });

/** Every attribute, keyed by id. The Envoy generators in xds/ have one entry per id. */
export const ATTRIBUTES = {
  /** `destination.ip`. */
  destinationIp: single("destinationIp", "permission", (_k, v) => cidrProblem(v)),
  /** `destination.port` and `to.operation.ports`. */
  destinationPort: single("destinationPort", "permission", (_k, v) => portProblem(v)),
  /** `connection.sni`. */
  connectionSni: single("connectionSni", "permission"),
  /** `experimental.envoy.filters.<filter>[<key>]`: dynamic metadata; `[v]` matches in a list. */
  envoyFilterMetadata: extended("envoyFilterMetadata", "permission", key =>
    envoyFilterKey(key) ? undefined : `invalid key: ${key}`,
  ),
  /** `to.operation.hosts`: the `:authority` header, case-insensitive. */
  host: single("host", "permission", (key, _v, forTCP) => httpOnly(key, forTCP)),
  /** `to.operation.methods`: the `:method` header. */
  method: single("method", "permission", (key, _v, forTCP) => httpOnly(key, forTCP)),
  /** `to.operation.paths`: the path without query; `{*}`/`{**}` are path templates. */
  path: single("path", "permission", (key, _v, forTCP) => httpOnly(key, forTCP)),
  /** `source.ip` and `ipBlocks`: the peer address of the connection. */
  sourceIp: single("sourceIp", "principal", (_k, v) => cidrProblem(v)),
  /** `remote.ip` and `remoteIpBlocks`: the client address from X-Forwarded-For or PROXY. */
  remoteIp: single("remoteIp", "principal", (_k, v) => cidrProblem(v)),
  /** `source.namespace` and `namespaces`: the `/ns/<ns>/` segment of the peer identity. */
  sourceNamespace: single("sourceNamespace", "principal"),
  /** `source.trustDomain` and `trustDomains`. */
  sourceTrustDomain: single("sourceTrustDomain", "principal"),
  /** `source.serviceAccount` and `serviceAccounts`: `sa` (in the policy's namespace) or `ns/sa`. */
  serviceAccount: single("serviceAccount", "principal"),
  /** `source.principal` and `principals`: `<td>/ns/<ns>/sa/<sa>` behind `spiffe://`. */
  sourcePrincipal: single("sourcePrincipal", "principal"),
  /** `request.auth.principal` and `requestPrincipals`: `iss/sub` of a verified JWT. */
  requestPrincipal: extended("requestPrincipal", "principal", (key, _v, forTCP) =>
    httpOnly(key, forTCP),
  ),
  /** `request.auth.audiences`: the `aud` claim. */
  requestAudiences: extended("requestAudiences", "principal", (key, _v, forTCP) =>
    httpOnly(key, forTCP),
  ),
  /** `request.auth.presenter`: the `azp` claim. */
  requestPresenter: extended("requestPresenter", "principal", (key, _v, forTCP) =>
    httpOnly(key, forTCP),
  ),
  /** `request.headers[<name>]`. */
  requestHeader: single("requestHeader", "principal", (key, _v, forTCP) => {
    if (forTCP) return httpOnly(key, forTCP);
    return nameInBrackets(key.slice("request.headers".length)) === undefined
      ? `expecting format request.headers[<NAME>], but found ${key}`
      : undefined;
  }),
  /** `request.auth.claims[<claim>]` and nested `request.auth.claims[a][b]`. */
  requestClaim: extended("requestClaim", "principal", (key, _v, forTCP) => {
    if (forTCP) return httpOnly(key, forTCP);
    return namesInNestedBrackets(key.slice("request.auth.claims".length))
      ? undefined
      : `expecting format request.auth.claims[<NAME>], but found ${key}`;
  }),
} as const satisfies { readonly [Id in string]: Attribute<Id> };

/** The id of one of {@link ATTRIBUTES}. */
export type AttributeId = keyof typeof ATTRIBUTES;

/** The attribute of a `when` key; `undefined` for keys Istio does not know. */
export function conditionAttribute(key: string): Attribute | undefined {
  switch (key) {
    case "destination.ip":
      return ATTRIBUTES.destinationIp;
    case "destination.port":
      return ATTRIBUTES.destinationPort;
    case "connection.sni":
      return ATTRIBUTES.connectionSni;
    case "source.ip":
      return ATTRIBUTES.sourceIp;
    case "remote.ip":
      return ATTRIBUTES.remoteIp;
    case "source.namespace":
      return ATTRIBUTES.sourceNamespace;
    case "source.trustDomain":
      return ATTRIBUTES.sourceTrustDomain;
    case "source.serviceAccount":
      return ATTRIBUTES.serviceAccount;
    case "source.principal":
      return ATTRIBUTES.sourcePrincipal;
    case "request.auth.principal":
      return ATTRIBUTES.requestPrincipal;
    case "request.auth.audiences":
      return ATTRIBUTES.requestAudiences;
    case "request.auth.presenter":
      return ATTRIBUTES.requestPresenter;
  }
  if (key.startsWith("experimental.envoy.filters.")) return ATTRIBUTES.envoyFilterMetadata;
  if (key.startsWith("request.headers")) return ATTRIBUTES.requestHeader;
  if (key.startsWith("request.auth.claims")) return ATTRIBUTES.requestClaim;
  return undefined;
}
