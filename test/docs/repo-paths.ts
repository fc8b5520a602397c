/**
 * Finding the repository paths a Markdown page names in backticks, and which of them do not
 * exist, so docs/architecture.md and the README's Layout cannot silently name a moved file.
 *
 * What counts as a repository path is decided without a list of our folders (which would rot
 * like the page): a token inside an inline code span is one when its first segment is an entry
 * of the repository's root, or when it has a slash and ends like a file (an extension we keep)
 * or a folder (`/`). Kubernetes names such as `pepr-system/rigging-ca`, API groups such as
 * `coordination.k8s.io/v1` and Envoy names such as `outbound|9080||host` are none of these.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Build outputs and installed packages: named by docs, absent from a clean checkout. */
const NOT_IN_THE_REPOSITORY = new Set(["dist", "node_modules", "coverage"]);

/** Endings of the files the repository keeps. */
const FILE_ENDING = /\.(ts|mjs|cjs|js|json|md|ya?ml|sh|go|mod|sum|html|css)$/;

/** Path characters, plus `<` `>` `*` for templates such as `bench/<name>.bench.ts`. */
const PATH_SHAPE = /^[A-Za-z0-9_.<>*-]+(\/[A-Za-z0-9_.<>*-]+)*\/?$/;

const TEMPLATE = /[<>*]/;

/** The Markdown without fenced code blocks (diagrams and shell sessions are not checked). */
function withoutFences(markdown: string): string {
  return markdown.replace(/^```[^\n]*\n[\s\S]*?^```[^\n]*$/gm, "");
}

/** The whitespace-separated tokens of every inline code span. */
export function codeSpanTokens(markdown: string): string[] {
  const spans = withoutFences(markdown).match(/`[^`\n]+`/g) ?? [];
  return spans.flatMap(span => span.slice(1, -1).split(/\s+/)).filter(Boolean);
}

/**
 * The part of a path to check: a template's literal folders before its first templated segment
 * (`bench/<name>.bench.ts` → `bench/`), else the path itself; undefined when nothing is literal.
 */
function checkablePart(path: string): string | undefined {
  if (!TEMPLATE.test(path)) return path;
  const literal: string[] = [];
  for (const segment of path.split("/")) {
    if (TEMPLATE.test(segment)) break;
    literal.push(segment);
  }
  return literal.length > 0 ? `${literal.join("/")}/` : undefined;
}

/** The repository paths among a page's code-span tokens, given the root's entries. */
export function repoPathsIn(markdown: string, rootEntries: ReadonlySet<string>): string[] {
  const paths = new Set<string>();
  for (const raw of codeSpanTokens(markdown)) {
    const token = raw.replace(/^\.\//, "");
    if (token.startsWith("../") || !PATH_SHAPE.test(token)) continue;
    const first = token.split("/")[0] ?? "";
    if (NOT_IN_THE_REPOSITORY.has(first)) continue;
    const looksLikePath =
      rootEntries.has(first) ||
      (token.includes("/") && (token.endsWith("/") || FILE_ENDING.test(token)));
    if (!looksLikePath) continue;
    const checkable = checkablePart(token);
    if (checkable) paths.add(checkable);
  }
  return [...paths];
}

/**
 * The entries of the repository root that a page may name: what git tracks (so outputs such as
 * test-results/ that tests write are never taken for folders the Layout must list), hidden ones
 * left out. Outside a git checkout, what the root holds less the known outputs.
 */
export function rootEntriesOf(root: string): Set<string> {
  const tracked = spawnSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" });
  const names =
    tracked.status === 0 && tracked.stdout
      ? tracked.stdout
          .split("\0")
          .filter(Boolean)
          .map(path => path.split("/")[0]!)
      : readdirSync(root).filter(name => !NOT_IN_THE_REPOSITORY.has(name));
  return new Set(names.filter(name => !name.startsWith(".")));
}

/** The paths that do not exist under `root`; a path ending in `/` must be a folder. */
export function missingPaths(root: string, paths: readonly string[]): string[] {
  return paths.filter(path => {
    const full = join(root, path);
    if (!existsSync(full)) return true;
    return path.endsWith("/") && !statSync(full).isDirectory();
  });
}

/** A Markdown section: from its `## title` heading to the next heading of level 1 or 2. */
export function section(markdown: string, title: string): string {
  const lines = markdown.split("\n");
  const start = lines.findIndex(line => line.trim() === `## ${title}`);
  if (start < 0) throw new Error(`no "## ${title}" section`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex(line => /^#{1,2} /.test(line));
  return rest.slice(0, end < 0 ? undefined : end).join("\n");
}
