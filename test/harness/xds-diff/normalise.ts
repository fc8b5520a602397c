/**
 * The one place the xDS diff suite says what it does not compare, and why. Each rule removes or
 * rewrites something in a resource (from either control plane) before the two are compared; a
 * rule exists only where the two may differ without an Envoy behaving differently for the
 * traffic Rigging is responsible for. Anything else that differs is a difference, and is listed
 * with its verdict in test/integration/xds-diff.known.json.
 */
import protobuf from "protobufjs";
import { findMessageType } from "../../../xds/encode/proto-root";
import { DIFF_TYPES, type DiffType } from "./dump";

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

/** Whether a decoded scalar or enum value is its proto3 default (0, "0", false, "", the 0 enum). */
function isProto3Default(field: protobuf.Field, value: unknown): boolean {
  if (field.resolvedType instanceof protobuf.Enum) {
    return value === 0 || value === field.resolvedType.valuesById[0];
  }
  return value === 0 || value === "0" || value === false || value === "";
}

/**
 * Drops, walking the message's own descriptor (and each Any's), every singular scalar or enum
 * field holding its proto3 default outside a oneof and without explicit presence.
 */
function dropDefaults(type: protobuf.Type, json: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(json)) {
    const field = type.fields[key];
    if (!field) {
      out[key] = value;
      continue;
    }
    field.resolve();
    const child = (v: unknown): unknown => {
      if (!v || typeof v !== "object" || Array.isArray(v)) return v;
      const o = v as Json;
      const anyType =
        typeof o["@type"] === "string"
          ? findMessageType(String(o["@type"]).split("/").pop()!)
          : undefined;
      if (anyType) return { "@type": o["@type"], ...dropDefaults(anyType, o) };
      return field.resolvedType instanceof protobuf.Type ? dropDefaults(field.resolvedType, o) : v;
    };
    if (field.repeated) out[key] = Array.isArray(value) ? value.map(child) : value;
    else if (field.map) {
      out[key] = Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, child(v)]));
    } else if (field.resolvedType instanceof protobuf.Type) out[key] = child(value);
    else if (field.partOf || field.options?.proto3_optional || !isProto3Default(field, value))
      out[key] = value;
  }
  return out;
}

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
    name: "proto3-defaults",
    reason:
      'protobufjs writes a proto3 scalar that was set to its default (0, false, "", the 0 enum) onto the wire, Go\'s protobuf omits it; a decoder cannot tell the two apart, so they are the same resource. Fields in a oneof or with explicit presence (wrappers, optional) are kept: there presence is meaning.',
    apply: (t, r) => {
      const type = findMessageType(DIFF_TYPES[t].split("/").pop()!);
      return type ? { "@type": r["@type"], ...dropDefaults(type, r) } : r;
    },
  },
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
            const kept = list.filter(f => !isTelemetryFilter(f));
            out = { ...out, [key]: kept };
            // A list left empty is the same as no list (repeated fields have no presence).
            if (kept.length === 0) delete out[key];
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
      "Access logs and tracing (HCM `tracing`, `request_id_extension`, a route's `decorator`, the span name) are telemetry; they do not change what a request reaches.",
    apply: (_t, r) =>
      mapObjects(
        r,
        withoutKeys(["access_log", "tracing", "request_id_extension", "decorator"]),
      ) as Json,
  },
  {
    name: "endpoint-order",
    reason:
      "The order of `lb_endpoints` within a locality: istiod lists them in its informer's order, which varies from run to run for the same pods; Envoy's load balancers (round robin starts at a random index, least request and random pick by chance, ring hash hashes the address) do not depend on it. Sorted by address and port on both sides.",
    apply: (t, r) => {
      if (t !== "EDS") return r;
      const key = (e: Json): string => {
        const sa = (e.endpoint as Json | undefined)?.address as Json | undefined;
        const s = sa?.socket_address as Json | undefined;
        return `${String(s?.address ?? "")}:${String(s?.port_value ?? "")}`;
      };
      return mapObjects(r, o =>
        Array.isArray(o.lb_endpoints)
          ? {
              ...o,
              lb_endpoints: [...(o.lb_endpoints as Json[])].sort((a, b) =>
                key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0,
              ),
            }
          : o,
      ) as Json;
    },
  },
];

/** Applies every rule to a resource of `type`. */
export function normalise(type: DiffType, resource: Json): Json {
  return NORMALISATION.reduce((r, rule) => rule.apply(type, r), resource);
}
