/**
 * One Envoy RBAC generator per authorization attribute (`ATTRIBUTES` in
 * `mesh/authz/attributes.ts`): how a value of a source, operation or `when` condition becomes an
 * Envoy RBAC permission or principal. The mesh table says which values cannot apply; a value it
 * accepts always generates.
 *
 * Attributes: https://istio.io/latest/docs/reference/config/security/conditions/
 * Source of truth for the shapes: istio/istio pilot/pkg/security/authz/model/generator.go.
 */
import {
  envoyFilterKey,
  nameInBrackets,
  namesInNestedBrackets,
  quoteMeta,
  type ATTRIBUTES,
  type AttributeId,
  type ExtendedAttribute,
  type Side,
  type SingleAttribute,
} from "../../../mesh/authz/attributes";
import type { CidrRange, MetadataMatcher } from "../shared/envoy";
import { FilterNames } from "../shared/envoy-names";
import { cidrRange } from "./rbac-cidr";
import type { Permission, Principal } from "./envoy-objects";
import {
  containsPathTemplate,
  exactMatcher,
  headerMatcher,
  metadataListOrScalar,
  metadataMatcher,
  orValue,
  prefixMatcher,
  regexMatcher,
  stringMatcher,
  stringOrValue,
  stringValue,
  suffixMatcher,
  uriTemplate,
  type StringMatcher,
  type ValueMatcher,
} from "./rbac-matchers";

/** The result of generating one matcher: a value, nothing (skip), or why it cannot be built. */
export type Generated<T> = { readonly value?: T } | { readonly error: string };

/** What an attribute of `side` generates: an RBAC permission or principal. */
export type RbacMatcherOf<S extends Side> = S extends "permission" ? Permission : Principal;

/** The `jwt_authn` filter whose dynamic metadata holds a verified token's payload. */
export const JWT_FILTER = FilterNames.jwtAuthn;
/** The metadata key `jwt_authn` writes the payload under (`payload_in_metadata`). */
export const JWT_PAYLOAD_KEY = "payload";

/** A value the mesh table accepted but this generator cannot read: a programmer error. */
function accepted<T>(value: T | undefined, key: string): T {
  if (value === undefined) throw new Error(`attribute ${key}: checked value does not generate`);
  return value;
}

/** A peer identity matched against the mTLS certificate's URI SAN. */
function authenticated(m: StringMatcher): Principal {
  return { authenticated: { principal_name: m } };
}

function cidr<T>(value: string, wrap: (c: CidrRange) => T): T {
  const r = cidrRange(value);
  return wrap(accepted(r.ok ? r.value : undefined, value));
}

/** A JWT claim (at `claims` under the payload) equal to one of `m`. */
function jwtClaim(claim: string, m: StringMatcher): MetadataMatcher {
  return metadataMatcher(JWT_FILTER, [JWT_PAYLOAD_KEY, claim], stringValue(m));
}

const MATCH_ANY = regexMatcher(".+");

/**
 * `requestPrincipals` / `request.auth.principal`: `iss/sub`, split at the last `/` (issuers
 * are often URLs), each half matched in the payload; `*` may start or end the value.
 */
function requestPrincipal(values: readonly string[]): Principal | undefined {
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
  if (or.length === 0) return undefined;
  return or.length === 1 ? or[0] : { or_ids: { ids: or } };
}

/** A JWT claim that may be a string or a list of strings (`aud`, `azp`, custom claims). */
function claimList(claims: readonly string[], values: readonly string[]): Principal {
  return {
    metadata: metadataListOrScalar(JWT_FILTER, [JWT_PAYLOAD_KEY, ...claims], stringOrValue(values)),
  };
}

/** Generates one value of a `single` attribute; `namespace` is the policy's. */
type OneValue<T> = (key: string, value: string, namespace: string) => T;
/** Generates all values of an `extended` attribute at once (nothing for no values). */
type AllValues<T> = (key: string, values: readonly string[]) => T | undefined;

/**
 * One generator per attribute id, of the attribute's kind, returning a permission or a
 * principal by the attribute's side: a new attribute needs one here.
 */
