/**
 * Regenerates the L1 construct classes in `constructs/generated/` from the schemas of `mesh/api`:
 *
 *   npx tsx scripts/gen-constructs.ts          # write the files
 *   npx tsx scripts/gen-constructs.ts --check  # exit 1 when a committed file is out of date
 *
 * The generated files are committed (as `cdk8s import` output is), and
 * `test/constructs/generated.test.ts` fails when they drift from the schemas.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { GENERATED_DIR, generateConstructFiles } from "./gen-constructs-emit";

async function main(): Promise<void> {
  const root = resolve(__dirname, "..");
  const check = process.argv.includes("--check");
  const files = await generateConstructFiles(root);
  const dir = join(root, GENERATED_DIR);
  const stale = existsSync(dir)
    ? readdirSync(dir).filter(f => !files.has(`${GENERATED_DIR}/${f}`))
    : [];
  const changed = [...files].filter(([path, text]) => {
    const full = join(root, path);
    return !existsSync(full) || readFileSync(full, "utf8") !== text;
  });
  if (check) {
    for (const [path] of changed) console.error(`out of date: ${path}`);
    for (const f of stale) console.error(`not generated: ${GENERATED_DIR}/${f}`);
    process.exitCode = changed.length + stale.length > 0 ? 1 : 0;
    return;
  }
  // A kind removed from mesh/api must not leave its classes behind.
  for (const f of stale) rmSync(join(dir, f));
  for (const [path, text] of changed) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  console.log(`${changed.length} of ${files.size} files written, ${stale.length} removed`);
}

void main();
