/**
 * CUSTOM action: the mesh config's `extensionProviders` (envoyExtAuthzHttp / envoyExtAuthzGrpc)
 * as Envoy `ext_authz` filters. The RBAC filter in front of them only *evaluates* the CUSTOM
 * rules (shadow mode) and leaves the matched policy id in dynamic metadata; ext_authz runs only
 * when that id carries the provider's prefix.
 *
 * @see istio/istio pilot/pkg/security/authz/builder/extauthz.go
 * @see https://istio.io/latest/docs/tasks/security/authorization/authz-custom/
 */
import { parseDuration } from "../../../mesh/validation/durations";
import { FilterNames, Types } from "../shared/envoy-names";
import { withoutUndefined as drop } from "../shared/xds-util";
import type {
  AnyOf,
  AuthorizationResponse,
  BufferSettings,
  Duration,
  GrpcService,
  ExtAuthz_HttpService,
  HttpStatus,
  ListStringMatcher,
  MetadataMatcher,
} from "../shared/envoy";

/** Request body forwarding (`includeRequestBodyInCheck`). */
export interface ExtAuthzRequestBody {
  readonly maxRequestBytes?: number;
  readonly allowPartialMessage?: boolean;
  readonly packAsBytes?: boolean;
}

/** Fields shared by the HTTP and gRPC providers (MeshConfig.ExtensionProvider). */
interface ExtAuthzCommon {
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

/** A provider resolved into filter configs, or the errors that make its policies deny. */
export type ResolvedProvider =
  | {
      readonly ok: true;
      readonly http: AnyOf<typeof Types.httpExtAuthz>;
      readonly tcp?: AnyOf<typeof Types.networkExtAuthz>;
      /** The authorizer's service hostname and port, which the proxy needs a cluster for. */
      readonly hostname: string;
      readonly port: number;
    }
  | { readonly ok: false; readonly errors: readonly string[] };

/** Prefix of CUSTOM policy names, and of the metadata the RBAC filter leaves for ext_authz. */
export const EXT_AUTHZ_MATCH_PREFIX = "istio-ext-authz";
/** Stat prefix of the shadow rules that evaluate CUSTOM policies. */
export const EXT_AUTHZ_SHADOW_STAT_PREFIX = "istio_ext_authz_";

// envoy.type.v3.StatusCode values (envoy/type/v3/http_status.proto).
const STATUS_CODES = new Set([
  100, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 421,
  422, 423, 424, 426, 428, 429, 431, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

function duration(value: string | undefined, errors: string[], field: string): Duration {
  if (value === undefined) return { seconds: 600 };
  const ns = parseDuration(value);
  if (ns === undefined || ns < 0) {
    errors.push(`${field}: invalid duration ${JSON.stringify(value)}`);
    return { seconds: 600 };
  }
  const seconds = Math.floor(ns / 1e9);
  const nanos = Math.round(ns - seconds * 1e9);
  return nanos === 0 ? { seconds } : { seconds, nanos };
}

/** `ListStringMatcher` of header names: `x-*` prefix, `*-x` suffix, else exact; case-insensitive. */
function headerList(headers: readonly string[] | undefined): ListStringMatcher | undefined {
  if (!headers || headers.length === 0) return undefined;
  return {
    patterns: headers.map(h =>
      h.startsWith("*")
        ? { suffix: h.slice(1), ignore_case: true }
        : h.endsWith("*")
          ? { prefix: h.slice(0, -1), ignore_case: true }
          : { exact: h, ignore_case: true },
    ),
  };
}

/** The metadata match that turns ext_authz on for policies of `provider` only. */
export function filterEnabledMetadata(rbacFilter: string, provider: string): MetadataMatcher {
  return {
    filter: rbacFilter,
    path: [{ key: `${EXT_AUTHZ_SHADOW_STAT_PREFIX}shadow_effective_policy_id` }],
    value: { string_match: { prefix: `${EXT_AUTHZ_MATCH_PREFIX}-${provider}` } },
  };
}

function lookupCluster(
  service: string,
  port: number,
  namespacesOf: ServiceNamespaces,
  errors: string[],
): { hostname: string; cluster: string } | undefined {
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
  return { hostname, cluster: `outbound|${port}||${hostname}` };
}

function common(p: ExtAuthzCommon, namespacesOf: ServiceNamespaces, errors: string[]) {
  if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
    errors.push(`port must be in the range [1, 65535], found: ${p.port}`);
  }
  const target = lookupCluster(p.service, p.port, namespacesOf, errors);
  let status: HttpStatus | undefined;
  if (p.statusOnError !== undefined && p.statusOnError !== "") {
    const code = /^\d+$/.test(p.statusOnError) ? Number(p.statusOnError) : NaN;
    if (!STATUS_CODES.has(code)) errors.push(`unsupported statusOnError ${p.statusOnError}`);
    else status = { code };
  }
  const body = p.includeRequestBodyInCheck;
  const withBody: BufferSettings | undefined = body
    ? {
        max_request_bytes: body.maxRequestBytes ?? 0,
        allow_partial_message: body.allowPartialMessage ?? false,
        pack_as_bytes: body.packAsBytes ?? false,
      }
    : undefined;
  return { target, status, withBody, timeout: duration(p.timeout, errors, "timeout") };
}

function resolveHttp(
  p: ExtAuthzHttpProvider,
  provider: string,
  namespacesOf: ServiceNamespaces,
): ResolvedProvider {
  const errors: string[] = [];
  const { target, status, withBody, timeout } = common(p, namespacesOf, errors);
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
  if (errors.length > 0 || !target) return { ok: false, errors };
  const extra = Object.keys(p.includeAdditionalHeadersInCheck ?? {}).sort();
  const needResponse =
    (p.headersToUpstreamOnAllow?.length ?? 0) > 0 ||
    (p.headersToDownstreamOnDeny?.length ?? 0) > 0 ||
    (p.headersToDownstreamOnAllow?.length ?? 0) > 0;
  const service = drop<ExtAuthz_HttpService>({
    path_prefix: p.pathPrefix || undefined,
    server_uri: { timeout, uri: `http://${target.hostname}`, cluster: target.cluster },
    authorization_request:
      extra.length > 0
        ? {
            headers_to_add: extra.map(key => ({
              key,
              value: p.includeAdditionalHeadersInCheck?.[key] ?? "",
            })),
          }
        : undefined,
    authorization_response: needResponse
      ? drop<AuthorizationResponse>({
          allowed_upstream_headers: headerList(p.headersToUpstreamOnAllow),
          allowed_client_headers: headerList(p.headersToDownstreamOnDeny),
          allowed_client_headers_on_success: headerList(p.headersToDownstreamOnAllow),
        })
      : undefined,
  });
  const allowed = headerList(p.includeRequestHeadersInCheck) ?? headerList(p.includeHeadersInCheck);
  return {
    ok: true,
    hostname: target.hostname,
    port: p.port,
    http: drop<AnyOf<typeof Types.httpExtAuthz>>({
      "@type": Types.httpExtAuthz,
      status_on_error: status,
      failure_mode_allow: p.failOpen || undefined,
      transport_api_version: "V3",
      http_service: service,
      filter_enabled_metadata: filterEnabledMetadata(FilterNames.httpRbac, provider),
      with_request_body: withBody,
      allowed_headers: allowed,
    }),
  };
}

function resolveGrpc(
  p: ExtAuthzGrpcProvider,
  provider: string,
  namespacesOf: ServiceNamespaces,
): ResolvedProvider {
  const errors: string[] = [];
  const { target, status, withBody, timeout } = common(p, namespacesOf, errors);
  if (errors.length > 0 || !target) return { ok: false, errors };
  const grpc: GrpcService = {
    envoy_grpc: { cluster_name: target.cluster, authority: target.hostname },
    timeout,
  };
  return {
    ok: true,
    hostname: target.hostname,
    port: p.port,
    http: drop<AnyOf<typeof Types.httpExtAuthz>>({
      "@type": Types.httpExtAuthz,
      status_on_error: status,
      failure_mode_allow: p.failOpen || undefined,
      grpc_service: grpc,
      filter_enabled_metadata: filterEnabledMetadata(FilterNames.httpRbac, provider),
      transport_api_version: "V3",
      with_request_body: withBody,
    }),
    tcp: drop<AnyOf<typeof Types.networkExtAuthz>>({
      "@type": Types.networkExtAuthz,
      stat_prefix: "tcp.",
      failure_mode_allow: p.failOpen || undefined,
      transport_api_version: "V3",
      grpc_service: grpc,
      filter_enabled_metadata: filterEnabledMetadata(FilterNames.networkRbac, provider),
    }),
  };
}

/**
 * Resolves `providerName` from the mesh config's providers. Errors (unknown provider, bad
 * service, port or status) are returned so the caller can fail closed.
 */
export function resolveExtAuthz(
  providers: readonly ExtensionProvider[],
  providerName: string,
  namespacesOf: ServiceNamespaces,
): ResolvedProvider {
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
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(p.name)) {
    return {
      ok: false,
      errors: [
        `invalid provider name ${JSON.stringify(p.name)}: must be a lowercase DNS-1123 label`,
      ],
    };
  }
  if (p.envoyExtAuthzHttp) return resolveHttp(p.envoyExtAuthzHttp, p.name, namespacesOf);
  if (p.envoyExtAuthzGrpc) return resolveGrpc(p.envoyExtAuthzGrpc, p.name, namespacesOf);
  return { ok: false, errors: [`extension provider ${p.name} is not an ext_authz provider`] };
}
