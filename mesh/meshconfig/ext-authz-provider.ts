/**
 * The `envoyExtAuthzHttp` / `envoyExtAuthzGrpc` extension providers, the ones a CUSTOM
 * AuthorizationPolicy sends requests to. Istio only logs a broken provider (ValidateMeshConfig:
 * "can be ignored if the given extension provider is not used") and a CUSTOM policy naming it
 * then denies everything; Rigging refuses the mesh config instead, so a typo in an auth provider
 * is found when the config is loaded, not when traffic starts failing. Unknown fields are errors
 * for the same reason.
 *
 * Rules: Istio's ValidateExtensionProviderEnvoyExtAuthzHTTP/GRPC and
 * validateExtensionProviderService (pkg/config/validation/agent/extensionprovider.go), plus
 * whatever `resolveExtAuthzProvider` (ext-authz.ts) refuses when a CUSTOM policy names the
 * provider at compile time.
 */
import {
  isEnvoyStatusCode,
  resolveExtAuthzProvider,
  type ExtAuthzHttpProvider,
  type ExtensionProvider,
} from "./ext-authz";
import { parseDuration } from "../validation/durations";
import { at, idx } from "../validation/diagnostic";
import { checkFqdn, checkNamespacedHost } from "../validation/hosts";
import { isIP } from "../validation/ip";
import { didYouMean } from "./field-names";
import { NOT_ACTED_ON, shown, type Findings } from "./findings";
import {
  fieldsOf,
  readBoolean,
  readMapping,
  readString,
  readStringList,
  readStringMap,
  readUint32,
  type Field,
} from "./read-values";

/** The two provider kinds Rigging compiles into Envoy `ext_authz` filters. */
export const EXT_AUTHZ_KINDS = ["envoyExtAuthzHttp", "envoyExtAuthzGrpc"] as const;
/** One of {@link EXT_AUTHZ_KINDS}. */
export type ExtAuthzKind = (typeof EXT_AUTHZ_KINDS)[number];

// Field lists from istio/api mesh/v1alpha1/config.proto.
const COMMON_FIELDS = [
  "service",
  "port",
  "timeout",
  "failOpen",
  "clearRouteCache",
  "statusOnError",
  "includeRequestBodyInCheck",
];
const HEADER_LISTS = [
  "includeRequestHeadersInCheck",
  "includeHeadersInCheck",
  "headersToUpstreamOnAllow",
  "headersToDownstreamOnDeny",
  "headersToDownstreamOnAllow",
];
const HTTP_ONLY_FIELDS = ["pathPrefix", "includeAdditionalHeadersInCheck", ...HEADER_LISTS];
const BODY_FIELDS = ["maxRequestBytes", "allowPartialMessage", "packAsBytes"];

type Draft = { -readonly [K in keyof ExtAuthzHttpProvider]?: ExtAuthzHttpProvider[K] };

/** Istio's validateExtensionProviderService: `<namespace>/<hostname>`, a hostname, or an IP. */
function checkService(service: string): string[] {
  if (service === "") return ["must not be empty: name the service as <namespace>/<hostname>"];
  if (!service.includes("/")) {
    const fqdn = checkFqdn(service);
    return fqdn === undefined || isIP(service) ? [] : [`must be a hostname or an IP: ${fqdn}`];
  }
  return checkNamespacedHost(service, false).map(
    rule => `invalid ${JSON.stringify(service)}: ${rule}`,
  );
}

function readPort(findings: Findings, path: string, value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535)
    return value;
  findings.error(path, `must be a port number 1-65535, got ${shown(value)}`);
  return undefined;
}

function readTimeout(findings: Findings, path: string, value: unknown): string | undefined {
  const text = readString(findings, path, value);
  if (text === undefined) return undefined;
  const ns = parseDuration(text);
  if (ns === undefined) {
    findings.error(path, `must be a duration such as 500ms, 5s or 1m, got ${shown(text)}`);
  } else if (ns < 0) {
    findings.error(path, `must not be negative, got ${shown(text)}`);
  } else {
    return text;
  }
  return undefined;
}

function readStatusOnError(findings: Findings, path: string, value: unknown): string | undefined {
  // The proto field is a string; an unquoted 403 in YAML is a number, which Istio's decoder refuses.
  if (typeof value === "number") {
    findings.error(path, `must be a string (quote it: "${value}"), got ${value}`);
    return undefined;
  }
  const status = readString(findings, path, value);
  if (status === undefined || status === "" || isEnvoyStatusCode(status)) return status;
  findings.error(
    path,
    `must be an HTTP status code Envoy knows, e.g. "403" or "503", got ${shown(status)}`,
  );
  return undefined;
}

function readHeaderList(findings: Findings, path: string, value: unknown): string[] | undefined {
  const headers = readStringList(findings, path, value);
  // Look for a lone "*" even when another item is not a string, so both are reported at once.
  const lone = Array.isArray(value) ? value.flatMap((h, i) => (h === "*" ? [i] : [])) : [];
  for (const i of lone) {
    findings.error(
      idx(path, i),
      'a lone "*" is not supported: use a prefix ("x-*") or suffix ("*-id") match',
    );
  }
  return lone.length === 0 ? headers : undefined;
}

