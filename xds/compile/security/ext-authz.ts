/**
 * CUSTOM action: the mesh config's `extensionProviders` (envoyExtAuthzHttp / envoyExtAuthzGrpc)
 * as Envoy `ext_authz` filters. The RBAC filter in front of them only *evaluates* the CUSTOM
 * rules (shadow mode) and leaves the matched policy id in dynamic metadata; ext_authz runs only
 * when that id carries the provider's prefix.
 *
 * @see istio/istio pilot/pkg/security/authz/builder/extauthz.go
 * @see https://istio.io/latest/docs/tasks/security/authorization/authz-custom/
 */
import {
  resolveExtAuthzProvider,
  type ExtAuthzCommon,
  type ExtAuthzHttpProvider,
  type ExtensionProvider,
  type ServiceNamespaces,
} from "../../../mesh/meshconfig/ext-authz";
import { FilterNames, Types } from "../shared/envoy-names";
import { withoutUndefined as drop } from "../shared/xds-util";
import type {
  AnyOf,
  AuthorizationResponse,
  BufferSettings,
  Duration,
  GrpcService,
  ExtAuthz_HttpService,
  ListStringMatcher,
  MetadataMatcher,
} from "../shared/envoy";

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

function duration(nanos: number): Duration {
  const seconds = Math.floor(nanos / 1e9);
  const rest = Math.round(nanos - seconds * 1e9);
  return rest === 0 ? { seconds } : { seconds, nanos: rest };
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

/** Istio's outbound cluster name for the authorizer. */
const clusterOf = (hostname: string, port: number) => `outbound|${port}||${hostname}`;

function withBodyOf(p: ExtAuthzCommon): BufferSettings | undefined {
  const body = p.includeRequestBodyInCheck;
  return body
    ? {
        max_request_bytes: body.maxRequestBytes ?? 0,
        allow_partial_message: body.allowPartialMessage ?? false,
        pack_as_bytes: body.packAsBytes ?? false,
      }
    : undefined;
}

function httpFilter(
  p: ExtAuthzHttpProvider,
  provider: string,
  hostname: string,
  timeout: Duration,
  status: number | undefined,
): AnyOf<typeof Types.httpExtAuthz> {
  const extra = Object.keys(p.includeAdditionalHeadersInCheck ?? {}).sort();
  const needResponse =
    (p.headersToUpstreamOnAllow?.length ?? 0) > 0 ||
    (p.headersToDownstreamOnDeny?.length ?? 0) > 0 ||
    (p.headersToDownstreamOnAllow?.length ?? 0) > 0;
  const service = drop<ExtAuthz_HttpService>({
    path_prefix: p.pathPrefix || undefined,
    server_uri: { timeout, uri: `http://${hostname}`, cluster: clusterOf(hostname, p.port) },
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
  return drop<AnyOf<typeof Types.httpExtAuthz>>({
    "@type": Types.httpExtAuthz,
    status_on_error: status === undefined ? undefined : { code: status },
    failure_mode_allow: p.failOpen || undefined,
    transport_api_version: "V3",
    http_service: service,
    filter_enabled_metadata: filterEnabledMetadata(FilterNames.httpRbac, provider),
    with_request_body: withBodyOf(p),
    allowed_headers: allowed,
  });
}

function grpcFilters(
  p: ExtAuthzCommon,
  provider: string,
  hostname: string,
  timeout: Duration,
  status: number | undefined,
): Pick<Extract<ResolvedProvider, { ok: true }>, "http" | "tcp"> {
  const grpc: GrpcService = {
    envoy_grpc: { cluster_name: clusterOf(hostname, p.port), authority: hostname },
    timeout,
  };
  return {
    http: drop<AnyOf<typeof Types.httpExtAuthz>>({
      "@type": Types.httpExtAuthz,
      status_on_error: status === undefined ? undefined : { code: status },
      failure_mode_allow: p.failOpen || undefined,
      grpc_service: grpc,
      filter_enabled_metadata: filterEnabledMetadata(FilterNames.httpRbac, provider),
      transport_api_version: "V3",
      with_request_body: withBodyOf(p),
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
 * Resolves `providerName` from the mesh config's providers (`resolveExtAuthzProvider` in
 * `mesh/meshconfig/ext-authz.ts`, whose errors are returned unchanged so the caller can fail
 * closed) and builds its `ext_authz` filters.
 */
export function resolveExtAuthz(
  providers: readonly ExtensionProvider[],
  providerName: string,
  namespacesOf: ServiceNamespaces,
): ResolvedProvider {
  const resolved = resolveExtAuthzProvider(providers, providerName, namespacesOf);
  if (!resolved.ok) return resolved;
  const t = resolved.value;
  const timeout = duration(t.timeoutNanos);
  const filters =
    t.kind === "http"
      ? { http: httpFilter(t.provider, t.name, t.hostname, timeout, t.statusOnError) }
      : grpcFilters(t.provider, t.name, t.hostname, timeout, t.statusOnError);
  return { ok: true, hostname: t.hostname, port: t.port, ...filters };
}
