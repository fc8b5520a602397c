/**
 * The ext_authz extension providers of MeshConfig (`meshConfig.extensionProviders[]` with
 * `envoyExtAuthzHttp` or `envoyExtAuthzGrpc`), and what a CUSTOM AuthorizationPolicy's provider
 * name means once resolved against the providers and the service registry: which service and
 * port it sends to, with what timeout and status, or why it cannot be used. The Envoy
 * `ext_authz` filters are built from the result in `xds/compile/security/ext-authz.ts`, which
 * refuses exactly what this module refuses.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/#MeshConfig-ExtensionProvider
 * @see istio/istio pilot/pkg/security/authz/builder/extauthz.go
 */
import { parseDuration } from "../validation/durations";

/** Request body forwarding (`includeRequestBodyInCheck`). */
export interface ExtAuthzRequestBody {
  readonly maxRequestBytes?: number;
  readonly allowPartialMessage?: boolean;
  readonly packAsBytes?: boolean;
}

/** Fields shared by the HTTP and gRPC providers (MeshConfig.ExtensionProvider). */
export interface ExtAuthzCommon {
  /** `<namespace>/<hostname>` or a hostname that exists in one namespace only. */
  readonly service: string;
  readonly port: number;
  /** Go duration string; default 600s. */
  readonly timeout?: string;
  readonly failOpen?: boolean;
  readonly statusOnError?: string;
  readonly includeRequestBodyInCheck?: ExtAuthzRequestBody;
}

/** `envoyExtAuthzHttp`. */
export interface ExtAuthzHttpProvider extends ExtAuthzCommon {
  readonly pathPrefix?: string;
  readonly includeRequestHeadersInCheck?: readonly string[];
  /** Deprecated; used only when `includeRequestHeadersInCheck` is empty. */
  readonly includeHeadersInCheck?: readonly string[];
  readonly includeAdditionalHeadersInCheck?: Readonly<Record<string, string>>;
  readonly headersToUpstreamOnAllow?: readonly string[];
  readonly headersToDownstreamOnDeny?: readonly string[];
  readonly headersToDownstreamOnAllow?: readonly string[];
}

/** `envoyExtAuthzGrpc`. */
export type ExtAuthzGrpcProvider = ExtAuthzCommon;

/** One mesh config extension provider (only the ext_authz kinds matter here). */
export interface ExtensionProvider {
  readonly name: string;
  readonly envoyExtAuthzHttp?: ExtAuthzHttpProvider;
  readonly envoyExtAuthzGrpc?: ExtAuthzGrpcProvider;
}

/** Namespaces in which a service hostname exists (the registry, handed in). */
export type ServiceNamespaces = (hostname: string) => readonly string[];

/** A provider's settings, checked and with its service found in the registry. */
export type ExtAuthzTarget = {
  /** The provider's name (it prefixes the metadata its CUSTOM policies leave). */
  readonly name: string;
  /** The authorizer's service hostname, as the registry knows it. */
  readonly hostname: string;
  readonly port: number;
  /** The check's timeout in nanoseconds (600 s when unset). */
  readonly timeoutNanos: number;
  /** The HTTP status sent when the authorizer cannot be reached, when set. */
  readonly statusOnError?: number;
} & (
  | { readonly kind: "http"; readonly provider: ExtAuthzHttpProvider }
  | { readonly kind: "grpc"; readonly provider: ExtAuthzGrpcProvider }
);

/** The resolved provider, or the errors that make its CUSTOM policies deny. */
export type ExtAuthzResolution =
  | { readonly ok: true; readonly value: ExtAuthzTarget }
  | { readonly ok: false; readonly errors: readonly string[] };

