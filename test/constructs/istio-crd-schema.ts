/**
 * A small OpenAPI v3 structural-schema checker for objects against Istio's own CRDs
 * (`../shared/istio/manifests/charts/base/files/crd-all.gen.yaml`), so tests can show that what
 * the constructs synthesize is accepted by Istio's schema, not only by Rigging's.
 *
 * It checks what the API server checks from the schema: types (with `nullable` and
 * `x-kubernetes-int-or-string`), required fields, enums, patterns, ranges, lengths, list and map
 * sizes, `x-kubernetes-list-type` uniqueness, and the value-validation forms Istio uses (`oneOf`,
 * `anyOf`, `allOf`, `not`). Unknown fields are errors, because the API server would silently
 * prune them. CEL rules (`x-kubernetes-validations`) are not evaluated; they are counted so a
 * test can tell how many it skipped (Rigging's validators implement the same rules).
 */
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { sharedPath } from "../harness/shared";

/** A JSON schema node as it appears in a CRD. */
export type Schema = { [key: string]: unknown };

interface CrdDoc {
  spec: {
    group: string;
    names: { kind: string };
    versions: { name: string; served: boolean; schema: { openAPIV3Schema: Schema } }[];
  };
}

let crds: CrdDoc[] | undefined;

/** Istio's CRDs, parsed once. */
export function istioCrds(): CrdDoc[] {
  crds ??= parseAllDocuments(
    readFileSync(sharedPath("istio/manifests/charts/base/files/crd-all.gen.yaml"), "utf8"),
  )
    .map(d => d.toJS() as CrdDoc)
    .filter(d => d?.spec?.versions);
  return crds;
}

/** The schema Istio serves for `apiVersion` and `kind`, or undefined when it serves none. */
export function istioSchema(apiVersion: string, kind: string): Schema | undefined {
  const [group, version] = apiVersion.split("/");
  const crd = istioCrds().find(c => c.spec.group === group && c.spec.names.kind === kind);
  const v = crd?.spec.versions.find(x => x.name === version && x.served);
  return v?.schema.openAPIV3Schema;
}

/** What one check found. */
export interface SchemaCheck {
  readonly errors: string[];
  /** CEL rules met on the way and not evaluated. */
  readonly skippedCel: number;
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

class Checker {
  readonly errors: string[] = [];
  skippedCel = 0;

  check(value: unknown, s: Schema, path: string): void {
    if (Array.isArray(s["x-kubernetes-validations"]))
      this.skippedCel += s["x-kubernetes-validations"].length;
    if (value === null) {
      if (s.nullable !== true) this.errors.push(`${path}: null is not allowed`);
      return;
    }
    const actual = typeOf(value);
    const intOrString = s["x-kubernetes-int-or-string"] === true;
    const expected = s.type as string | undefined;
    const typeOk =
      expected === undefined ||
      (intOrString && (actual === "integer" || actual === "string")) ||
      actual === expected ||
      (expected === "number" && actual === "integer");
    if (!typeOk) {
      this.errors.push(
        `${path}: expected ${intOrString ? "int-or-string" : expected}, got ${actual}`,
      );
      return;
    }
    this.values(value, s, path);
    if (actual === "object") this.object(value as Record<string, unknown>, s, path);
    if (actual === "array") this.array(value as unknown[], s, path);
    for (const sub of (s.allOf ?? []) as Schema[]) this.check(value, sub, path);
    if (Array.isArray(s.oneOf)) {
      const passing = (s.oneOf as Schema[]).filter(sub => this.passes(value, sub, path)).length;
      if (passing !== 1)
        this.errors.push(`${path}: must match exactly one oneOf branch, matches ${passing}`);
    }
    if (Array.isArray(s.anyOf) && !(s.anyOf as Schema[]).some(sub => this.passes(value, sub, path)))
      this.errors.push(`${path}: matches no anyOf branch`);
    if (s.not && this.passes(value, s.not as Schema, path))
      this.errors.push(`${path}: matches a not schema`);
  }

  private passes(value: unknown, s: Schema, path: string): boolean {
    const sub = new Checker();
    sub.check(value, s, path);
    return sub.errors.length === 0;
  }

