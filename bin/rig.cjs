#!/usr/bin/env node
// `rig`, Rigging's CLI. Runs the TypeScript sources through tsx so that a checkout works right
// after `npm install`; `npx rig` puts the project's pinned Node 24 first on PATH.
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  console.error(
    `rig: Node ${process.version} is too old; Rigging needs Node 22 or newer. ` +
      "Run it as `npx rig` from the checkout, which uses the Node 24 that `npm install` fetched.",
  );
  process.exit(1);
}
require("tsx/cjs");
require("../cli/main.ts");
