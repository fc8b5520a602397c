/**
 * Runs an HTTP filter list the way an Envoy sidecar would for one request, ext_authz included,
 * written from Envoy's documentation (the `ext_authz.proto` / `external_auth.proto` comments and
 * the RBAC filter's dynamic-metadata page), not from any evaluator in this repository.
 *
 * No Envoy binary runs on this machine and grpc-js-xds has no ext_authz, so this is the
 * *client* side of ext_authz, standing in for the proxy. The authorizer and the protocol are
 * real: a gRPC config makes a real `envoy.service.auth.v3.Authorization/Check` call, encoded
 * with Envoy's own protos (shipped in `@grpc/grpc-js-xds/deps/`); an HTTP config makes a real
 * HTTP request. Cluster names (`outbound|<port>||<host>`) are turned into loopback addresses by
 * the `resolveCluster` function the caller passes: that function is the stand-in for Envoy's
 * cluster manager (CDS/EDS), nothing more.
 *
 * What it follows, filter by filter:
 * - `envoy.filters.http.rbac`: `rbac-interpreter.ts`; a filter with shadow rules leaves
 *   `<shadow_rules_stat_prefix>shadow_effective_policy_id` / `…shadow_engine_result` in the
 *   request's dynamic metadata under `envoy.filters.http.rbac`; enforced rules deny with 403.
 * - `envoy.filters.http.ext_authz`: runs only when `filter_enabled_metadata` matches the dynamic
 *   metadata so far (or is absent). Check request headers: all of them for gRPC, the defaults
 *   (`:authority`/host, `:method`, `:path`, `content-length`, `authorization`) plus
 *   `allowed_headers` for HTTP; `disallowed_headers` wins. `with_request_body` (413 for an
 *   oversized body unless partial messages are allowed). The timeout of `grpc_service` (default
 *   200ms) or `server_uri`. An unreachable, unresolvable or timed-out authorizer, or an HTTP 5xx
 *   answer, is an error: allowed with `failure_mode_allow` (plus the
 *   `x-envoy-auth-failure-mode-allowed` header when `failure_mode_allow_header_add`), else the
 *   request gets `status_on_error` (default 403). gRPC OK: `ok_response.headers` (override
 *   unless `append`), `headers_to_remove`, `response_headers_to_add`. gRPC denial:
 *   `denied_response` status (default 403), headers and body. HTTP: `path_prefix` + path, the
 *   original method, `authorization_request.headers_to_add`; on 200 `allowed_upstream_headers`
 *   (override), `allowed_upstream_headers_to_append`, `allowed_client_headers_on_success`,
 *   `x-envoy-auth-headers-to-remove`; any other status denies with that status, body and
 *   `allowed_client_headers` (all but host when unset).
 *
 * What it does not: `filter_enabled` / `deny_at_disable` runtime fractions, metadata context
 * namespaces, per-route `ExtAuthzPerRoute`, query-parameter mutations, peer certificates and TLS
 * session, `clear_route_cache` (there is no routing here). A config field it does not know
 * throws, so a builder change cannot be silently ignored.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/extensions/filters/http/ext_authz/v3/ext_authz.proto
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/service/auth/v3/external_auth.proto
 * @see https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/rbac_filter#dynamic-metadata
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import type { NamedFilter } from "../../../xds/compile/security/index";
import type { AuthzRequest } from "../../../mesh/authz/request-attributes";
import { runRbacFilter, str, value } from "./rbac-interpreter";

type O = Record<string, unknown>;
const obj = (v: unknown): O => (v ?? {}) as O;

const RBAC_NAMESPACE = "envoy.filters.http.rbac";
/** Filters whose behaviour comes from per-route config only when their own config is empty. */
const PER_ROUTE_ONLY = ["filters.http.fault.v3.HTTPFault", "filters.http.cors.v3.Cors"];
/** Filters that only observe a request (Istio's stats plugin counts it) and never change its fate. */
const OBSERVE_ONLY = ["type.googleapis.com/stats.PluginConfig"];
const DEFAULT_GRPC_TIMEOUT_MS = 200;