const GENERATORS: {
  readonly [Id in AttributeId]: (typeof ATTRIBUTES)[Id] extends SingleAttribute<Id, infer S>
    ? OneValue<RbacMatcherOf<S>>
    : (typeof ATTRIBUTES)[Id] extends ExtendedAttribute<Id, infer S>
      ? AllValues<RbacMatcherOf<S>>
      : never;
} = {
  destinationIp: (_k, v) => cidr(v, c => ({ destination_ip: c })),
  destinationPort: (_k, v) => ({ destination_port: Number(v) }),
  connectionSni: (_k, v) => ({ requested_server_name: stringMatcher(v) }),
  envoyFilterMetadata: (key, values) => {
    const { filter, field } = accepted(envoyFilterKey(key), key);
    const matchers: ValueMatcher[] = values.map(v =>
      v.startsWith("[") && v.endsWith("]")
        ? { list_match: { one_of: stringValue(stringMatcher(v.replace(/^[[\]]+|[[\]]+$/g, ""))) } }
        : stringValue(stringMatcher(v)),
    );
    return { metadata: metadataMatcher(filter, [field], orValue(matchers)) };
  },
  host: (_k, v) => ({ header: headerMatcher(":authority", v, true) }),
  method: (_k, v) => ({ header: headerMatcher(":method", v) }),
  path: (_k, v) =>
    containsPathTemplate(v)
      ? { uri_template: uriTemplate(v) }
      : { url_path: { path: stringMatcher(v) } },
  sourceIp: (_k, v) => cidr(v, c => ({ direct_remote_ip: c })),
  remoteIp: (_k, v) => cidr(v, c => ({ remote_ip: c })),
  sourceNamespace: (_k, v) =>
    authenticated(regexMatcher(`.*/ns/${v.split("*").map(quoteMeta).join(".*")}/.*`)),
  sourceTrustDomain: (_k, v) => {
    if (v === "*") return authenticated(prefixMatcher("spiffe://"));
    if (!v.includes("*")) return authenticated(prefixMatcher(`spiffe://${v}/`));
    const star = v.indexOf("*");
    const escaped = `${quoteMeta(v.slice(0, star))}[^/]*${quoteMeta(v.slice(star + 1))}`;
    return authenticated(regexMatcher(`spiffe://${escaped}/.*`));
  },
  // `sa` (in the policy's namespace) or `ns/sa`, matched anywhere after the trust domain, and
  // not as a prefix of a longer name.
  serviceAccount: (_k, v, policyNamespace) => {
    const slash = v.indexOf("/");
    const ns = slash < 0 ? policyNamespace : v.slice(0, slash);
    const sa = slash < 0 ? v : v.slice(slash + 1);
    return authenticated(
      regexMatcher(`spiffe://.+/ns/${quoteMeta(ns)}/(.+/|)sa/${quoteMeta(sa)}(/.+)?`),
    );
  },
  sourcePrincipal: (_k, v) => authenticated(stringMatcher(v, "spiffe://")),
  requestPrincipal: (_k, values) => requestPrincipal(values),
  requestAudiences: (_k, values) => claimList(["aud"], values),
  requestPresenter: (_k, values) => claimList(["azp"], values),
  requestHeader: (key, v) => ({
    header: headerMatcher(accepted(nameInBrackets(key.slice("request.headers".length)), key), v),
  }),
  requestClaim: (key, values) =>
    claimList(
      accepted(namesInNestedBrackets(key.slice("request.auth.claims".length)), key),
      values,
    ),
};

/**
 * The matcher of one value of a `single` attribute, or why the value cannot apply (the mesh
 * table's check: HTTP-only on TCP, a malformed address or port).
 */
export function generateValue<S extends Side>(
  attribute: SingleAttribute<AttributeId, S>,
  key: string,
  value: string,
  forTCP: boolean,
  policyNamespace: string,
): Generated<RbacMatcherOf<S>> {
  const error = attribute.check(key, value, forTCP);
  if (error !== undefined) return { error };
  // The table is keyed by id; an id's entry generates for that attribute's side.
  const generate = GENERATORS[attribute.id] as OneValue<RbacMatcherOf<S>>;
  return { value: generate(key, value, policyNamespace) };
}

/** The matcher of all values of an `extended` attribute, or why they cannot apply. */
export function generateValues<S extends Side>(
  attribute: ExtendedAttribute<AttributeId, S>,
  key: string,
  values: readonly string[],
  forTCP: boolean,
): Generated<RbacMatcherOf<S>> {
  const error = attribute.check(key, values, forTCP);
  if (error !== undefined) return { error };
  // The table is keyed by id; an id's entry generates for that attribute's side.
  const generate = GENERATORS[attribute.id] as AllValues<RbacMatcherOf<S>>;
  const value = generate(key, values);
  return value === undefined ? {} : { value };
}
