/**
 * Reading manifests: multi-document YAML (or JSON) text into resources that remember the file and
 * line they came from, and `List` objects unpacked as kubectl does.
 */
import { LineCounter, parseAllDocuments } from "yaml";
import { toResource, type Resource } from "./resources";

/** A manifest that could not be read, with the reason. */
export interface ManifestError {
  readonly source: string;
  readonly message: string;
}

/** What {@link parseManifests} found. */
export interface ParsedManifests {
  readonly resources: Resource[];
  readonly errors: ManifestError[];
}

/**
 * Parses `text` read from `file` (`-` for stdin). Objects without a namespace get
 * `defaultNamespace`. Documents that are not Kubernetes objects (empty, comments only) are skipped.
 */
export function parseManifests(
  text: string,
  file: string,
  defaultNamespace: string,
): ParsedManifests {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines });
  const list = Array.isArray(docs) ? docs : [docs];
  const resources: Resource[] = [];
  const errors: ManifestError[] = [];
  for (const doc of list) {
    const start = doc.contents?.range[0] ?? doc.range[0];
    const source = `${file}:${lines.linePos(start).line}`;
    if (doc.errors.length > 0) {
      errors.push({ source, message: doc.errors[0]?.message.split("\n")[0] ?? "YAML parse error" });
      continue;
    }
    const value = doc.toJS({ maxAliasCount: -1 }) as unknown;
    const items =
      typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "List"
        ? (((value as { items?: unknown }).items as unknown[] | undefined) ?? [])
        : [value];
    for (const item of items) {
      const r = toResource(item, defaultNamespace, source);
      if (r) resources.push(r);
    }
  }
  return { resources, errors };
}
