/**
 * Test helper: compare Envoy messages semantically. Istio's goldens are protojson (camelCase
 * names, `"10s"` durations, bare wrapper values); our builders write protobufjs object form
 * (proto field names, `{ seconds }`, `{ value }`). Both are encoded with Envoy's real protos,
 * decoded, and printed in one canonical form:
 * - `Any` payloads are decoded and shown as `{ "@type", ...fields }` (bytes of nested maps are
 *   not comparable: Go and protobufjs order map entries differently on the wire);
 * - a field that is not a oneof member and holds its default is left out (proto3 has no
 *   presence for it: Go's marshaller omits it, protobufjs writes it when it was set explicitly);
 * - enums by name, 64-bit integers as strings.
 * Everything else, including the order of repeated fields, must be equal.
 */
import protobuf from "protobufjs";
import { envoyRoot } from "../../../xds/encode/proto-root";

type Plain = Record<string, unknown>;

const camel = (s: string) => s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function lookupType(typeUrl: string): protobuf.Type {
  const name = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
  const t = envoyRoot().lookup(name);
  if (!(t instanceof protobuf.Type)) throw new Error(`descriptor lacks ${typeUrl}`);
  return t;
}

/** protojson duration `"1.5s"` → `{ seconds, nanos }`. */
function durationFromJson(v: string): Plain {
  const m = /^(-?)(\d+)(?:\.(\d{1,9}))?s$/.exec(v);
  if (!m) throw new Error(`bad protojson duration ${v}`);
  const seconds = Number(m[2]);
  const nanos = m[3] ? Number(m[3].padEnd(9, "0")) : 0;
  return m[1] ? { seconds: -seconds, nanos: -nanos } : { seconds, nanos };
}

const WRAPPERS = new Set(
  ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"].map(
    n => `.google.protobuf.${n}Value`,
  ),
);

function valueFromJson(field: protobuf.Field, v: unknown): unknown {
  const rt = field.resolve().resolvedType;
  if (!(rt instanceof protobuf.Type)) return v;
  if (rt.fullName === ".google.protobuf.Any") {
    const any = v as Plain;
    const inner = lookupType(String(any["@type"]));
    const rest = { ...any };
    delete rest["@type"];
    return { "@type": any["@type"], ...messageFromJson(inner, rest) };
  }
  if (rt.fullName === ".google.protobuf.Duration") return durationFromJson(String(v));
  if (WRAPPERS.has(rt.fullName)) return { value: v };
  return messageFromJson(rt, v as Plain);
}

/** A protojson object of `type` in protobufjs object form (proto field names). */
export function messageFromJson(type: protobuf.Type, json: Plain): Plain {
  const out: Plain = {};
  for (const [k, v] of Object.entries(json)) {
    const field = type.fields[k] ?? type.fieldsArray.find(f => camel(f.name) === k);
    if (!field) throw new Error(`${type.fullName} has no field ${k}`);
    if (field.map) {
      out[field.name] = Object.fromEntries(
        Object.entries(v as Plain).map(([mk, mv]) => [mk, valueFromJson(field, mv)]),
      );
    } else if (field.repeated) {
      out[field.name] = (v as unknown[]).map(x => valueFromJson(field, x));
    } else {
      out[field.name] = valueFromJson(field, v);
    }
  }
  return out;
}

function canonValue(field: protobuf.Field, v: unknown): unknown {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) {
    if (rt.fullName === ".google.protobuf.Any") {
      const any = v as { type_url: string; value: Uint8Array };
      const inner = lookupType(any.type_url);
      return { "@type": any.type_url, ...canonMessage(inner, inner.decode(any.value)) };
    }
    return canonMessage(rt, v as protobuf.Message);
  }
  if (rt instanceof protobuf.Enum) return rt.valuesById[v as number] ?? v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString("base64");
  if (typeof v === "object" && v !== null && "low" in v) return String(v);
  return v;
}

function isDefault(v: unknown): boolean {
  return v === 0 || v === "" || v === false || v === "0";
}

function canonMessage(type: protobuf.Type, msg: protobuf.Message): Plain {
  const out: Plain = {};
  const own = msg as unknown as Plain;
  for (const field of type.fieldsArray) {
    if (!Object.prototype.hasOwnProperty.call(own, field.name)) continue;
    field.resolve();
    const v = own[field.name];
    if (v === null || v === undefined) continue;
    if (field.map) {
      const entries = Object.entries(v as Plain);
      if (entries.length > 0)
        out[field.name] = Object.fromEntries(entries.map(([k, x]) => [k, canonValue(field, x)]));
    } else if (field.repeated) {
      if ((v as unknown[]).length > 0)
        out[field.name] = (v as unknown[]).map(x => canonValue(field, x));
    } else {
      const c = canonValue(field, v);
      const enumDefault = field.resolvedType instanceof protobuf.Enum && v === 0;
      if (!field.partOf && (isDefault(c) || enumDefault)) continue;
      out[field.name] = c;
    }
  }
  return out;
}

/** Encodes `object` (protobufjs object form) as `typeName`, decodes it and canonicalises it. */
export function canonical(typeName: string, object: Plain): Plain {
  const type = lookupType(typeName);
  const bytes = type.encode(type.fromObject(object)).finish();
  return canonMessage(type, type.decode(bytes));
}
