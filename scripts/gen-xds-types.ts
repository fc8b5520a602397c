/**
 * Generates `xds/generated/envoy-types.ts`: a TypeScript object type for every message and a union
 * of names for every enum in `xds/generated/envoy-protos.json` (the descriptor
 * `scripts/gen-xds-protos.ts` writes), in the object form the compiler hands to protobufjs and
 * `xds/encode/` checks: proto field names (snake_case), `Any` written as
 * `{ "@type": <type URL>, ...fields }`, enums by name, 64-bit integers as numbers or strings.
 *
 * Object type aliases rather than `interface`s, so that a message is assignable to the
 * encoder's `Record<string, unknown>` input (interfaces have no implicit index signature).
 *
 * So a misspelt Envoy field in the compiler fails `tsc`; the encode-and-compare check stays as
 * the run-time safety net (oneofs, for one, are typed as independent optional fields here).
 *
 * Run:
 *   npx tsx scripts/gen-xds-types.ts           # writes the file
 *   npx tsx scripts/gen-xds-types.ts --check   # exit 1 when the committed file is out of date
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import protobuf from "protobufjs";

const repo = resolve(__dirname, "..");
/** The descriptor read and the file written, relative to the repository. */
export const DESCRIPTOR = "xds/generated/envoy-protos.json";
export const OUTPUT = "xds/generated/envoy-types.ts";

const TYPE_URL_PREFIX = "type.googleapis.com/";
const VERSION = /^v\d+(alpha\d*|beta\d*)?$/;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

const key = (name: string) => (IDENTIFIER.test(name) ? name : JSON.stringify(name));
const upper = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const pascal = (s: string) =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map(upper)
    .join("");

/** Every message and enum of the descriptor, in a stable order. */
function collect(root: protobuf.Root): (protobuf.Type | protobuf.Enum)[] {
  const out: (protobuf.Type | protobuf.Enum)[] = [];
  const walk = (ns: protobuf.NamespaceBase): void => {
    for (const child of ns.nestedArray) {
      if (child instanceof protobuf.Type || child instanceof protobuf.Enum) out.push(child);
      if (child instanceof protobuf.Namespace || child instanceof protobuf.Type) walk(child);
    }
  };
  walk(root);
  return out.sort((a, b) => (a.fullName < b.fullName ? -1 : a.fullName > b.fullName ? 1 : 0));
}

/** The package segments (outside any message) and the message path of a type. */
function parts(t: protobuf.ReflectionObject): { pkg: string[]; nested: string[] } {
  const nested: string[] = [];
  let at: protobuf.ReflectionObject | null = t;
  while (at && (at instanceof protobuf.Type || at instanceof protobuf.Enum)) {
    nested.unshift(at.name);
    at = at.parent;
  }
  const pkg: string[] = [];
  while (at && at.name !== "") {
    pkg.unshift(at.name);
    at = at.parent;
  }
  return { pkg, nested };
}

/**
 * TypeScript names: the message path (`RouteAction_HashPolicy`) where that is unique, else
 * qualified by as many package segments (versions skipped) as it takes: `HttpRbac_RBAC`,
 * `NetworkRbac_RBAC`, `ConfigRbac_RBAC`.
 */
function names(types: readonly (protobuf.Type | protobuf.Enum)[]): Map<string, string> {
  const info = types.map(t => {
    const { pkg, nested } = parts(t);
    return { full: t.fullName, pkg: pkg.filter(s => !VERSION.test(s)), base: nested.join("_") };
  });
  const result = new Map<string, string>();
  let depth = 0;
  let pending = info;
  while (pending.length > 0) {
    const candidate = (i: (typeof info)[number]) => {
      const qual = i.pkg
        .slice(Math.max(0, i.pkg.length - depth))
        .map(pascal)
        .join("");
      return qual ? `${qual}_${i.base}` : i.base;
    };
    const count = new Map<string, number>();
    for (const i of pending) count.set(candidate(i), (count.get(candidate(i)) ?? 0) + 1);
    const taken = new Set(result.values());
    const next: typeof info = [];
    for (const i of pending) {
      const c = candidate(i);
      if (count.get(c) === 1 && !taken.has(c)) result.set(i.full, c);
      else if (depth > 20) result.set(i.full, i.full.slice(1).replace(/\./g, "_"));
      else next.push(i);
    }
    pending = next;
    depth++;
  }
  return result;
}