/** A request as it reaches the sidecar: the authorization attributes plus an optional body. */
export interface DataplaneRequest extends AuthzRequest {
  readonly body?: string;
  readonly sourcePort?: number;
}

/** What the interpreter needs from the test. */
export interface DataplaneOptions {
  /** Stand-in for Envoy's cluster manager: cluster name → `127.0.0.1:<port>`, or undefined. */
  readonly resolveCluster: (cluster: string) => string | undefined;
}

/** The authorization request as the interpreter sent it. */
export type CheckedWith =
  | { readonly transport: "grpc"; readonly checkRequest: O }
  | {
      readonly transport: "http";
      readonly method: string;
      readonly path: string;
      readonly headers: Readonly<Record<string, string>>;
      readonly body: string;
    };

/** The request's fate. */
export interface DataplaneOutcome {
  /** 200 when the request reached the upstream, else the local reply's status. */
  readonly status: number;
  readonly deniedBy?: "ext_authz" | "rbac";
  /** The last authorization request sent, if any. */
  readonly checkedWith?: CheckedWith;
  /** Why the authorizer call failed, when it did. */
  readonly extAuthzError?: string;
  /** Request headers as the upstream sees them (lower-case names); only when allowed. */
  readonly upstreamHeaders?: Readonly<Record<string, string>>;
  /** Headers ext_authz adds to the response the client gets. */
  readonly responseHeaders: Readonly<Record<string, string>>;
  /** Body of the local reply, when denied. */
  readonly body?: string;
  /** Dynamic metadata, by filter namespace. */
  readonly dynamicMetadata: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

// ---------------------------------------------------------------------------------------------
// Envoy's protos and the gRPC client.

const DEPS = join(__dirname, "../../../node_modules/@grpc/grpc-js-xds/deps");

/** proto-loader options shared with test authorizers (proto field names, numeric enums). */
export const EXT_AUTHZ_PROTO_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: Number,
  enums: Number,
  defaults: false,
  oneofs: true,
  includeDirs: ["envoy-api", "xds", "googleapis", "protoc-gen-validate"].map(d => join(DEPS, d)),
};

let authorizationService: grpc.ServiceClientConstructor | undefined;

/** `envoy.service.auth.v3.Authorization`, loaded from Envoy's real `.proto` files. */
export function authorizationServiceDefinition(): grpc.ServiceClientConstructor {
  if (!authorizationService) {
    const def = protoLoader.loadSync(
      "envoy/service/auth/v3/external_auth.proto",
      EXT_AUTHZ_PROTO_OPTIONS,
    );
    const pkg = grpc.loadPackageDefinition(def) as unknown as {
      envoy: { service: { auth: { v3: { Authorization: grpc.ServiceClientConstructor } } } };
    };
    authorizationService = pkg.envoy.service.auth.v3.Authorization;
  }
  return authorizationService;
}

function durationMs(d: unknown, fallback: number): number {
  if (d === undefined) return fallback;
  const x = obj(d);
  return Number(x.seconds ?? 0) * 1000 + Number(x.nanos ?? 0) / 1e6;
}

/** Result of one authorization call, as Envoy's ext_authz client classifies it. */
type CheckResult =
  | {
      kind: "ok";
      /** [name, value, append] mutations of the upstream request. */
      set: [string, string, boolean][];
      remove: string[];
      responseHeaders: Record<string, string>;
    }
  | { kind: "denied"; status: number; headers: Record<string, string>; body: string }
  | { kind: "error"; reason: string };

