/**
 * Istio's injection goldens (../shared/istio/pkg/kube/inject/testdata) as test cases: the input
 * manifest, the expected output, and the settings each was rendered with (inject-cases.json),
 * translated into our MeshSettings and InjectionValues. The cases run through `kubeInjectObject`
 * (mesh/inject/kube-inject.ts), as `istioctl kube-inject` runs them.
 */
import { readdirSync, readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import {
  conformanceInjectionValues,
  defaultMeshSettings,
  type InjectionValues,
  type MeshSettings,
} from "../../../mesh/inject";
import { sharedPath } from "../../harness/shared";

/** One row of inject-cases.json (or an implicit default case). */
export interface GoldenCase {
  in: string;
  want?: string;
  setFlags?: string[];
  mesh?: string;
  inFilePath?: string;
  setup?: string;
  expectedError?: string;
  expectedLog?: string;
  skipWebhook?: boolean;
  skipInjection?: boolean;
  /** Rendered with default settings: no row of inject-cases.json names it. */
  defaults?: boolean;
}

/** The folder holding the goldens. */
export const GOLDEN_DIR = sharedPath("istio", "pkg", "kube", "inject", "testdata", "inject");

/** Every case Istio's TestInjection runs: the explicit ones, then every other X.yaml → X.yaml.injected. */
export function goldenCases(): GoldenCase[] {
  const index = JSON.parse(
    readFileSync(
      sharedPath("istio", "pkg", "kube", "inject", "testdata", "inject-cases.json"),
      "utf8",
    ),
  ) as { cases: GoldenCase[] };
  const cases = index.cases.slice();
  const tested = new Set(cases.map(c => c.want ?? `${c.in}.injected`));
  for (const f of readdirSync(GOLDEN_DIR).sort()) {
    if (!f.endsWith(".yaml") || f.endsWith(".iop.yaml")) continue;
    if (!tested.has(`${f}.injected`)) cases.push({ in: f, want: `${f}.injected`, defaults: true });
  }
  return cases;
}

/** A unique, readable name for a case. */
export function caseName(c: GoldenCase, i: number): string {
  return `[${String(i).padStart(2, "0")}] ${c.want ?? c.in}`;
}

type Tree = Record<string, unknown>;

function setPath(root: Tree, path: string[], value: unknown): void {
  let node = root;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = (typeof next === "object" && next !== null ? next : (node[key] = {})) as Tree;
  }
  node[path[path.length - 1] ?? ""] = value;
}

function scalar(text: string): unknown {
  if (text === "true" || text === "false") return text === "true";
  if (/^-?[0-9]+$/.test(text)) return Number(text);
  return text;
}

/** Helm-style coalesce: `null` in the overlay deletes the key. */
function overlay(base: Tree, top: Tree): void {
  for (const [k, v] of Object.entries(top)) {
    const cur = base[k];
    if (v === null) delete base[k];
    else if (
      typeof v === "object" &&
      !Array.isArray(v) &&
      typeof cur === "object" &&
      cur !== null
    ) {
      overlay(cur as Tree, v as Tree);
    } else base[k] = v;
  }
}

/** Our settings for a case, rendered from its flags, mesh tweak, overlay file and setup. */
export function settingsFor(c: GoldenCase): { mesh: MeshSettings; values: InjectionValues } {
  const values = conformanceInjectionValues();
  const meshConfig: Tree = { defaultConfig: {} };
  let nativeSidecars = true;
  let compliancePolicy = "";
  for (const flag of c.setFlags ?? []) {
    const [path = "", raw = ""] = flag.split(/=(.*)/s);
    const value = scalar(raw);
    if (path === "components.cni.enabled") values.pilot.cni.enabled = value === true;
    else if (path === "values.cni.provider") values.pilot.cni.provider = String(value);
    else if (path.startsWith("values."))
      setPath(values as unknown as Tree, path.split(".").slice(1), value);
    else throw new Error(`unmapped flag ${flag}`);
  }
  if (c.mesh) {
    const m = /^mesh\.([^=]+)=(.*?)( \(empty\))?$/.exec(c.mesh);
    if (!m?.[1]) throw new Error(`unmapped mesh setting ${c.mesh}`);
    const raw = m[2] ?? "";
    setPath(meshConfig, m[1].split("."), raw === "{}" ? {} : scalar(raw));
  }
  if (c.inFilePath) {
    const iop = parseAllDocuments(
      readFileSync(`${GOLDEN_DIR}/${c.inFilePath}`, "utf8"),
    )[0]?.toJSON() as {
      spec?: { values?: Tree };
    };
    overlay(values as unknown as Tree, iop.spec?.values ?? {});
  }
  if (c.setup?.includes("ENABLE_NATIVE_SIDECARS disabled")) nativeSidecars = false;
  const compliance = /COMPLIANCE_POLICY=(\S+)/.exec(c.setup ?? "");
  if (compliance?.[1]) compliancePolicy = compliance[1];
  const mesh = defaultMeshSettings({
    nativeSidecars,
    compliancePolicy,
    meshConfig: meshConfig as MeshSettings["meshConfig"],
  });
  return { mesh, values };
}

/** Reads a multi-document YAML file as plain objects. */
export function readDocs(file: string): unknown[] {
  return parseAllDocuments(readFileSync(`${GOLDEN_DIR}/${file}`, "utf8"))
    .map(d => d.toJSON() as unknown)
    .filter(d => d !== null && d !== undefined);
}
