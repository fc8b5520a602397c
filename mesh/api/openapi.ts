/**
 * Emits a Kubernetes structural OpenAPI v3 schema from a schema node
 * (https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema).
 */
import { requiredKeys, type Node, type ObjectNode } from "./schema";

/** A JSON schema object as the API server reads it. */
export type JsonSchema = { [key: string]: unknown };

/**
 * Istio's encoding of a proto `oneof`: either none of the fields, or exactly one of them. It is
 * structural because it only uses `required` inside the value validation.
 */
function oneOfSchema(group: readonly string[]): JsonSchema {
  return {
    oneOf: [
      { not: { anyOf: group.map(k => ({ required: [k] })) } },
      ...group.map(k => ({ required: [k] })),
    ],
  };
}

function objectSchema(node: ObjectNode): JsonSchema {
  const out: JsonSchema = { type: "object", properties: {} };
  const props = out.properties as Record<string, JsonSchema>;
  for (const key of Object.keys(node.properties).sort()) {
    props[key] = toOpenApi(node.properties[key] as Node);
  }
  const required = requiredKeys(node);
  if (required.length > 0) out.required = required;
  const groups = node.oneOf ?? [];
  if (groups.length === 1) Object.assign(out, oneOfSchema(groups[0] as readonly string[]));
  if (groups.length > 1) out.allOf = groups.map(oneOfSchema);
  return out;
}

/** Copies the listed constraint keys that are set on `node` into `out`. */
function copy(out: JsonSchema, node: object, keys: readonly string[]): JsonSchema {
  for (const key of keys) {
    const value = (node as Record<string, unknown>)[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** The structural OpenAPI v3 schema of `node`. */
export function toOpenApi(node: Node): JsonSchema {
  const out: JsonSchema = {};
  if (node.description) out.description = node.description;
  switch (node.type) {
    case "string":
      out.type = "string";
      return copy(out, node, ["enum", "format", "pattern", "minLength", "maxLength"]);
    case "integer":
    case "number":
      out.type = node.type;
      return copy(out, node, ["format", "minimum", "maximum"]);
    case "boolean":
      out.type = "boolean";
      return out;
    case "array":
      out.type = "array";
      out.items = toOpenApi(node.items);
      return copy(out, node, ["minItems", "maxItems"]);
    case "map":
      out.type = "object";
      out.additionalProperties = toOpenApi(node.values);
      return copy(out, node, ["minProperties", "maxProperties"]);
    case "object":
      return { ...out, ...objectSchema(node) };
    case "any-object":
      out.type = "object";
      out["x-kubernetes-preserve-unknown-fields"] = true;
      return out;
  }
}