function readRequestBody(
  findings: Findings,
  path: string,
  value: unknown,
): ExtAuthzHttpProvider["includeRequestBodyInCheck"] {
  const mapping = readMapping(findings, path, value);
  if (mapping === undefined) return undefined;
  const fields = fieldsOf(findings, path, mapping, BODY_FIELDS, (fieldPath, key) =>
    findings.error(
      fieldPath,
      `unknown field of includeRequestBodyInCheck${didYouMean(key, BODY_FIELDS)}`,
    ),
  );
  const body: { maxRequestBytes?: number; allowPartialMessage?: boolean; packAsBytes?: boolean } =
    {};
  const max = fields.get("maxRequestBytes");
  if (max) body.maxRequestBytes = readUint32(findings, max.path, max.value);
  const partial = fields.get("allowPartialMessage");
  if (partial) body.allowPartialMessage = readBoolean(findings, partial.path, partial.value);
  const bytes = fields.get("packAsBytes");
  if (bytes) body.packAsBytes = readBoolean(findings, bytes.path, bytes.value);
  return body;
}

function unknownFieldRule(kind: ExtAuthzKind, key: string, known: readonly string[]): string {
  if (kind === "envoyExtAuthzGrpc" && HTTP_ONLY_FIELDS.includes(key))
    return `unknown field of envoyExtAuthzGrpc (${key} is an envoyExtAuthzHttp field)`;
  return `unknown field of ${kind}${didYouMean(key, known)}`;
}

/** Reads one field into `draft`; each reader has already reported a bad value. */
function readField(findings: Findings, draft: Draft, name: string, { path, value }: Field): void {
  switch (name) {
    case "service": {
      const service = readString(findings, path, value);
      if (service === undefined) return;
      for (const rule of checkService(service)) findings.error(path, rule);
      draft.service = service;
      return;
    }
    case "port":
      draft.port = readPort(findings, path, value);
      return;
    case "timeout":
      draft.timeout = readTimeout(findings, path, value);
      return;
    case "failOpen":
      draft.failOpen = readBoolean(findings, path, value);
      return;
    case "clearRouteCache":
      if (readBoolean(findings, path, value) !== undefined) findings.note(path, NOT_ACTED_ON);
      return;
    case "statusOnError":
      draft.statusOnError = readStatusOnError(findings, path, value);
      return;
    case "includeRequestBodyInCheck":
      draft.includeRequestBodyInCheck = readRequestBody(findings, path, value);
      return;
    case "pathPrefix": {
      const prefix = readString(findings, path, value);
      if (prefix !== undefined && prefix !== "" && !prefix.startsWith("/"))
        findings.error(path, `must start with "/", got ${shown(prefix)}`);
      draft.pathPrefix = prefix;
      return;
    }
    case "includeAdditionalHeadersInCheck":
      draft.includeAdditionalHeadersInCheck = readStringMap(findings, path, value);
      return;
    default:
      if (HEADER_LISTS.includes(name))
        (draft as Record<string, unknown>)[name] = readHeaderList(findings, path, value);
  }
}

/** Drops the fields left undefined, so the provider holds only what the user set. */
function compact<T extends object>(draft: T): T {
  return Object.fromEntries(Object.entries(draft).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Reads the body of an ext_authz provider at `path`. Returns undefined when it has errors (all
 * of them recorded on `findings`).
 */
export function readExtAuthzProvider(
  findings: Findings,
  path: string,
  kind: ExtAuthzKind,
  value: unknown,
): ExtAuthzHttpProvider | undefined {
  const before = findings.errors.length;
  const mapping = readMapping(findings, path, value);
  if (mapping === undefined) return undefined;
  const known =
    kind === "envoyExtAuthzHttp" ? [...COMMON_FIELDS, ...HTTP_ONLY_FIELDS] : COMMON_FIELDS;
  const fields = fieldsOf(findings, path, mapping, known, (fieldPath, key) =>
    findings.error(fieldPath, unknownFieldRule(kind, key, known)),
  );
  const draft: Draft = {};
  for (const [name, field] of fields) readField(findings, draft, name, field);
  // Istio's ValidatePort and validateExtensionProviderService refuse the zero values too.
  if (!fields.has("service"))
    findings.error(at(path, "service"), "must be set: name the service as <namespace>/<hostname>");
  if (!fields.has("port"))
    findings.error(at(path, "port"), "must be a port number 1-65535, got nothing");
  if (findings.errors.length > before) return undefined;
  return compact(draft) as ExtAuthzHttpProvider;
}

/**
 * What `resolveExtAuthzProvider` would still refuse in a provider that passed the checks above,
 * with a registry that knows its service (whether the service exists is the registry's
 * business, at compile time). Empty unless ext-authz.ts gains a rule this parser does not know
 * yet.
 */
export function compileRefusals(provider: ExtensionProvider): readonly string[] {
  const service = provider.envoyExtAuthzHttp?.service ?? provider.envoyExtAuthzGrpc?.service ?? "";
  const slash = service.indexOf("/");
  const namespace = slash < 0 ? "default" : service.slice(0, slash);
  const resolved = resolveExtAuthzProvider([provider], provider.name, () => [namespace]);
  return resolved.ok ? [] : resolved.errors;
}
