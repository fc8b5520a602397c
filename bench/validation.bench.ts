/**
 * Validator throughput (objects/s) over Istio's config corpora, against a baseline measured in the
 * same run: JSON.parse(JSON.stringify(obj)) of the same objects, roughly what decoding an
 * admission request costs. Also reports the validator alone on the valid corpora and on the
 * invalid one. Run: `npx tsx bench/validation.bench.ts [seconds-per-case]`.
 */
import { validate } from "../mesh/validation";
import { loadCorpora } from "../test/mesh/validation/corpus";

const seconds = Number(process.argv[2] ?? 2);

/** Runs `op` over `objects` round-robin for `budget` seconds; returns objects per second. */
function rate(objects: readonly unknown[], op: (o: unknown) => unknown): number {
  let sink = 0;
  // Warm up so the JIT has compiled the paths being measured.
  for (let i = 0; i < 2000; i++) sink += op(objects[i % objects.length]) ? 1 : 0;
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(seconds * 1e9));
  let n = 0;
  while (process.hrtime.bigint() < deadline) {
    for (let i = 0; i < objects.length; i++, n++) sink += op(objects[i]) ? 1 : 0;
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  if (sink < 0) console.log(sink);
  return n / elapsed;
}

const corpora = loadCorpora();
const valid = [
  ...corpora.samples.objects,
  ...corpora.testdata.objects,
  ...corpora.crdsValid.objects,
].map(o => o.object);
const invalid = corpora.crdsInvalid.objects.map(o => o.object);
const all = [...valid, ...invalid];

const baseline = rate(all, o => JSON.parse(JSON.stringify(o)));
const rows: [string, number][] = [
  ["JSON round trip (baseline)", baseline],
  ["validate, all corpora", rate(all, o => validate(o))],
  ["validate, valid objects", rate(valid, o => validate(o))],
  ["validate, invalid objects", rate(invalid, o => validate(o))],
];
console.log(
  `${all.length} objects (${valid.length} valid, ${invalid.length} invalid), ${seconds}s per case`,
);
for (const [name, r] of rows) {
  console.log(
    `${name.padEnd(30)} ${Math.round(r).toLocaleString("en-US").padStart(12)} objects/s   ${(r / baseline).toFixed(2)}x baseline`,
  );
}
