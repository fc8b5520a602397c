import { KIND_NAMES } from "../../../mesh/api/kinds";
import { validate, VALIDATORS } from "../../../mesh/validation";
import { loadCorpora } from "./corpus";

/** mulberry32: a small deterministic PRNG, so a failure replays from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GARBAGE: unknown[] = [
  null,
  undefined,
  0,
  -1,
  1.5,
  65536,
  4294967296,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  true,
  false,
  "",
  "*",
  "a",
  "-",
  "/",
  "unix://",
  "%",
  "%X",
  "@request.auth.claims",
  "1.2.3.4/99",
  "0s",
  "-5s",
  "1e400s",
  "(",
  "[",
  "x".repeat(2000),
  "é✓\u0000\u001f",
  "__proto__",
  "constructor",
  [],
  [null],
  [[]],
  {},
  { a: 1 },
  { __proto__: null },
  { constructor: "x", toString: 1 },
  { exact: "", prefix: "", regex: "(" },
];

const STRINGS = [
  "",
  "*",
  "*.",
  ".",
  "..",
  "a..b",
  "-a",
  "ns/",
  "/x",
  "~/*",
  "./*",
  "*/*",
  "unix://",
  "unix://@",
  "unix:///x/",
  "::",
  "[::1]:x",
  "10.0.0.0/33",
  "1.2.3.4",
  "0s",
  "1ms",
  "1.0005s",
  "999999999h",
  "(?=x)",
  "%",
  "%%",
  "%A(",
  "@request.auth.claims[",
  "outbound_",
  "outbound_.80_._.",
  "configmap://",
  "configmap://a/b/c",
  "http://",
  "ftp://x",
  "{**}/{*}",
  "a*b*c",
  "MUTUAL",
  "WAYPOINT",
  "x".repeat(300),
];
const NUMBERS = [0, -1, 1, 65535, 65536, 100, 101, 0.00001, 5000011, 4294967295, 2 ** 53];

type Json = unknown;

/** Every path (list of keys) inside a value. */
function paths(
  value: Json,
  prefix: (string | number)[] = [],
  out: (string | number)[][] = [],
): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(value)) value.forEach((v, i) => paths(v, [...prefix, i], out));
  else if (value && typeof value === "object")
    for (const [k, v] of Object.entries(value)) paths(v, [...prefix, k], out);
  return out;
}

function mutate(obj: Json, rand: () => number): Json {
  const copy = structuredClone(obj) as Record<string, unknown>;
  const all = paths(copy).filter(p => p.length > 0);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const steps = 1 + Math.floor(rand() * 3);
  for (let s = 0; s < steps && all.length > 0; s++) {
    const path = pick(all);
    let parent: Record<string | number, unknown> = copy;
    for (const key of path.slice(0, -1)) {
      const next = parent[key];
      if (!next || typeof next !== "object") break;
      parent = next as Record<string | number, unknown>;
    }
    const key = path[path.length - 1] as string | number;
    const op = rand();
    const current = parent[key];
    if (op < 0.15) delete parent[key];
    // Same-type replacements get past the shape checks and exercise the semantic rules.
    else if (op < 0.45 && typeof current === "string") parent[key] = pick(STRINGS);
    else if (op < 0.45 && typeof current === "number") parent[key] = pick(NUMBERS);
    else if (op < 0.7) parent[key] = structuredClone(pick(GARBAGE));
    else if (op < 0.8)
      parent[pick(["__proto__x", "constructor", "toString", "unknownField", ""])] = pick(GARBAGE);
    else if (op < 0.9 && Array.isArray(parent[key]))
      (parent[key] as unknown[]).push(...(parent[key] as unknown[]));
    else parent[key] = structuredClone(copy[pick(["spec", "metadata", "kind"])]);
  }
  return copy;
}

const corpora = loadCorpora();
const seeds = [
  ...corpora.samples.objects,
  ...corpora.testdata.objects,
  ...corpora.crdsValid.objects,
  ...corpora.crdsInvalid.objects,
];
const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 40);

describe("validators under random mutation", () => {
  it("have seed objects of every kind", () => {
    const kinds = new Set(seeds.map(s => String(s.object.kind)));
    for (const k of KIND_NAMES) expect([k, kinds.has(k)]).toEqual([k, true]);
  });

  it(`never throw over ${ITERATIONS} seeded mutations of each corpus object`, () => {
    const rand = prng(Number(process.env.FUZZ_SEED ?? 20260822));
    let runs = 0;
    for (const seed of seeds) {
      for (let i = 0; i < ITERATIONS; i++) {
        const mutated = mutate(seed.object, rand);
        let result;
        try {
          result = validate(mutated);
        } catch (e) {
          throw new Error(
            `${seed.id} mutation ${i} threw ${(e as Error).stack}\n${JSON.stringify(mutated)}`,
          );
        }
        for (const d of [...result.errors, ...result.warnings]) {
          expect(
            d.message.startsWith(
              `${d.object.kind} ${d.object.namespace}/${d.object.name}: ${d.path}: `,
            ),
          ).toBe(true);
        }
        runs++;
      }
    }
    expect(runs).toBe(seeds.length * ITERATIONS);
  });

  it.each(KIND_NAMES)("%s validator returns errors for garbage, never throws", kind => {
    const garbage: unknown[] = [
      null,
      undefined,
      42,
      "VirtualService",
      [],
      {},
      { kind },
      { apiVersion: "v1", kind },
      { apiVersion: "networking.istio.io/v1", kind, spec: 5 },
    ];
    for (const g of garbage) {
      const result = VALIDATORS[kind](g);
      expect(result.errors.length).toBeGreaterThan(0);
    }
  });

  it("dispatches unknown kinds, other groups and non-objects to an error", () => {
    for (const g of [
      null,
      7,
      "x",
      [],
      { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "d" } },
      { apiVersion: "networking.istio.io/v1", kind: "constructor" },
    ]) {
      expect(validate(g).errors.length).toBe(1);
    }
  });
});
