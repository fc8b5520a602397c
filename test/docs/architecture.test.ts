import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { codeSpanTokens, missingPaths, repoPathsIn, rootEntriesOf, section } from "./repo-paths";

const root = join(__dirname, "..", "..");
const entries = rootEntriesOf(root);
const read = (path: string) => readFileSync(join(root, path), "utf8");

describe("finding repository paths in Markdown", () => {
  const fixedRoot = new Set(["xds", "mesh", "pepr.ts", "bench", "README.md"]);

  it.each([
    ["a file under a root folder", "see `xds/cache/snapshot.ts` here", ["xds/cache/snapshot.ts"]],
    ["a folder", "the `mesh/store/` folder", ["mesh/store/"]],
    ["a root file", "`pepr.ts` starts it", ["pepr.ts"]],
    [
      "a path inside a command",
      "run `npx tsx bench/push.bench.ts --quick`",
      ["bench/push.bench.ts"],
    ],
    ["a template: its literal folders", "`bench/<name>.bench.ts`", ["bench/"]],
    ["a file-like path under an unknown folder", "`xsd/compile/typo.ts`", ["xsd/compile/typo.ts"]],
    ["a leading ./", "`./mesh/api/`", ["mesh/api/"]],
    ["Kubernetes names and API groups", "`pepr-system/rigging-ca`, `coordination.k8s.io/v1`", []],
    ["Envoy names and SPIFFE IDs", "`outbound|9080||reviews`, `spiffe://td/ns/a/sa/b`", []],
    ["label selectors and URL paths", "`rigging.dev/mesh=required` and `/ready`", []],
    ["paths outside the repository", "`../shared/DESIGN.md`", []],
    ["build outputs", "`dist/pepr-module-rigging.yaml`, `node_modules/`", []],
    ["fenced blocks", "```\nxds/none.ts `xds/none.ts`\n```\nafter", []],
  ])("%s", (_what, markdown, expected) => {
    expect(repoPathsIn(markdown, fixedRoot)).toEqual(expected);
  });

  it("reports a path that does not exist, and a file named as a folder", () => {
    expect(
      missingPaths(root, ["xds/cache/snapshot.ts", "xds/cache/no-such-file.ts", "pepr.ts/"]),
    ).toEqual(["xds/cache/no-such-file.ts", "pepr.ts/"]);
  });

  it("cuts a section at the next heading of its level", () => {
    const md = "# T\n## A\na `x`\n### A.1\nb\n## B\nc";
    expect(section(md, "A")).toBe("a `x`\n### A.1\nb");
    expect(() => section(md, "C")).toThrow('no "## C" section');
  });
});

describe("docs/architecture.md", () => {
  const page = read("docs/architecture.md");

  it("names only files and folders that exist", () => {
    const paths = repoPathsIn(page, entries);
    // The page names the files of every step; far fewer found means the extraction broke.
    expect(paths.length).toBeGreaterThan(100);
    expect(missingPaths(root, paths)).toEqual([]);
  });

  it("names every file of xds/compile that builds a proxy kind's listeners", () => {
    const tokens = new Set(codeSpanTokens(page));
    for (const file of [
      "xds/compile/listeners/sidecar-listeners.ts",
      "xds/compile/listeners/sidecar-inbound.ts",
      "xds/compile/gateway/gateway-listeners.ts",
      "xds/compile/listeners/listeners.ts",
    ])
      expect(tokens).toContain(file);
  });
});

describe("the README's Layout section", () => {
  const layout = section(read("README.md"), "Layout");

  it("names only files and folders that exist", () => {
    const paths = repoPathsIn(layout, entries);
    expect(paths.length).toBeGreaterThan(20);
    expect(missingPaths(root, paths)).toEqual([]);
  });

  it("lists every folder at the repository root", () => {
    const named = new Set(repoPathsIn(layout, entries).map(path => path.split("/")[0]));
    const folders = [...entries].filter(name => statSync(join(root, name)).isDirectory());
    expect(folders.filter(folder => !named.has(folder))).toEqual([]);
  });
});