async function grpcCheck(
  service: O,
  checkRequest: O,
  options: DataplaneOptions,
): Promise<CheckResult> {
  const envoyGrpc = obj(service.envoy_grpc);
  const cluster = String(envoyGrpc.cluster_name);
  const address = options.resolveCluster(cluster);
  if (address === undefined) return { kind: "error", reason: `unknown cluster ${cluster}` };
  const Client = authorizationServiceDefinition();
  const channelOptions: grpc.ChannelOptions = {};
  if (typeof envoyGrpc.authority === "string" && envoyGrpc.authority !== "")
    channelOptions["grpc.default_authority"] = envoyGrpc.authority;
  const client = new Client(address, grpc.credentials.createInsecure(), channelOptions);
  const deadline = Date.now() + durationMs(service.timeout, DEFAULT_GRPC_TIMEOUT_MS);
  try {
    const response = await new Promise<O>((resolve, reject) => {
      (
        client as unknown as {
          Check(
            req: O,
            md: grpc.Metadata,
            opts: grpc.CallOptions,
            cb: (err: grpc.ServiceError | null, res: O) => void,
          ): void;
        }
      ).Check(checkRequest, new grpc.Metadata(), { deadline }, (err, res) =>
        err ? reject(err) : resolve(res),
      );
    });
    const code = Number(obj(response.status).code ?? 0);
    if (code === 0) {
      const ok = obj(response.ok_response);
      const mutations = (ok.headers ?? []) as O[];
      return {
        kind: "ok",
        set: mutations.map(h => [
          String(obj(h.header).key).toLowerCase(),
          String(obj(h.header).value ?? ""),
          obj(h.append).value === true,
        ]),
        remove: ((ok.headers_to_remove ?? []) as string[]).map(h => h.toLowerCase()),
        responseHeaders: headerOptions(ok.response_headers_to_add),
      };
    }
    const denied = obj(response.denied_response);
    return {
      kind: "denied",
      status: Number(obj(denied.status).code ?? 0) || 403,
      headers: headerOptions(denied.headers),
      body: String(denied.body ?? ""),
    };
  } catch (e) {
    const err = e as grpc.ServiceError;
    return { kind: "error", reason: `gRPC ${grpc.status[err.code] ?? err.code}: ${err.details}` };
  } finally {
    client.close();
  }
}

/** `repeated HeaderValueOption` → a header map (append defaults to false in ext_authz). */
function headerOptions(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of (list ?? []) as O[]) {
    const key = String(obj(h.header).key).toLowerCase();
    const v = String(obj(h.header).value ?? "");
    out[key] = obj(h.append).value === true && key in out ? `${out[key]},${v}` : v;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The HTTP client.

/** `ListStringMatcher` against a header name. */
function listMatches(list: unknown, name: string): boolean {
  return ((obj(list).patterns ?? []) as unknown[]).some(p => str(p, name));
}

/** Headers Envoy always sends to an HTTP authorizer, besides `allowed_headers`. */
const HTTP_DEFAULT_HEADERS = new Set([
  ":authority",
  "host",
  ":method",
  ":path",
  "content-length",
  "authorization",
]);
/** Added to `allowed_client_headers` whenever it is set. */
const CLIENT_DEFAULT_HEADERS = new Set([
  ":path",
  ":status",
  "content-length",
  "www-authenticate",
  "location",
]);
/** Connection-level headers of the authorizer's response; never forwarded. */
const HOP_BY_HOP = new Set(["connection", "keep-alive", "transfer-encoding", "date"]);

function flatten(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(",") : v;
  }
  return out;
}

function httpCall(
  address: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host, port, method, path, headers, agent: false }, res => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: flatten(res.headers),
          body: Buffer.concat(chunks).toString("utf8"),
        });
      });
      res.on("error", reject);
    });
    const timer = setTimeout(
      () => req.destroy(new Error(`timed out after ${timeoutMs}ms`)),
      timeoutMs,
    );
    req.on("error", e => {
      clearTimeout(timer);
      reject(e);
    });
    req.end(body);
  });
}

