import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import { crdFor, generateCrds } from "../../../mesh/api/crds";
import { KINDS, KIND_NAMES } from "../../../mesh/api/kinds";
import type { JsonSchema } from "../../../mesh/api/openapi";
import { sharedPath } from "../../harness/shared";

type Crd = { spec: { group: string; names: Record<string, unknown>; versions: JsonSchema[] } };

const istio: Crd[] = parseAllDocuments(
  readFileSync(sharedPath("istio/manifests/charts/base/files/crd-all.gen.yaml"), "utf8"),
)
  .map(d => d.toJS() as Crd)
  .filter(d => d && d.spec);

function istioCrd(kind: string): Crd {
  const crd = istio.find(c => c.spec.names.kind === kind && c.spec.group.endsWith("istio.io"));
  if (!crd) throw new Error(`Istio has no CRD for ${kind}`);
  return crd;
}

/** Every field path of a schema: `a.b`, `a[]` for items, `a{}` for map values, with its type. */
function fields(
  schema: JsonSchema,
  path = "spec",
  out = new Map<string, string>(),
): Map<string, string> {
  const enumValues = Array.isArray(schema.enum)
    ? `(${[...(schema.enum as string[])].sort().join("|")})`
    : "";
  out.set(path, `${String(schema.type)}${enumValues}`);
  for (const [key, child] of Object.entries(
    (schema.properties ?? {}) as Record<string, JsonSchema>,
  )) {
    fields(child, `${path}.${key}`, out);
  }
  if (schema.items) fields(schema.items as JsonSchema, `${path}[]`, out);
  if (typeof schema.additionalProperties === "object") {
    fields(schema.additionalProperties as JsonSchema, `${path}{}`, out);
  }
  return out;
}

/**
 * Fields of Istio's schema we deliberately do not serve, with the reason. A field listed here
 * that we do serve fails the test too, so the list cannot go stale.
 */
const NOT_SERVED: Record<string, string> = {};

function specSchema(crd: Crd, version: string): JsonSchema {
  const v = crd.spec.versions.find(x => x.name === version);
  if (!v) throw new Error(`no version ${version}`);
  const root = (v.schema as { openAPIV3Schema: JsonSchema }).openAPIV3Schema;
  return (root.properties as Record<string, JsonSchema>).spec as JsonSchema;
}