  private values(value: unknown, s: Schema, path: string): void {
    if (Array.isArray(s.enum) && !s.enum.includes(value))
      this.errors.push(`${path}: ${JSON.stringify(value)} not in enum ${JSON.stringify(s.enum)}`);
    if (typeof value === "string") {
      if (typeof s.pattern === "string" && !new RegExp(s.pattern).test(value))
        this.errors.push(`${path}: ${JSON.stringify(value)} does not match ${s.pattern}`);
      if (typeof s.minLength === "number" && value.length < s.minLength)
        this.errors.push(`${path}: shorter than ${s.minLength}`);
      if (typeof s.maxLength === "number" && value.length > s.maxLength)
        this.errors.push(`${path}: longer than ${s.maxLength}`);
    }
    if (typeof value === "number") {
      if (typeof s.minimum === "number" && value < s.minimum)
        this.errors.push(`${path}: ${value} < minimum ${s.minimum}`);
      if (typeof s.maximum === "number" && value > s.maximum)
        this.errors.push(`${path}: ${value} > maximum ${s.maximum}`);
      if (s.format === "int32" && (value < -(2 ** 31) || value >= 2 ** 31))
        this.errors.push(`${path}: ${value} is not an int32`);
    }
  }

  private object(value: Record<string, unknown>, s: Schema, path: string): void {
    const props = s.properties as Record<string, Schema> | undefined;
    const additional = s.additionalProperties;
    const keep = s["x-kubernetes-preserve-unknown-fields"] === true;
    for (const [key, child] of Object.entries(value)) {
      const p = `${path}.${key}`;
      if (props && Object.hasOwn(props, key)) this.check(child, props[key] as Schema, p);
      else if (typeof additional === "object") this.check(child, additional as Schema, p);
      else if (props !== undefined && !keep && additional !== true)
        this.errors.push(`${p}: unknown field (the API server would prune it)`);
    }
    for (const key of (s.required ?? []) as string[])
      if (value[key] === undefined) this.errors.push(`${path}.${key}: required`);
    const n = Object.keys(value).length;
    if (typeof s.minProperties === "number" && n < s.minProperties)
      this.errors.push(`${path}: fewer than ${s.minProperties} properties`);
    if (typeof s.maxProperties === "number" && n > s.maxProperties)
      this.errors.push(`${path}: more than ${s.maxProperties} properties`);
  }

  private array(value: unknown[], s: Schema, path: string): void {
    value.forEach((item, i) => s.items && this.check(item, s.items as Schema, `${path}[${i}]`));
    if (typeof s.minItems === "number" && value.length < s.minItems)
      this.errors.push(`${path}: fewer than ${s.minItems} items`);
    if (typeof s.maxItems === "number" && value.length > s.maxItems)
      this.errors.push(`${path}: more than ${s.maxItems} items`);
    const listType = s["x-kubernetes-list-type"];
    if (listType === "set" || listType === "map") {
      const keys = (s["x-kubernetes-list-map-keys"] ?? []) as string[];
      const id = (item: unknown) =>
        listType === "set"
          ? JSON.stringify(item)
          : JSON.stringify(keys.map(k => (item as Record<string, unknown>)[k]));
      const seen = new Set<string>();
      for (const item of value) {
        if (seen.has(id(item)))
          this.errors.push(`${path}: duplicate ${listType} entry ${id(item)}`);
        seen.add(id(item));
      }
    }
  }
}

/**
 * Checks a manifest against the Istio CRD of its apiVersion and kind: the envelope, then `spec`
 * against the served version's structural schema.
 */
export function checkAgainstIstio(manifest: Record<string, unknown>): SchemaCheck {
  const apiVersion = String(manifest.apiVersion);
  const kind = String(manifest.kind);
  const schema = istioSchema(apiVersion, kind);
  const checker = new Checker();
  if (!schema) {
    checker.errors.push(`Istio serves no ${kind} in ${apiVersion}`);
    return checker;
  }
  for (const key of Object.keys(manifest))
    if (!["apiVersion", "kind", "metadata", "spec", "status"].includes(key))
      checker.errors.push(`${key}: unknown top-level field`);
  const { apiVersion: _a, kind: _k, metadata: _m, ...body } = manifest;
  // metadata is the API server's ObjectMeta, not part of the CRD schema.
  checker.check(body, schema, kind);
  return checker;
}