const SCALARS: Readonly<Record<string, string>> = {
  string: "string",
  bool: "boolean",
  double: "number",
  float: "number",
  int32: "number",
  uint32: "number",
  sint32: "number",
  fixed32: "number",
  sfixed32: "number",
  int64: "number | string",
  uint64: "number | string",
  sint64: "number | string",
  fixed64: "number | string",
  sfixed64: "number | string",
  bytes: "string | Uint8Array",
};

function doc(lines: string[], indent: string): string {
  return `${indent}/** ${lines.join(" ").replace(/\*\//g, "*\\/")} */\n`;
}

/** The generated module's text for the descriptor `json`. */
export function generateEnvoyTypes(json: protobuf.INamespace): string {
  const root = protobuf.Root.fromJSON(json);
  root.resolveAll();
  const types = collect(root);
  const name = names(types);
  const ref = (t: protobuf.ReflectionObject): string => {
    if (t.fullName === ".google.protobuf.Any") return "AnyMessage";
    const n = name.get(t.fullName);
    if (!n) throw new Error(`no name for ${t.fullName}`);
    return n;
  };
  const fieldType = (f: protobuf.Field): string => {
    const t = f.resolvedType;
    const base = t ? ref(t) : SCALARS[f.type];
    if (!base) throw new Error(`unknown scalar ${f.type} (${f.fullName})`);
    if (f instanceof protobuf.MapField || f.map) return `{ [key: string]: ${base} }`;
    if (f.repeated) return base.includes("|") ? `readonly (${base})[]` : `readonly ${base}[]`;
    return base;
  };

  const out: string[] = [
    "// Generated by scripts/gen-xds-types.ts from xds/generated/envoy-protos.json. Do not edit:",
    "// run `npx tsx scripts/gen-xds-types.ts` after `scripts/gen-xds-protos.ts`.",
    "",
  ];
  const anyMembers: string[] = [];
  for (const t of types) {
    const n = ref(t);
    const full = t.fullName.slice(1);
    if (t instanceof protobuf.Enum) {
      const values = Object.keys(t.values).map(v => JSON.stringify(v));
      out.push(doc([`\`${full}\` (enum): its value names, or numbers.`], ""));
      out.push(`export type ${n} = ${[...values, "number"].join(" | ")};\n`);
      continue;
    }
    if (full === "google.protobuf.Any") continue;
    const fields = t.fieldsArray;
    out.push(doc([`\`${full}\`.`], ""));
    if (fields.length === 0) {
      out.push(`export type ${n} = Record<never, never>;\n`);
    } else {
      out.push(`export type ${n} = {`);
      for (const f of fields) out.push(`  ${key(f.name)}?: ${fieldType(f)};`);
      out.push("};\n");
    }
    if (!(t.parent instanceof protobuf.Type)) {
      anyMembers.push(`  ${JSON.stringify(TYPE_URL_PREFIX + full)}: ${n};`);
    }
  }
  out.push(doc(["Messages an `Any` can carry, by type URL (every top-level message)."], ""));
  out.push("export interface AnyPayloads {", ...anyMembers, "}\n");
  out.push(doc(["A message of type URL `U` as an `Any`: its `@type`, then its fields."], ""));
  out.push('export type AnyOf<U extends keyof AnyPayloads> = { "@type": U } & AnyPayloads[U];\n');
  out.push(doc(["`google.protobuf.Any` in object form: any message of the descriptor."], ""));
  out.push("export type AnyMessage = { [U in keyof AnyPayloads]: AnyOf<U> }[keyof AnyPayloads];");
  return `${out.join("\n")}\n`;
}

function main(): void {
  const json = JSON.parse(readFileSync(join(repo, DESCRIPTOR), "utf8")) as protobuf.INamespace;
  const text = generateEnvoyTypes(json);
  const path = join(repo, OUTPUT);
  if (process.argv.includes("--check")) {
    const current = readFileSync(path, "utf8");
    if (current !== text) {
      console.error(`${OUTPUT} is out of date: run npx tsx scripts/gen-xds-types.ts`);
      process.exitCode = 1;
    }
    return;
  }
  writeFileSync(path, text);
  console.log(`${OUTPUT}: ${text.length} bytes`);
}

if (require.main === module) main();