describe("generated CRDs", () => {
  const ours = generateCrds();

  it("cover the twelve Istio kinds, one CRD each", () => {
    expect(ours.map(c => c.spec.names.kind)).toEqual(KIND_NAMES);
    expect(ours).toHaveLength(12);
  });

  it.each(KIND_NAMES)(
    "%s: names, versions, storage, subresources and columns match Istio",
    kind => {
      const mine = crdFor(KINDS[kind]);
      const theirs = istioCrd(kind);
      const theirNames = theirs.spec.names;
      expect(mine.metadata.name).toBe(`${theirNames.plural}.${theirs.spec.group}`);
      expect(mine.spec.group).toBe(theirs.spec.group);
      expect(mine.spec.names).toEqual(theirNames);
      const versionSummary = (vs: JsonSchema[]) =>
        vs
          .map(v => ({
            name: v.name,
            served: v.served,
            storage: v.storage,
            subresources: v.subresources,
            columns: ((v.additionalPrinterColumns ?? []) as JsonSchema[]).map(c => [
              c.name,
              c.type,
              c.jsonPath,
            ]),
          }))
          .sort((a, b) => String(a.name).localeCompare(String(b.name)));
      expect(versionSummary(mine.spec.versions as unknown as JsonSchema[])).toEqual(
        versionSummary(theirs.spec.versions),
      );
      expect(mine.spec.versions.filter(v => v.storage)).toHaveLength(1);
    },
  );

  it.each(KIND_NAMES)("%s: status is a subresource that keeps unknown fields", kind => {
    for (const v of crdFor(KINDS[kind]).spec.versions) {
      const status = (v.schema.openAPIV3Schema.properties as Record<string, JsonSchema>).status;
      expect(status).toEqual({ type: "object", "x-kubernetes-preserve-unknown-fields": true });
      expect(v.subresources).toEqual({ status: {} });
    }
  });

  it.each(KIND_NAMES)("%s: every field of Istio's schema is served with the same type", kind => {
    const crd = crdFor(KINDS[kind]);
    const theirs = istioCrd(kind);
    for (const version of crd.spec.versions.map(v => v.name)) {
      const mine = fields(specSchema(crd as unknown as Crd, version));
      const reference = fields(specSchema(theirs, version));
      const missing = [...reference.keys()].filter(
        p => !mine.has(p) && !NOT_SERVED[`${kind}:${p}`],
      );
      const extra = [...mine.keys()].filter(p => !reference.has(p));
      const mismatched = [...reference.entries()]
        .filter(([p, t]) => mine.has(p) && mine.get(p) !== t)
        .map(([p, t]) => `${p}: ours ${mine.get(p)}, Istio ${t}`);
      expect({ version, missing, extra, mismatched }).toEqual({
        version,
        missing: [],
        extra: [],
        mismatched: [],
      });
    }
  });

  it.each(KIND_NAMES)(
    "%s: every served version has the same schema, so v1beta1 reads back as v1",
    kind => {
      const [first, ...rest] = crdFor(KINDS[kind]).spec.versions;
      for (const v of rest) expect(v.schema).toEqual(first!.schema);
    },
  );

  it("lists no exception for a field we actually serve", () => {
    for (const key of Object.keys(NOT_SERVED)) {
      const [kind, path] = key.split(":") as [keyof typeof KINDS, string];
      const spec = crdFor(KINDS[kind]).spec.versions[0]!.schema.openAPIV3Schema
        .properties as Record<string, JsonSchema>;
      expect(fields(spec.spec as JsonSchema).has(path)).toBe(false);
    }
  });

  it("emits structural schemas: every node has a type, oneOf only constrains required keys", () => {
    const check = (s: JsonSchema, path: string): void => {
      expect([path, typeof s.type]).toEqual([path, "string"]);
      for (const [k, child] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>))
        check(child, `${path}.${k}`);
      if (s.items) check(s.items as JsonSchema, `${path}[]`);
      if (typeof s.additionalProperties === "object")
        check(s.additionalProperties as JsonSchema, `${path}{}`);
      for (const branch of [
        ...((s.oneOf ?? []) as JsonSchema[]),
        ...((s.allOf ?? []) as JsonSchema[]),
      ]) {
        expect(JSON.stringify(branch)).not.toMatch(/"type"|"properties"/);
      }
    };
    for (const crd of ours)
      for (const v of crd.spec.versions) check(v.schema.openAPIV3Schema, crd.spec.names.kind);
  });

  it("marks the same required fields as Istio", () => {
    for (const kind of KIND_NAMES) {
      const required = (s: JsonSchema, path: string, out: string[]) => {
        for (const r of (s.required ?? []) as string[]) out.push(`${path}.${r}`);
        for (const [k, c] of Object.entries((s.properties ?? {}) as Record<string, JsonSchema>))
          required(c, `${path}.${k}`, out);
        if (s.items) required(s.items as JsonSchema, `${path}[]`, out);
        if (typeof s.additionalProperties === "object")
          required(s.additionalProperties as JsonSchema, `${path}{}`, out);
        return out;
      };
      const mine = crdFor(KINDS[kind]).spec.versions[0]!.schema.openAPIV3Schema;
      const theirs = istioCrd(kind).spec.versions.find(
        v => v.name === "v1" || v.name === "v1alpha3",
      )!;
      expect([kind, required(mine, "", []).sort()]).toEqual([
        kind,
        required((theirs.schema as { openAPIV3Schema: JsonSchema }).openAPIV3Schema, "", []).sort(),
      ]);
    }
  });
});
