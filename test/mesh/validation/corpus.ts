/**
 * Istio's own config objects, read in place from ../shared, grouped in the corpora the issue
 * names. Used by the corpus tests and the validation benchmark.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { KIND_NAMES } from "../../../mesh/api/kinds";
import { sharedPath } from "../../harness/shared";

/** One Istio config object found in a corpus file. */
export interface CorpusObject {
  /** File path relative to ../shared/istio, with the document index: `samples/x.yaml#2`. */
  readonly id: string;
  readonly object: Record<string, unknown>;
  /** For Istio's `*-invalid.yaml` files: the error text Istio's test expects (`_err`). */
  readonly expectedError?: string;
}

/** A file that is not plain YAML (Helm templates), with the parser's complaint. */
export interface Unparseable {
  readonly file: string;
  readonly reason: string;
}

/** A corpus: its config objects, and the files that could not be read as YAML. */
export interface Corpus {
  readonly objects: CorpusObject[];
  readonly unparseable: Unparseable[];
  /** Objects of other Istio kinds (WasmPlugin, ProxyConfig, ...) Rigging does not serve, by kind. */
  readonly otherKinds: Record<string, number>;
}

const ISTIO_GROUPS = ["networking.istio.io", "security.istio.io", "telemetry.istio.io"];
const SERVED = new Set<string>(KIND_NAMES);

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.ya?ml$/.test(name)) out.push(path);
  }
  return out;
}

function load(files: string[]): Corpus {
  const root = sharedPath("istio");
  const objects: CorpusObject[] = [];
  const unparseable: Unparseable[] = [];
  const otherKinds: Record<string, number> = {};
  for (const file of files) {
    const rel = relative(root, file);
    // YAML 1.2 core schema: `.` stays a string (the yaml package's 1.1 schema reads it as a
    // float, unlike go-yaml which kubectl uses).
    const docs = parseAllDocuments(readFileSync(file, "utf8"));
    const list = Array.isArray(docs) ? docs : [docs];
    const broken = list.find(d => d.errors.length > 0);
    if (broken) {
      unparseable.push({ file: rel, reason: broken.errors[0]?.code ?? "parse error" });
      continue;
    }
    list.forEach((doc, i) => {
      const value = doc.toJS({ maxAliasCount: -1 }) as unknown;
      if (typeof value !== "object" || value === null || Array.isArray(value)) return;
      const obj = value as Record<string, unknown>;
      const group = typeof obj.apiVersion === "string" ? obj.apiVersion.split("/")[0] : "";
      if (!ISTIO_GROUPS.includes(group ?? "")) return;
      const kind = String(obj.kind);
      if (!SERVED.has(kind)) {
        otherKinds[kind] = (otherKinds[kind] ?? 0) + 1;
        return;
      }
      const { _err, ...object } = obj;
      objects.push({
        id: `${rel}#${i}`,
        object,
        ...(typeof _err === "string" ? { expectedError: _err } : {}),
      });
    });
  }
  return { objects, unparseable, otherKinds };
}

/** The corpora: samples, pilot test configs, and Istio's valid/invalid schema fixtures. */
export function loadCorpora(): Record<
  "samples" | "testdata" | "crdsValid" | "crdsInvalid",
  Corpus
> {
  const crds = sharedPath("istio/pkg/config/validation/testdata/crds");
  const crdFiles = readdirSync(crds).sort();
  return {
    samples: load(walk(sharedPath("istio/samples"))),
    testdata: load(walk(sharedPath("istio/tests/testdata/config"))),
    crdsValid: load(crdFiles.filter(f => f.endsWith("-valid.yaml")).map(f => join(crds, f))),
    crdsInvalid: load(crdFiles.filter(f => f.endsWith("-invalid.yaml")).map(f => join(crds, f))),
  };
}
