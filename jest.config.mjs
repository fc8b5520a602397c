// Jest runs test files as CommonJS. Pepr's CJS bundle `require`s kubernetes-fluent-client, which
// (like @kubernetes/client-node, jose and a few others) ships only ES modules; Node 22+ can
// require() ESM, but Jest's own module loader cannot. So SWC compiles our TypeScript and exactly
// those ESM-only packages (found by their "type": "module") to CommonJS.
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

function esmOnlyPackages(root) {
  const names = [];
  const isEsm = dir => {
    try {
      return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).type === "module";
    } catch {
      return false;
    }
  };
  for (const entry of readdirSync(root)) {
    if (entry.startsWith(".")) continue;
    if (entry.startsWith("@")) {
      for (const sub of readdirSync(join(root, entry))) {
        if (isEsm(join(root, entry, sub))) names.push(`${entry}/${sub}`);
      }
    } else if (isEsm(join(root, entry))) {
      names.push(entry);
    }
  }
  return names;
}

// The data-plane tests: real grpc-js-xds clients and servers (often in mTLS) against an
// in-process DiscoveryServer, taking seconds to minutes each. A test file belongs here when it
// imports @grpc/grpc-js-xds or the in-process mesh fixture, so a new one cannot land in the fast
// projects by its name alone.
const root = new URL(".", import.meta.url).pathname;
const DATAPLANE_IMPORT = /from "(@grpc\/grpc-js-xds|[./]*harness\/in-process-mesh)"/;
function dataplaneTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== "integration") found.push(...dataplaneTests(path));
    } else if (
      entry.name.endsWith(".test.ts") &&
      DATAPLANE_IMPORT.test(readFileSync(path, "utf8"))
    ) {
      found.push(`<rootDir>/${relative(root, path)}`);
    }
  }
  return found.sort();
}
const dataplane = dataplaneTests(join(root, "test"));

const escape = s => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const esm = esmOnlyPackages(new URL("./node_modules", import.meta.url).pathname);

const swc = [
  "@swc/jest",
  {
    jsc: { parser: { syntax: "typescript" }, target: "es2022" },
    module: { type: "commonjs" },
  },
];

const common = {
  transform: { "^.+\\.(ts|m?js)$": swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esm.map(escape).join("|")})/)`],
  moduleFileExtensions: ["ts", "js", "mjs", "cjs", "json"],
  testEnvironment: "node",
  setupFiles: ["<rootDir>/test/harness/setup-env.ts"],
};

export default {
  reporters: ["default", "<rootDir>/test/harness/summary-reporter.cjs"],
  projects: [
    {
      ...common,
      displayName: "unit",
      testMatch: ["<rootDir>/test/**/*.test.ts"],
      testPathIgnorePatterns: [
        "<rootDir>/test/integration/",
        "<rootDir>/test/xds/compile/",
        ...dataplane.map(escape),
      ],
    },
    {
      // The compiler's tests, with every snapshot they compile held to Envoy's own field and
      // cross-resource rules after each file (tools/envoy-validate; `npm run envoy:validate`).
      ...common,
      displayName: "compiler",
      testMatch: ["<rootDir>/test/xds/compile/**/*.test.ts"],
      testPathIgnorePatterns: dataplane.map(escape),
      setupFilesAfterEnv: ["<rootDir>/test/harness/envoy-rules-setup.ts"],
    },
    {
      // Real grpc-js-xds data planes (see `dataplaneTests`). What they compile is held to
      // Envoy's rules as in the compiler project.
      ...common,
      displayName: "dataplane",
      testMatch: dataplane,
      setupFilesAfterEnv: ["<rootDir>/test/harness/envoy-rules-setup.ts"],
    },
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      setupFilesAfterEnv: ["<rootDir>/test/harness/integration-setup.ts"],
    },
  ],
};