async function httpCheck(
  service: O,
  check: { method: string; path: string; headers: Record<string, string>; body: string },
  options: DataplaneOptions,
): Promise<{ result: CheckResult; sent?: CheckedWith }> {
  const uri = obj(service.server_uri);
  const cluster = String(uri.cluster);
  const address = options.resolveCluster(cluster);
  if (address === undefined)
    return { result: { kind: "error", reason: `unknown cluster ${cluster}` } };
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(check.headers)) {
    if (k === ":authority") headers.host = v;
    else if (!k.startsWith(":") && k !== "content-length") headers[k] = v;
  }
  for (const h of (obj(service.authorization_request).headers_to_add ?? []) as O[]) {
    headers[String(h.key).toLowerCase()] = String(h.value ?? "");
  }
  headers["content-length"] = String(Buffer.byteLength(check.body));
  const path = String(service.path_prefix ?? "") + check.path;
  const sent: CheckedWith = {
    transport: "http",
    method: check.method,
    path,
    headers,
    body: check.body,
  };
  let res: Awaited<ReturnType<typeof httpCall>>;
  try {
    res = await httpCall(
      address,
      check.method,
      path,
      headers,
      check.body,
      durationMs(uri.timeout, DEFAULT_GRPC_TIMEOUT_MS),
    );
  } catch (e) {
    return { result: { kind: "error", reason: `HTTP: ${(e as Error).message}` }, sent };
  }
  const auth = obj(service.authorization_response);
  const pick = (list: unknown, extra: Set<string> = new Set()) =>
    Object.fromEntries(
      Object.entries(res.headers).filter(([k]) => extra.has(k) || listMatches(list, k)),
    );
  if (res.status >= 500) return { result: { kind: "error", reason: `HTTP ${res.status}` }, sent };
  if (res.status !== 200) {
    const headers =
      auth.allowed_client_headers !== undefined
        ? pick(auth.allowed_client_headers, CLIENT_DEFAULT_HEADERS)
        : Object.fromEntries(
            Object.entries(res.headers).filter(([k]) => k !== "host" && !HOP_BY_HOP.has(k)),
          );
    return {
      result: { kind: "denied", status: res.status, headers, body: res.body },
      sent,
    };
  }
  const set: [string, string, boolean][] = [
    ...Object.entries(pick(auth.allowed_upstream_headers)).map(
      ([k, v]) => [k, v, false] as [string, string, boolean],
    ),
    ...Object.entries(pick(auth.allowed_upstream_headers_to_append)).map(
      ([k, v]) => [k, v, true] as [string, string, boolean],
    ),
  ];
  const remove = (res.headers["x-envoy-auth-headers-to-remove"] ?? "")
    .split(",")
    .map(h => h.trim().toLowerCase())
    .filter(h => h !== "");
  const responseHeaders =
    auth.allowed_client_headers_on_success !== undefined
      ? pick(auth.allowed_client_headers_on_success)
      : {};
  return { result: { kind: "ok", set, remove, responseHeaders }, sent };
}

// ---------------------------------------------------------------------------------------------
// The filter.

const KNOWN_EXT_AUTHZ_FIELDS = new Set([
  "@type",
  "grpc_service",
  "http_service",
  "transport_api_version",
  "failure_mode_allow",
  "failure_mode_allow_header_add",
  "status_on_error",
  "filter_enabled_metadata",
  "with_request_body",
  "allowed_headers",
  "disallowed_headers",
]);
const KNOWN_GRPC_SERVICE_FIELDS = new Set(["envoy_grpc", "timeout"]);
const KNOWN_HTTP_SERVICE_FIELDS = new Set([
  "server_uri",
  "path_prefix",
  "authorization_request",
  "authorization_response",
]);

function assertKnown(o: O, known: Set<string>, what: string): void {
  const unknown = Object.keys(o).filter(k => !known.has(k));
  if (unknown.length > 0) throw new Error(`${what}: not interpreted: ${unknown.join(", ")}`);
}

/** `envoy.type.matcher.v3.MetadataMatcher` against the dynamic metadata. */
function metadataMatches(m: O, metadata: Record<string, Record<string, string>>): boolean {
  let cur: unknown = metadata[String(m.filter)];
  for (const seg of (m.path ?? []) as { key: string }[]) {
    cur = cur === undefined ? undefined : obj(cur)[seg.key];
  }
  const hit = cur !== undefined && value(m.value, cur);
  return m.invert === true ? !hit : hit;
}

