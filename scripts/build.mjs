// Builds the Pepr module (`pepr build`) and prints its size as Pepr measures it: the bundle,
// gzipped and base64-encoded into the module Secret, must stay under 1 MiB. Then adds what Pepr's
// manifests and chart lack (scripts/post-build.ts).
import { spawnSync } from "node:child_process";
import { readFileSync, statSync } from "node:fs";
import { gzipSync } from "node:zlib";

const started = Date.now();
const build = spawnSync(process.execPath, ["node_modules/pepr/dist/cli.js", "build"], {
  stdio: "inherit",
});
if (build.status !== 0) {
  console.error(`pepr build failed (exit ${build.status ?? build.signal})`);
  process.exit(1);
}
// `pepr build` exits 0 even when its type check fails, leaving the previous bundle in dist/.
const bundleStat = statSync("dist/pepr-rigging.js", { throwIfNoEntry: false });
if (!bundleStat || bundleStat.mtimeMs < started - 1000) {
  console.error("pepr build wrote no new dist/pepr-rigging.js (see its errors above)");
  process.exit(1);
}
// Pepr's manifests and chart lack the control plane's Services, ports and readiness probe.
const post = spawnSync(process.execPath, ["--import", "tsx", "scripts/post-build.ts"], {
  stdio: "inherit",
});
if (post.status !== 0) {
  console.error(`post-build failed (exit ${post.status ?? post.signal})`);
  process.exit(1);
}
const bundle = readFileSync("dist/pepr-rigging.js");
const secretBytes = Buffer.byteLength(gzipSync(bundle).toString("base64"));
const limit = 1048576;
const pct = ((secretBytes / limit) * 100).toFixed(1);
console.log(
  `module bundle: ${(bundle.length / 1024).toFixed(1)} KiB raw, ${(secretBytes / 1024).toFixed(1)} KiB gzip+base64 ` +
    `= ${pct}% of Pepr's 1 MiB module Secret limit (build ${((Date.now() - started) / 1000).toFixed(1)}s)`,
);
if (secretBytes > limit) process.exit(1);
