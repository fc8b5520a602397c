import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseManifests, type ManifestError, type Resource } from "../../mesh/analysis";

/** What was read from files, folders and stdin. */
export interface FileInput {
  readonly resources: Resource[];
  readonly errors: ManifestError[];
  /** How many files (stdin counts as one) were read. */
  readonly files: number;
}

const MANIFEST = /\.(ya?ml|json)$/;

function expand(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap(name => {
      const child = join(path, name);
      return statSync(child).isDirectory() ? expand(child) : MANIFEST.test(name) ? [child] : [];
    });
}

/**
 * Reads manifests from files, folders (recursively: `*.yaml`, `*.yml`, `*.json`) and stdin (`-`).
 * Objects without a namespace get `defaultNamespace`. A path that does not exist throws.
 */
export async function readManifestFiles(
  paths: readonly string[],
  defaultNamespace: string,
  readStdin: () => Promise<string>,
): Promise<FileInput> {
  const resources: Resource[] = [];
  const errors: ManifestError[] = [];
  let files = 0;
  for (const path of paths) {
    const sources = path === "-" ? ["-"] : expand(path);
    for (const file of sources) {
      const text = file === "-" ? await readStdin() : readFileSync(file, "utf8");
      const parsed = parseManifests(text, file, defaultNamespace);
      resources.push(...parsed.resources);
      errors.push(...parsed.errors);
      files++;
    }
  }
  return { resources, errors, files };
}

/** All of stdin as text. */
export async function readAllStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks).toString("utf8");
}
