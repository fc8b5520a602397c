/**
 * Compares two xDS dumps of the same proxy (istiod's and Rigging's) after normalisation: names
 * only one side has, and for common names the field differences. Differences are reported under
 * stable keys that generalise over names and array positions (`CDS outbound|* lb_policy
 * value`), so that one rule applied to every cluster of a kind is one line in the known list.
 */
import { DIFF_TYPES, type DiffType, type XdsDump } from "./dump";
import { normalise } from "./normalise";

type Json = Record<string, unknown>;

/** One field-level difference inside a resource present on both sides. */
export interface FieldDifference {
  /** Path inside the resource, `a.b[name=x].c`. */
  readonly path: string;
  /** `istiod-only` (field set only by istiod), `rigging-only`, or `value` (both set, differ). */
  readonly kind: "istiod-only" | "rigging-only" | "value";
  readonly istiod?: unknown;
  readonly rigging?: unknown;
}

/** The outcome for one type. */
export interface TypeComparison {
  readonly type: DiffType;
  readonly istiod: number;
  readonly rigging: number;
  readonly common: number;
  readonly equal: number;
  readonly onlyIstiod: readonly string[];
  readonly onlyRigging: readonly string[];
  /** Field differences of each common resource that differs. */
  readonly differing: ReadonlyMap<string, readonly FieldDifference[]>;
}

/**
 * A name's class, so that a difference common to a family of resources is one key:
 * `outbound|9080|v1|reviews.default.svc.cluster.local` → `outbound|*`, `0.0.0.0_9080` →
 * `0.0.0.0_*`, `10.244.0.5_9080` → `<ip>_*`, a port-named route `9080` → `<port>`.
 */
export function nameClass(name: string): string {
  if (/^(inbound|outbound)\|/.test(name)) return `${name.split("|")[0]}|*`;
  if (/^\d+$/.test(name)) return "<port>";
  if (/^0\.0\.0\.0_\d+$/.test(name)) return "0.0.0.0_*";
  if (/^\d+\.\d+\.\d+\.\d+_\d+$/.test(name)) return "<ip>_*";
  if (/^(http|https)\.\d+$/.test(name)) return `${name.split(".")[0]}.*`;
  if (/^[^|]+:\d+$/.test(name)) return "<host>:<port>";
  return name;
}

/** Whether every element of `list` is an object with a distinct string `name`. */
function namedList(list: readonly unknown[]): boolean {
  const names = list.map(e => (e && typeof e === "object" ? (e as Json).name : undefined));
  return names.every(n => typeof n === "string") && new Set(names).size === names.length;
}

/** Field differences between two JSON values (objects by key, named lists by name). */
export function diffValues(a: unknown, b: unknown, path = "", out: FieldDifference[] = []) {
  if (JSON.stringify(a) === JSON.stringify(b)) return out;
  if (a === undefined) {
    out.push({ path, kind: "rigging-only", rigging: b });
    return out;
  }
  if (b === undefined) {
    out.push({ path, kind: "istiod-only", istiod: a });
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (namedList(a) && namedList(b)) {
      const byName = (l: unknown[]) => new Map(l.map(e => [String((e as Json).name), e]));
      const ma = byName(a);
      const mb = byName(b);
      for (const n of new Set([...ma.keys(), ...mb.keys()])) {
        diffValues(ma.get(n), mb.get(n), `${path}[name=${n}]`, out);
      }
      const order = (m: Map<string, unknown>, other: Map<string, unknown>) =>
        [...m.keys()].filter(k => other.has(k)).join();
      if (order(ma, mb) !== order(mb, ma)) {
        out.push({
          path: `${path}[order]`,
          kind: "value",
          istiod: [...ma.keys()],
          rigging: [...mb.keys()],
        });
      }
      return out;
    }
    const n = Math.max(a.length, b.length);
    for (let i = 0; i < n; i++) diffValues(a[i], b[i], `${path}[${i}]`, out);
    return out;
  }
  if (
    a &&
    b &&
    typeof a === "object" &&
    typeof b === "object" &&
    !Array.isArray(a) &&
    !Array.isArray(b)
  ) {
    const ja = a as Json;
    const jb = b as Json;
    for (const k of new Set([...Object.keys(ja), ...Object.keys(jb)])) {
      diffValues(ja[k], jb[k], path ? `${path}.${k}` : k, out);
    }
    return out;
  }
  out.push({ path, kind: "value", istiod: a, rigging: b });
  return out;
}

/** Compares one type of two dumps. */
export function compareType(type: DiffType, istiod: XdsDump, rigging: XdsDump): TypeComparison {
  const a = istiod[type];
  const b = rigging[type];
  const common = [...a.keys()].filter(n => b.has(n)).sort();
  const differing = new Map<string, FieldDifference[]>();
  for (const name of common) {
    const d = diffValues(normalise(type, a.get(name)!), normalise(type, b.get(name)!));
    if (d.length > 0) differing.set(name, d);
  }
  return {
    type,
    istiod: a.size,
    rigging: b.size,
    common: common.length,
    equal: common.length - differing.size,
    onlyIstiod: [...a.keys()].filter(n => !b.has(n)).sort(),
    onlyRigging: [...b.keys()].filter(n => !a.has(n)).sort(),
    differing,
  };
}

/** Compares all four types. */
export function compareDumps(istiod: XdsDump, rigging: XdsDump): TypeComparison[] {
  return (Object.keys(DIFF_TYPES) as DiffType[]).map(t => compareType(t, istiod, rigging));
}

/** A path with positions generalised: `filter_chains[3].filters[0]` → `filter_chains[].filters[]`. */
export function pathClass(path: string): string {
  // Virtual hosts and routes are named after services and hosts; filters keep their names
  // (they say which filter differs).
  return path
    .replace(/\[\d+\]/g, "[]")
    .replace(/(virtual_hosts|routes|clusters)\[name=[^\]]*\]/g, "$1[name=*]");
}

/**
 * The stable keys of every difference of one proxy, with how many resources show each:
 * `<proxy> <type> only-istiod <name>`, `<proxy> <type> only-rigging <name>`, and
 * `<proxy> <type> <name class> <path class> <kind>`.
 */
export function differenceKeys(
  proxy: string,
  results: readonly TypeComparison[],
): Map<string, number> {
  const keys = new Map<string, number>();
  const add = (k: string) => keys.set(k, (keys.get(k) ?? 0) + 1);
  for (const r of results) {
    for (const n of r.onlyIstiod) add(`${proxy} ${r.type} only-istiod ${n}`);
    for (const n of r.onlyRigging) add(`${proxy} ${r.type} only-rigging ${n}`);
    for (const [name, diffs] of r.differing) {
      const seen = new Set<string>();
      for (const d of diffs) {
        const k = `${proxy} ${r.type} ${nameClass(name)} ${pathClass(d.path)} ${d.kind}`;
        if (!seen.has(k)) {
          seen.add(k);
          add(k);
        }
      }
    }
  }
  return keys;
}

/** The table row of one type: resources in istiod / in Rigging / common / equal. */
export function tableRows(
  corpus: string,
  proxy: string,
  results: readonly TypeComparison[],
): string[] {
  return results.map(
    r =>
      `${corpus.padEnd(22)} ${proxy.padEnd(28)} ${r.type}  ${String(r.istiod).padStart(6)} ${String(r.rigging).padStart(8)} ${String(r.common).padStart(7)} ${String(r.equal).padStart(6)}`,
  );
}

/** The table header matching {@link tableRows}. */
export const TABLE_HEADER = `${"corpus".padEnd(22)} ${"proxy".padEnd(28)} type  istiod  rigging  common  equal`;