/** Lower-case header map of the request, with the HTTP/2 pseudo-headers Envoy sees. */
function requestHeaders(req: DataplaneRequest): Record<string, string> {
  const h: Record<string, string> = {};
  if (req.host !== undefined) h[":authority"] = req.host;
  if (req.method !== undefined) h[":method"] = req.method;
  if (req.path !== undefined) h[":path"] = req.path;
  for (const [k, v] of Object.entries(req.headers ?? {})) h[k.toLowerCase()] = v;
  return h;
}

type Step =
  | { kind: "continue"; headers: Record<string, string>; responseHeaders: Record<string, string> }
  | {
      kind: "reply";
      status: number;
      headers: Record<string, string>;
      body: string;
    };

async function runExtAuthz(
  c: O,
  req: DataplaneRequest,
  headers: Record<string, string>,
  options: DataplaneOptions,
  record: (sent: CheckedWith, error?: string) => void,
): Promise<Step> {
  assertKnown(c, KNOWN_EXT_AUTHZ_FIELDS, "ext_authz");
  const isGrpc = c.grpc_service !== undefined;
  if (isGrpc) assertKnown(obj(c.grpc_service), KNOWN_GRPC_SERVICE_FIELDS, "grpc_service");
  else assertKnown(obj(c.http_service), KNOWN_HTTP_SERVICE_FIELDS, "http_service");

  // The check request's headers.
  const checkHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const allowed =
      c.allowed_headers !== undefined
        ? listMatches(c.allowed_headers, k) || (!isGrpc && HTTP_DEFAULT_HEADERS.has(k))
        : isGrpc || HTTP_DEFAULT_HEADERS.has(k);
    if (allowed && !listMatches(c.disallowed_headers, k)) checkHeaders[k] = v;
  }

  // The body, when buffered for the check.
  let body = "";
  if (c.with_request_body !== undefined && req.body !== undefined) {
    const b = obj(c.with_request_body);
    const max = Number(b.max_request_bytes ?? 0);
    const bytes = Buffer.from(req.body, "utf8");
    if (bytes.length > max && b.allow_partial_message !== true) {
      return { kind: "reply", status: 413, headers: {}, body: "Payload Too Large" };
    }
    body = bytes.subarray(0, max).toString("utf8");
    checkHeaders["x-envoy-auth-partial-body"] = String(bytes.length > max);
  }

  let result: CheckResult;
  if (isGrpc) {
    const http: O = {
      method: headers[":method"] ?? "",
      path: headers[":path"] ?? "",
      host: headers[":authority"] ?? "",
      scheme: "http",
      protocol: "HTTP/1.1",
      headers: checkHeaders,
      size: req.body === undefined ? 0 : Buffer.byteLength(req.body),
    };
    if (body !== "") {
      if (obj(c.with_request_body).pack_as_bytes === true) http.raw_body = Buffer.from(body);
      else http.body = body;
    }
    const now = Date.now();
    const peer = (ip: string | undefined, port: number | undefined, principal?: string): O => ({
      ...(ip !== undefined
        ? { address: { socket_address: { address: ip, port_value: port ?? 0 } } }
        : {}),
      ...(principal !== undefined ? { principal: `spiffe://${principal}` } : {}),
    });
    const checkRequest: O = {
      attributes: {
        source: peer(req.sourceIp, req.sourcePort, req.principal),
        destination: peer(req.destinationIp, req.destinationPort),
        request: {
          time: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1e6 },
          http,
        },
      },
    };
    result = await grpcCheck(obj(c.grpc_service), checkRequest, options);
    record(
      { transport: "grpc", checkRequest },
      result.kind === "error" ? result.reason : undefined,
    );
  } else {
    const call = await httpCheck(
      obj(c.http_service),
      {
        method: headers[":method"] ?? "GET",
        path: headers[":path"] ?? "/",
        headers: checkHeaders,
        body,
      },
      options,
    );
    result = call.result;
    if (call.sent) record(call.sent, result.kind === "error" ? result.reason : undefined);
  }

  if (result.kind === "error") {
    if (c.failure_mode_allow === true) {
      const next = { ...headers };
      if (c.failure_mode_allow_header_add === true)
        next["x-envoy-auth-failure-mode-allowed"] = "true";
      return { kind: "continue", headers: next, responseHeaders: {} };
    }
    const status = Number(obj(c.status_on_error).code ?? 0) || 403;
    return { kind: "reply", status, headers: {}, body: "" };
  }
  if (result.kind === "denied") {
    return { kind: "reply", status: result.status, headers: result.headers, body: result.body };
  }
  const next = { ...headers };
  for (const [k, v, append] of result.set) {
    next[k] = append && k in next ? `${next[k]},${v}` : v;
  }
  for (const k of result.remove) {
    if (!k.startsWith(":") && k !== "host") delete next[k];
  }
  return { kind: "continue", headers: next, responseHeaders: result.responseHeaders };
}

