/**
 * A small interpreter of the `jwt_authn` filter config Rigging emits, written from Envoy's
 * documentation (not from the builder), so tests can say what an Envoy sidecar would do with a
 * token. It stands in for Envoy because no Envoy binary can run on this machine and
 * grpc-js-xds, our real data plane, has no `jwt_authn`; tests that use it say so.
 *
 * It covers the requirement shape Istio generates: `requires_any` of a provider and
 * `allow_missing`, possibly wrapped in a `requires_any` over several providers. Envoy's rules,
 * for that shape:
 * - a request without a token in any provider's locations passes, with no payload;
 * - a token is checked by the provider whose `issuer` equals the token's `iss`; no such
 *   provider → rejected ("Jwt issuer is not configured");
 * - the signature must verify against that provider's `local_jwks`, `exp`/`nbf` hold with
 *   Envoy's default 60 s clock skew, and `aud` must intersect `audiences` when set;
 * - a rejected request gets 401 and never reaches the RBAC filters.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/jwt_authn/v3/config.proto
 */
import { createLocalJWKSet, decodeJwt, jwtVerify } from "jose";

type O = Record<string, unknown>;
const obj = (v: unknown): O => (v ?? {}) as O;

/** A request as the filter sees it. */
export interface JwtRequest {
  readonly headers?: Readonly<Record<string, string>>;
  readonly query?: Readonly<Record<string, string>>;
}

/** What the filter decides. */
export type JwtOutcome =
  | { readonly status: "passed"; readonly payload?: Readonly<Record<string, unknown>> }
  | { readonly status: "rejected"; readonly reason: string };

interface Location {
  readonly header?: string;
  readonly prefix?: string;
  readonly param?: string;
}

// Envoy's default locations when a provider names none.
const DEFAULT_LOCATIONS: readonly Location[] = [
  { header: "authorization", prefix: "Bearer " },
  { param: "access_token" },
];

function locations(provider: O): Location[] {
  const headers = ((provider.from_headers as O[] | undefined) ?? []).map(h => ({
    header: String(h.name).toLowerCase(),
    prefix: h.value_prefix === undefined ? undefined : String(h.value_prefix),
  }));
  const params = ((provider.from_params as string[] | undefined) ?? []).map(p => ({ param: p }));
  const all = [...headers, ...params];
  return all.length > 0 ? all : [...DEFAULT_LOCATIONS];
}

function extract(request: JwtRequest, where: Location): string | undefined {
  if (where.param !== undefined) return request.query?.[where.param];
  const value = Object.entries(request.headers ?? {}).find(
    ([k]) => k.toLowerCase() === where.header,
  )?.[1];
  if (value === undefined) return undefined;
  if (where.prefix === undefined) return value;
  return value.startsWith(where.prefix) ? value.slice(where.prefix.length) : undefined;
}

async function verify(token: string, provider: O, now: Date): Promise<JwtOutcome> {
  const jwks = JSON.parse(String(obj(provider.local_jwks).inline_string)) as {
    keys: Parameters<typeof createLocalJWKSet>[0]["keys"];
  };
  const audiences = (provider.audiences as string[] | undefined) ?? [];
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks), {
      issuer: String(provider.issuer),
      audience: audiences.length > 0 ? audiences : undefined,
      clockTolerance: 60,
      currentDate: now,
    });
    return { status: "passed", payload };
  } catch (err) {
    return { status: "rejected", reason: (err as Error).message };
  }
}

/** Runs the `jwt_authn` filter's config (its `typed_config`) on one request. */
export async function runJwtAuthn(
  config: Readonly<Record<string, unknown>>,
  request: JwtRequest,
  now = new Date(),
): Promise<JwtOutcome> {
  const providers = Object.values(obj(config.providers)).map(obj);
  let token: string | undefined;
  for (const provider of providers) {
    for (const where of locations(provider)) token ??= extract(request, where);
  }
  if (token === undefined) return { status: "passed" };
  let issuer: unknown;
  try {
    issuer = decodeJwt(token).iss;
  } catch {
    return { status: "rejected", reason: "Jwt is not in the form of Header.Payload.Signature" };
  }
  const provider = providers.find(p => p.issuer === issuer);
  if (!provider) return { status: "rejected", reason: "Jwt issuer is not configured" };
  return verify(token, provider, now);
}
