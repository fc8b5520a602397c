/**
 * Readers for the values of a parsed mesh config: each checks the type the proto field has,
 * records an error at `path` when it does not match, and returns the typed value or undefined.
 * Istio's decoder refuses a value of the wrong type (a number where a string is declared, a
 * string where a list is), so these do too rather than guess.
 */
import { at, idx } from "../validation/diagnostic";
import { fieldOf } from "./field-names";
import { isMapping, shown, type Findings } from "./findings";

/** A set field of a mapping: its canonical name's value and the path as the user wrote it. */
export interface Field {
  readonly path: string;
  readonly value: unknown;
}

/**
 * The fields of `mapping` that name one of `known`, keyed by canonical (JSON) name. Null values
 * are left out: protobuf JSON reads `null` as "not set". Keys that name no field are handed to
 * `unknown` with their path.
 */
export function fieldsOf(
  findings: Findings,
  path: string,
  mapping: Record<string, unknown>,
  known: readonly string[],
  unknown: (path: string, key: string) => void,
): Map<string, Field> {
  const fields = new Map<string, Field>();
  const writtenAs = new Map<string, string>();
  for (const [key, value] of Object.entries(mapping)) {
    const name = fieldOf(key, known);
    const fieldPath = at(path, key);
    if (name === undefined) {
      unknown(fieldPath, key);
      continue;
    }
    const earlier = writtenAs.get(name);
    if (earlier !== undefined) {
      findings.error(fieldPath, `sets the same field as ${JSON.stringify(earlier)}`);
      continue;
    }
    writtenAs.set(name, key);
    if (value !== null) fields.set(name, { path: fieldPath, value });
  }
  return fields;
}

/** A mapping, or an error saying what it must hold. */
export function readMapping(
  findings: Findings,
  path: string,
  value: unknown,
): Record<string, unknown> | undefined {
  if (isMapping(value)) return value;
  findings.error(path, `must be a mapping, got ${shown(value)}`);
  return undefined;
}

/** A string. */
export function readString(findings: Findings, path: string, value: unknown): string | undefined {
  if (typeof value === "string") return value;
  findings.error(path, `must be a string, got ${shown(value)}`);
  return undefined;
}

/** A boolean (`true`/`false`; a quoted "true" is a string, as Istio's decoder sees it). */
export function readBoolean(findings: Findings, path: string, value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  findings.error(path, `must be true or false, got ${shown(value)}`);
  return undefined;
}

/** A uint32 (`maxRequestBytes` and the like). */
export function readUint32(findings: Findings, path: string, value: unknown): number | undefined {
  if (typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xffffffff)
    return value;
  findings.error(path, `must be a whole number 0-4294967295, got ${shown(value)}`);
  return undefined;
}

/** A list of strings; every bad item is reported, and the list is dropped if any is bad. */
export function readStringList(
  findings: Findings,
  path: string,
  value: unknown,
): string[] | undefined {
  if (!Array.isArray(value)) {
    findings.error(path, `must be a list of strings, got ${shown(value)}`);
    return undefined;
  }
  let good = true;
  for (const [i, item] of value.entries()) {
    if (typeof item !== "string") {
      findings.error(idx(path, i), `must be a string, got ${shown(item)}`);
      good = false;
    }
  }
  return good ? (value as string[]) : undefined;
}

/** A map of strings to strings (`map<string, string>` in the proto). */
export function readStringMap(
  findings: Findings,
  path: string,
  value: unknown,
): Record<string, string> | undefined {
  if (!isMapping(value)) {
    findings.error(path, `must be a mapping of strings to strings, got ${shown(value)}`);
    return undefined;
  }
  let good = true;
  for (const [key, item] of Object.entries(value)) {
    if (typeof item !== "string") {
      findings.error(idx(path, key), `must be a string, got ${shown(item)}`);
      good = false;
    }
  }
  return good ? (value as Record<string, string>) : undefined;
}
