/**
 * JSON ↔ `google.protobuf.Struct` in protobufjs object form, for the status records the control
 * plane carries inside CSDS (node metadata, per-type summaries). Pure.
 *
 * @see https://protobuf.dev/reference/protobuf/google.protobuf/#struct
 */

type Plain = Record<string, unknown>;

/** A JSON value as a `google.protobuf.Value` object (undefined becomes `null_value`). */
export function jsonToValue(value: unknown): Plain {
  if (value === null || value === undefined) return { null_value: "NULL_VALUE" };
  if (typeof value === "string") return { string_value: value };
  if (typeof value === "number") return { number_value: value };
  if (typeof value === "boolean") return { bool_value: value };
  if (Array.isArray(value)) return { list_value: { values: value.map(jsonToValue) } };
  if (typeof value === "object") return { struct_value: jsonToStruct(value as Plain) };
  return { string_value: String(value) };
}

/** A JSON object as a `google.protobuf.Struct` object; undefined members are left out. */
export function jsonToStruct(object: Readonly<Plain>): Plain {
  const fields: Record<string, Plain> = {};
  for (const [key, value] of Object.entries(object)) {
    if (value !== undefined) fields[key] = jsonToValue(value);
  }
  return { fields };
}

/**
 * A decoded `google.protobuf.Value` (protobufjs `toObject` with `oneofs: true`) as JSON. The
 * `kind` oneof tells an explicit `0`, `""` or `false` from an absent value.
 */
export function valueToJson(value: Plain | null | undefined): unknown {
  if (!value) return null;
  switch (value.kind) {
    case "struct_value":
      return structToJson(value.struct_value as Plain);
    case "list_value":
      return (((value.list_value as Plain).values as Plain[] | undefined) ?? []).map(valueToJson);
    case "string_value":
      return String(value.string_value ?? "");
    case "number_value":
      return Number(value.number_value ?? 0);
    case "bool_value":
      return Boolean(value.bool_value);
    default:
      return null;
  }
}

/** A decoded `google.protobuf.Struct` as a JSON object. */
export function structToJson(struct: Plain | null | undefined): Record<string, unknown> {
  const fields = (struct?.fields ?? {}) as Record<string, Plain>;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, valueToJson(v)]));
}