/** The request with its headers replaced (later filters see ext_authz's mutations). */
function withHeaders(req: DataplaneRequest, headers: Record<string, string>): DataplaneRequest {
  const plain = Object.fromEntries(Object.entries(headers).filter(([k]) => !k.startsWith(":")));
  return { ...req, headers: plain };
}

/**
 * Runs `filters` (HTTP RBAC and ext_authz, in chain order) for `req`. Any other filter throws:
 * this interpreter only claims to know these two.
 */
export async function runHttpFilters(
  filters: readonly NamedFilter[],
  req: DataplaneRequest,
  options: DataplaneOptions,
): Promise<DataplaneOutcome> {
  const metadata: Record<string, Record<string, string>> = {};
  let headers = requestHeaders(req);
  let current: DataplaneRequest = req;
  const responseHeaders: Record<string, string> = {};
  let checkedWith: CheckedWith | undefined;
  let extAuthzError: string | undefined;
  const snapshot = () =>
    Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, { ...v }]));
  for (const filter of filters) {
    const c = filter.typed_config as O;
    const type = String(c["@type"]);
    if (type.endsWith("filters.http.rbac.v3.RBAC")) {
      const out = runRbacFilter(filter, current);
      if (Object.keys(out.metadata).length > 0)
        metadata[RBAC_NAMESPACE] = { ...metadata[RBAC_NAMESPACE], ...out.metadata };
      if (!out.allowed) {
        return {
          status: 403,
          deniedBy: "rbac",
          checkedWith,
          extAuthzError,
          responseHeaders,
          body: "RBAC: access denied",
          dynamicMetadata: snapshot(),
        };
      }
    } else if (type.endsWith("filters.http.ext_authz.v3.ExtAuthz")) {
      const gate = c.filter_enabled_metadata;
      if (gate !== undefined && !metadataMatches(obj(gate), metadata)) continue;
      const step = await runExtAuthz(c, current, headers, options, (sent, error) => {
        checkedWith = sent;
        extAuthzError = error;
      });
      if (step.kind === "reply") {
        return {
          status: step.status,
          deniedBy: "ext_authz",
          checkedWith,
          extAuthzError,
          responseHeaders: { ...responseHeaders, ...step.headers },
          body: step.body,
          dynamicMetadata: snapshot(),
        };
      }
      headers = step.headers;
      current = withHeaders(req, headers);
      Object.assign(responseHeaders, step.responseHeaders);
    } else if (type.endsWith("filters.http.router.v3.Router")) {
      break; // the request reaches the upstream
    } else if (OBSERVE_ONLY.includes(type)) {
      continue;
    } else if (PER_ROUTE_ONLY.some(t => type.endsWith(t)) && Object.keys(c).length === 1) {
      // Fault and CORS with no filter-level config act only through a route's own config,
      // which authorization never sees: they pass the request on.
      continue;
    } else {
      throw new Error(`filter ${filter.name} (${type}) is not interpreted`);
    }
  }
  return {
    status: 200,
    checkedWith,
    extAuthzError,
    upstreamHeaders: headers,
    responseHeaders,
    dynamicMetadata: snapshot(),
  };
}
