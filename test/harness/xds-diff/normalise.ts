/**
 * The one place the xDS diff suite says what it does not compare, and why. Each rule removes or
 * rewrites something in a resource (from either control plane) before the two are compared; a
 * rule exists only where the two may differ without an Envoy behaving differently for the
 * traffic Rigging is responsible for. Anything else that differs is a difference, and is listed
 * with its verdict in test/integration/xds-diff.known.json.
 */
import type { DiffType } from "./dump";

type Json = Record<string, unknown>;

/** A normalisation rule: a name, why it is safe, and what it does to one resource. */
export interface NormaliseRule {
  readonly name: string;
  readonly reason: string;
  readonly apply: (type: DiffType, resource: Json) => Json;
}

/** Deep-maps every object in `value` with `f` (children first). */
function mapObjects(value: unknown, f: (o: Json) => Json): unknown {
  if (Array.isArray(value)) return value.map(v => mapObjects(v, f));
  if (value && typeof value === "object") {
    const out: Json = {};
    for (const [k, v] of Object.entries(value as Json)) out[k] = mapObjects(v, f);
    return f(out);
  }
  return value;
}

const withoutKeys =
  (keys: readonly string[]) =>
  (o: Json): Json => {
    if (!keys.some(k => k in o)) return o;
    const out = { ...o };
    for (const k of keys) delete out[k];
    return out;
  };

/** Istio's telemetry and peer-metadata filters (HTTP and network), by their filter names. */
const TELEMETRY_FILTERS = new Set([
  "istio.stats",
  "istio.metadata_exchange",
  "istio.alpn",
  "envoy.filters.http.grpc_stats",
  "envoy.filters.network.metadata_exchange",
  "envoy.filters.http.peer_metadata",
  "envoy.filters.network.peer_metadata",
  "istio.peer_metadata",
  "envoy.filters.http.metadata_exchange",
]);

const isTelemetryFilter = (f: unknown): boolean =>
  !!f && typeof f === "object" && TELEMETRY_FILTERS.has(String((f as Json).name));

/** The rules, applied in order. */
export const NORMALISATION: readonly NormaliseRule[] = [
  {
    name: "telemetry-filters",
    reason:
      "Istio's stats, metadata-exchange, peer-metadata and ALPN-override filters produce metrics and peer labels; they are Istio's telemetry (Rigging's Telemetry API work is separate) and do not route, secure or authorise traffic.",
    apply: (_t, r) =>
      mapObjects(r, o => {
        let out = o;
        for (const key of ["http_filters", "filters", "listener_filters"]) {
          const list = out[key];
          if (Array.isArray(list) && list.some(isTelemetryFilter)) {
            out = { ...out, [key]: list.filter(f => !isTelemetryFilter(f)) };
          }
        }
        return out;
      }) as Json,
  },
  {
    name: "typed-metadata",
    reason:
      "`metadata` (filter_metadata / typed_filter_metadata) carries Istio's back-references to the config that produced a resource (`istio.config`, `istio.services`) for istioctl and telemetry; Envoy's routing, TLS and RBAC do not read them. Endpoint metadata is kept: its `envoy.transport_socket_match` picks mTLS.",
    apply: (t, r) =>
      (t === "EDS"
        ? mapObjects(r, o => {
            const md = o.metadata as { filter_metadata?: Json } | undefined;
            if (!md?.filter_metadata) return o;
            const keep = md.filter_metadata["envoy.transport_socket_match"];
            const rest = { ...o };
            delete rest.metadata;
            return keep
              ? { ...rest, metadata: { filter_metadata: { "envoy.transport_socket_match": keep } } }
              : rest;
          })
        : mapObjects(r, withoutKeys(["metadata"]))) as Json,
  },
  {
    name: "stat-names",
    reason:
      "`stat_prefix`, `alt_stat_name` and `stat_name` only name Envoy's statistics (Istio sets them from meshConfig stat patterns).",
    apply: (_t, r) =>
      mapObjects(r, withoutKeys(["stat_prefix", "alt_stat_name", "stat_name"])) as Json,
  },
  {
    name: "access-logs-and-tracing",
    reason:
      "Access logs and tracing are telemetry (Istio's default mesh writes none to a file, but adds its tracing and request-id settings); they do not change what a request reaches.",
    apply: (_t, r) =>
      mapObjects(r, withoutKeys(["access_log", "tracing", "request_id_extension"])) as Json,
  },
];

/** Applies every rule to a resource of `type`. */
export function normalise(type: DiffType, resource: Json): Json {
  return NORMALISATION.reduce((r, rule) => rule.apply(type, r), resource);
}
