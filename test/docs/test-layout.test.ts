/**
 * The test layout rule (DESIGN: a source file `X.ts` is tested in `test/X.test.ts`), enforced
 * for the translators in xds/compile, where a missing test was most often a missed field. A
 * file with nothing to test on its own is listed in EXEMPT with the reason; a new translator
 * without its test fails here, and so does an exemption that is no longer needed.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "../harness/shared";

const ROOT = "xds/compile";

/** Files with no behaviour of their own to test, and why. */
const EXEMPT: Record<string, string> = {
  "xds/compile/index.ts": "re-exports only",
  "xds/compile/security/index.ts": "re-exports only",
  "xds/compile/shared/envoy.ts": "types only (the generated Envoy messages, named)",
  "xds/compile/shared/envoy-names.ts": "constants only (Envoy's filter and type names)",
  "xds/compile/security/envoy-objects.ts": "types only",
};

function sourceFiles(dir: string): string[] {
  return readdirSync(join(repoRoot, dir)).flatMap(name => {
    const path = `${dir}/${name}`;
    if (statSync(join(repoRoot, path)).isDirectory()) return sourceFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

const mirrored = (source: string) =>
  existsSync(join(repoRoot, "test", source.replace(/\.ts$/, ".test.ts")));

describe("tests mirror the translators' layout (test/<path>.test.ts)", () => {
  const files = sourceFiles(ROOT);

  it("finds the translators", () => {
    expect(files.length).toBeGreaterThan(50);
  });

  it("has a mirrored test for every file of xds/compile that is not exempt", () => {
    const missing = files.filter(f => !(f in EXEMPT) && !mirrored(f));
    expect(missing).toEqual([]);
  });

  it("exempts only files that exist and have no mirrored test", () => {
    const stale = Object.keys(EXEMPT).filter(f => !files.includes(f) || mirrored(f));
    expect(stale).toEqual([]);
  });
});