// envoy.type.v3.StatusCode values (envoy/type/v3/http_status.proto): `statusOnError` must be one.
const STATUS_CODES = new Set([
  100, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421,
  422, 423, 424, 426, 428, 429, 431, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

const DEFAULT_TIMEOUT_NANOS = 600e9;

/** Provider names become part of Envoy metadata keys, so they must be lowercase DNS-1123 labels. */
export const EXT_AUTHZ_PROVIDER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Whether Envoy knows `status` as an HTTP status code (`envoy.type.v3.StatusCode`). */
export function isEnvoyStatusCode(status: string): boolean {
  return /^\d+$/.test(status) && STATUS_CODES.has(Number(status));
}

function timeoutNanos(value: string | undefined, errors: string[], field: string): number {
  if (value === undefined) return DEFAULT_TIMEOUT_NANOS;
  const ns = parseDuration(value);
  if (ns === undefined || ns < 0) {
    errors.push(`${field}: invalid duration ${JSON.stringify(value)}`);
    return DEFAULT_TIMEOUT_NANOS;
  }
  return ns;
}

/** The service's hostname in the registry: `<namespace>/<hostname>`, or a hostname in one namespace. */
function lookupHostname(
  service: string,
  namespacesOf: ServiceNamespaces,
  errors: string[],
): string | undefined {
  if (service === "") {
    errors.push("service must not be empty");
    return undefined;
  }
  const parts = service.split("/");
  let hostname: string | undefined;
  if (parts.length === 2) {
    const [ns = "", name = ""] = parts;
    if (namespacesOf(name).includes(ns)) hostname = name;
  } else {
    const namespaces = namespacesOf(service);
    if (namespaces.length > 1) {
      errors.push(
        `found ${service} in multiple namespaces ${namespaces.join(", ")}, specify the namespace explicitly in the format of <Namespace>/<Hostname>`,
      );
      return undefined;
    }
    if (namespaces.length === 1) hostname = service;
  }
  if (hostname === undefined) {
    errors.push(`could not find service ${service} in the service registry`);
    return undefined;
  }
  return hostname;
}

function common(p: ExtAuthzCommon, namespacesOf: ServiceNamespaces, errors: string[]) {
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
    errors.push(`port must be in the range [1, 65535], found: ${p.port}`);
  }
  const hostname = lookupHostname(p.service, namespacesOf, errors);
  let statusOnError: number | undefined;
  if (p.statusOnError !== undefined && p.statusOnError !== "") {
    if (!isEnvoyStatusCode(p.statusOnError))
      errors.push(`unsupported statusOnError ${p.statusOnError}`);
    else statusOnError = Number(p.statusOnError);
  }
  return { hostname, statusOnError, timeoutNanos: timeoutNanos(p.timeout, errors, "timeout") };
}

/** Istio's rules for the HTTP-only fields. */
function httpErrors(p: ExtAuthzHttpProvider, errors: string[]): void {
  if (p.pathPrefix && !p.pathPrefix.startsWith("/")) {
    errors.push(`pathPrefix must begin with \`/\`, found: ${JSON.stringify(p.pathPrefix)}`);
  }
  for (const [field, values] of [
    ["includeRequestHeadersInCheck", p.includeRequestHeadersInCheck],
    ["includeHeadersInCheck", p.includeHeadersInCheck],
    ["headersToDownstreamOnDeny", p.headersToDownstreamOnDeny],
    ["headersToDownstreamOnAllow", p.headersToDownstreamOnAllow],
    ["headersToUpstreamOnAllow", p.headersToUpstreamOnAllow],
  ] as const) {
    if (values?.includes("*")) {
      errors.push(
        `a single wildcard ("*") is not supported, change it to either prefix or suffix match: ${field}`,
      );
    }
  }
}

/**
 * Resolves `providerName` from the mesh config's providers. Errors (unknown or duplicate
 * provider, bad name, service, port, timeout or status) are returned so the caller can fail
 * closed.
 */
export function resolveExtAuthzProvider(
  providers: readonly ExtensionProvider[],
  providerName: string,
  namespacesOf: ServiceNamespaces,
): ExtAuthzResolution {
  const matching = providers.filter(p => p.name === providerName);
  if (matching.length === 0) {
    const known = providers.map(p => p.name).join(", ");
    return {
      ok: false,
      errors: [`available providers are [${known}] but found ${JSON.stringify(providerName)}`],
    };
  }
  if (matching.length > 1)
    return {
      ok: false,
      errors: [`extension provider name must be unique, found duplicate: ${providerName}`],
    };
  const p = matching[0] as ExtensionProvider;
  if (!EXT_AUTHZ_PROVIDER_NAME.test(p.name)) {
    return {
      ok: false,
      errors: [
        `invalid provider name ${JSON.stringify(p.name)}: must be a lowercase DNS-1123 label`,
      ],
    };
  }
  const config = p.envoyExtAuthzHttp ?? p.envoyExtAuthzGrpc;
  if (!config)
    return { ok: false, errors: [`extension provider ${p.name} is not an ext_authz provider`] };
  const errors: string[] = [];
  const { hostname, statusOnError, timeoutNanos } = common(config, namespacesOf, errors);
  if (p.envoyExtAuthzHttp) httpErrors(p.envoyExtAuthzHttp, errors);
  if (errors.length > 0 || hostname === undefined) return { ok: false, errors };
  const base = {
    name: p.name,
    hostname,
    port: config.port,
    timeoutNanos,
    ...(statusOnError === undefined ? {} : { statusOnError }),
  };
  return {
    ok: true,
    value: p.envoyExtAuthzHttp
      ? { ...base, kind: "http", provider: p.envoyExtAuthzHttp }
      : { ...base, kind: "grpc", provider: config },
  };
}
