/**
 * Shape checks driven by the schemas of `mesh/api`: types, required fields, enums, ranges,
 * patterns, one-of groups and unknown fields. They mirror what the API server enforces with the
 * generated CRD, so a webhook (or `rig analyze` on files) refuses the same objects. Unknown fields
 * are a warning: the API server prunes them (or refuses them under kubectl's strict field
 * validation) and Istio ignores them. Semantic validators run only on objects that pass, so they
 * can trust the inferred types.
 */
import { requiredKeys, type Node, type ObjectNode } from "../../mesh/api/schema";
import { at, idx, type Report } from "./diagnostic";

function typeName(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const quote = (v: string): string => JSON.stringify(v);

// Schema patterns are few and fixed; compile each once.
const patterns = new Map<string, RegExp>();
function pattern(source: string): RegExp {
  let re = patterns.get(source);
  if (!re) patterns.set(source, (re = new RegExp(source)));
  return re;
}

function checkRange(
  report: Report,
  path: string,
  value: number,
  node: { minimum?: number; maximum?: number },
): void {
  if (node.minimum !== undefined && value < node.minimum) {
    report.error(path, `Invalid value: ${value}: must be greater than or equal to ${node.minimum}`);
  }
  if (node.maximum !== undefined && value > node.maximum) {
    report.error(path, `Invalid value: ${value}: must be less than or equal to ${node.maximum}`);
  }
}

function checkString(
  report: Report,
  path: string,
  value: string,
  node: Extract<Node, { type: "string" }>,
): void {
  if (node.enum && !node.enum.includes(value)) {
    report.error(
      path,
      `Unsupported value: ${quote(value)}: supported values: ${node.enum.map(quote).join(", ")}`,
    );
  }
  if (node.minLength !== undefined && value.length < node.minLength) {
    report.error(
      path,
      `Invalid value: ${quote(value)}: should be at least ${node.minLength} chars long`,
    );
  }
  if (node.maxLength !== undefined && value.length > node.maxLength) {
    report.error(path, `Too long: may not be more than ${node.maxLength} bytes`);
  }
  if (node.pattern !== undefined && !pattern(node.pattern).test(value)) {
    report.error(path, `Invalid value: ${quote(value)}: should match '${node.pattern}'`);
  }
  if (node.format === "byte" && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) {
    report.error(path, `Invalid value: ${quote(value)}: must be base64 encoded`);
  }
}

// Required keys per object node, computed once: most objects have many optional properties.
const required = new WeakMap<ObjectNode, string[]>();
function requiredOf(node: ObjectNode): string[] {
  let keys = required.get(node);
  if (!keys) required.set(node, (keys = requiredKeys(node)));
  return keys;
}

function checkObject(
  report: Report,
  path: string,
  value: Record<string, unknown>,
  node: ObjectNode,
): void {
  for (const [key, child] of Object.entries(value)) {
    const schema = Object.hasOwn(node.properties, key) ? node.properties[key] : undefined;
    if (!schema) {
      report.warn(at(path, key), "unknown field, ignored: the API server drops it");
      continue;
    }
    // The API server drops null for a non-nullable property, as if it were absent.
    if (child === null) continue;
    checkShape(report, at(path, key), child, schema);
  }
  for (const key of requiredOf(node)) {
    if (value[key] === undefined || value[key] === null)
      report.error(at(path, key), "Required value");
  }
  for (const group of node.oneOf ?? []) {
    const set = group.filter(k => value[k] !== undefined && value[k] !== null);
    if (set.length > 1)
      report.error(path, `only one of ${group.join(", ")} may be set, found ${set.join(", ")}`);
  }
}

/**
 * Checks that `value` has the shape `node` describes, recording each violation on `report`.
 * Never throws, whatever `value` is.
 */
export function checkShape(report: Report, path: string, value: unknown, node: Node): void {
  const actual = typeName(value);
  switch (node.type) {
    case "string":
      if (typeof value !== "string")
        return report.error(path, `Invalid type: expected string, got ${actual}`);
      return checkString(report, path, value, node);
    case "integer":
      if (actual !== "integer")
        return report.error(path, `Invalid type: expected integer, got ${actual}`);
      return checkRange(report, path, value as number, node);
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) {
        return report.error(path, `Invalid type: expected number, got ${actual}`);
      }
      return checkRange(report, path, value, node);
    case "boolean":
      if (typeof value !== "boolean")
        report.error(path, `Invalid type: expected boolean, got ${actual}`);
      return;
    case "array":
      if (!Array.isArray(value))
        return report.error(path, `Invalid type: expected array, got ${actual}`);
      if (node.minItems !== undefined && value.length < node.minItems) {
        report.error(path, `Invalid value: should have at least ${node.minItems} items`);
      }
      if (node.maxItems !== undefined && value.length > node.maxItems) {
        report.error(path, `Too many: ${value.length}: must have at most ${node.maxItems} items`);
      }
      // An index loop, not forEach: a sparse array's holes must be checked too.
      for (let i = 0; i < value.length; i++) checkShape(report, idx(path, i), value[i], node.items);
      return;
    case "map": {
      if (!isPlainObject(value))
        return report.error(path, `Invalid type: expected object, got ${actual}`);
      const size = Object.keys(value).length;
      if (node.minProperties !== undefined && size < node.minProperties) {
        report.error(path, `Invalid value: should have at least ${node.minProperties} properties`);
      }
      if (node.maxProperties !== undefined && size > node.maxProperties) {
        report.error(path, `Too many: ${size}: must have at most ${node.maxProperties} properties`);
      }
      for (const [key, child] of Object.entries(value)) {
        if (node.keys === "uint32" && !(/^\d+$/.test(key) && Number(key) <= 4294967295)) {
          report.error(idx(path, key), `type conversion error from ${quote(key)} to uint32`);
        }
        checkShape(report, idx(path, key), child, node.values);
      }
      return;
    }
    case "object":
      if (!isPlainObject(value))
        return report.error(path, `Invalid type: expected object, got ${actual}`);
      return checkObject(report, path, value, node);
    case "any-object":
      if (!isPlainObject(value)) report.error(path, `Invalid type: expected object, got ${actual}`);
      return;
  }
}
