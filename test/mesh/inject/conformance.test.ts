/**
 * Conformance with Istio's injector: every golden case in
 * ../shared/istio/pkg/kube/inject/testdata/inject whose settings we support must produce the
 * `.injected` golden, after normalising only what must differ (see normalize.ts). Cases we do not
 * support are listed below with the reason, so the count is honest.
 */
import { isDeepStrictEqual } from "node:util";
import { kubeInjectObject } from "../../../mesh/inject";
import { caseName, goldenCases, readDocs, settingsFor, type GoldenCase } from "./golden-cases";
import { normalizeAddress, stripGoArtifacts, stripWorkloadZeros } from "./normalize";

/** Golden cases (by `want`, or `in` for error cases) we do not support, and why. */
const unsupported: Record<string, string> = {
  "custom-template.yaml.injected":
    "custom template with Go template actions (only plain YAML overlays are supported)",
  "hello-openshift.yaml.injected": "OpenShift platform (namespace UID ranges; webhook-only case)",
  "hello-openshift-custom-injection.yaml.injected": "OpenShift platform (webhook-only case)",
  "hello-openshift-tproxy.yaml.injected": "OpenShift platform (webhook-only case)",
  "hello-otel-semconv.yaml.injected": "mesh extensionProviders / OTEL_RESOURCE_ATTRIBUTES",
};

const cases = goldenCases().map((c, i) => ({ name: caseName(c, i), c }));
const key = (c: GoldenCase) => c.want ?? c.in;

/** Runs one case; returns undefined when our output equals the golden, else a description. */
function run(c: GoldenCase): { got: unknown; want: unknown; error?: string } {
  const { mesh, values } = settingsFor(c);
  const got: unknown[] = [];
  for (const doc of readDocs(c.in)) {
    const r = kubeInjectObject(doc as Record<string, unknown>, mesh, values);
    if (!r.ok) return { got: undefined, want: undefined, error: r.errors.join("\n") };
    got.push(r.value.object);
  }
  if (c.expectedError) return { got, want: undefined };
  const norm = (d: unknown) => stripWorkloadZeros(stripGoArtifacts(d));
  const want = readDocs(c.want ?? `${c.in}.injected`).map(norm);
  // A JSON round trip puts both sides in this realm (Jest's sandbox vs structuredClone's objects).
  return { got: JSON.parse(JSON.stringify(normalizeAddress(got.map(norm)))), want };
}

const supported = cases.filter(({ c }) => !(key(c) in unsupported));
const results = new Map(
  supported.map(({ name, c }) => {
    let ok = false;
    try {
      const r = run(c);
      ok = c.expectedError
        ? (r.error ?? "").toLowerCase().includes(c.expectedError)
        : r.error === undefined && isDeepStrictEqual(r.got, r.want);
    } catch {
      ok = false;
    }
    return [name, ok] as const;
  }),
);

afterAll(() => {
  const passed = [...results.values()].filter(Boolean).length;
  const defaults = cases.filter(({ c }) => c.defaults);
  const defaultsPassed = defaults.filter(({ name }) => results.get(name) === true).length;
  console.log(
    `Istio injection goldens: ${defaultsPassed} of ${defaults.length} default-settings cases pass; ` +
      `${passed} of ${supported.length} supported cases pass; ` +
      `${cases.length - supported.length} of ${cases.length} cases unsupported:\n` +
      Object.entries(unsupported)
        .map(([k, why]) => `  ${k}: ${why}`)
        .join("\n"),
  );
});

describe("Istio injection goldens", () => {
  it("supports every case rendered with default settings", () => {
    const defaults = cases.filter(({ c }) => c.defaults);
    expect(defaults.length).toBeGreaterThanOrEqual(55);
    expect(defaults.filter(({ c }) => key(c) in unsupported).map(({ name }) => name)).toEqual([]);
  });

  it("lists only unsupported cases that exist", () => {
    const known = new Set(cases.map(({ c }) => key(c)));
    expect(Object.keys(unsupported).filter(k => !known.has(k))).toEqual([]);
  });

  it.each(supported.filter(({ c }) => !c.expectedError))("$name", ({ c }) => {
    const r = run(c);
    expect(r.error).toBeUndefined();
    expect(r.got).toStrictEqual(r.want);
  });

  it.each(supported.filter(({ c }) => c.expectedError))("$name is refused", ({ c }) => {
    const r = run(c);
    expect(r.error?.toLowerCase()).toContain(c.expectedError);
  });
});
