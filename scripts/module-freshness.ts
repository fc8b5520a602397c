// Whether `npm start` must run `pepr build` again: the build takes a minute or more, and on a
// second start nothing it reads has usually changed.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** What `pepr build` bundles or reads, relative to the repository root. */
const SOURCES = [
  "pepr.ts",
  "package.json",
  "capabilities",
  "mesh",
  "xds",
  "ca",
  "control-plane",
  "cli",
  "constructs",
];
const OUTPUTS = ["dist/pepr-rigging.js", "dist/pepr-module-rigging.yaml"];

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when dist/ holds a build newer than every file it was built from. */
export function builtModuleIsCurrent(root: string): boolean {
  const outputs = OUTPUTS.map(o => join(root, o));
  if (!outputs.every(o => existsSync(o))) return false;
  const built = Math.min(...outputs.map(o => statSync(o).mtimeMs));
  const sources = SOURCES.map(s => join(root, s)).filter(s => existsSync(s));
  return sources.every(s => newestMtime(s) < built);
}
