import { Testing } from "cdk8s";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
// Importing the example keeps its TypeScript type-checked by `tsc` (examples/ is outside the
// tsconfig include list).
import { BookinfoChart } from "../../examples/bookinfo-constructs/bookinfo-chart";
import { repoRoot } from "../harness/shared";
import { checkAgainstIstio } from "./istio-crd-schema";
import { isIstio, meshProblems, synth, type Manifest } from "./synth";

function bookinfo(canaryStep?: number): { chart: BookinfoChart; out: Manifest[] } {
  const chart = new BookinfoChart(
    Testing.app(),
    "bookinfo",
    canaryStep !== undefined ? { canaryStep } : {},
  );
  return { chart, out: synth(chart) };
}

describe("the bookinfo constructs example", () => {
  const { chart, out } = bookinfo();

  it("uses every construct and produces every Istio kind they make", () => {
    const kinds = (m: Manifest[]) => [...new Set(m.filter(isIstio).map(x => x.kind))].sort();
    expect(kinds(out)).toEqual([
      "AuthorizationPolicy",
      "DestinationRule",
      "EnvoyFilter",
      "Gateway",
      "PeerAuthentication",
      "RequestAuthentication",
      "ServiceEntry",
      "VirtualService",
    ]);
    const constructs = new Set(chart.node.findAll().map(c => c.constructor.name));
    for (const name of [
      "MeshNamespace",
      "MeshGateway",
      "Canary",
      "ServiceAuthorization",
      "EgressRule",
      "TrafficPolicy",
      "RateLimit",
    ])
      expect([name, constructs.has(name)]).toEqual([name, true]);
  });

  it("validates against Istio's CRD schemas and Rigging's validators", () => {
    expect(out.filter(isIstio).length).toBeGreaterThan(15);
    expect(meshProblems(out)).toEqual([]);
  });

  it("validates at every canary step, and each step manifest too", () => {
    for (const step of [0, 1, 2, 3, 4])
      expect([step, meshProblems(bookinfo(step).out)]).toEqual([step, []]);
    const steps = chart.reviewsCanary.stepManifests().map(s => s.manifest as unknown as Manifest);
    expect(steps.flatMap(m => checkAgainstIstio(m).errors)).toEqual([]);
    expect(meshProblems(steps)).toEqual([]);
  });

  it("synthesizes the same manifests as before (snapshot)", () => {
    expect(out).toMatchSnapshot();
  });

  it("fails to build when a construct prop is bad, naming the construct path and prop", () => {
    expect(() => new BookinfoChart(Testing.app(), "bookinfo", { canaryStep: 9 })).toThrow(
      "bookinfo/reviews-canary: props.step: 9 must be an integer from 0 to 4",
    );
  });

  it("synthesizes dist/bookinfo.k8s.yaml with its npm script (tsx, no cdk8s-cli)", () => {
    const outdir = mkdtempSync(join(tmpdir(), "bookinfo-dist-"));
    execFileSync(join(repoRoot, "node_modules/.bin/tsx"), ["main.ts"], {
      cwd: join(repoRoot, "examples/bookinfo-constructs"),
      env: { ...process.env, CDK8S_OUTDIR: outdir, CANARY_STEP: "2" },
      stdio: "pipe",
    });
    expect(readdirSync(outdir)).toEqual(["bookinfo.k8s.yaml"]);
    const docs = parseAllDocuments(readFileSync(join(outdir, "bookinfo.k8s.yaml"), "utf8")).map(
      d => d.toJS() as Manifest,
    );
    expect(docs.length).toBe(out.length);
    expect(meshProblems(docs)).toEqual([]);
    const canary = docs.find(
      d => d.kind === "VirtualService" && (d.metadata as { name: string }).name === "reviews",
    );
    expect(JSON.stringify(canary)).toContain('"weight":25');
  }, 60_000);

  it("synthesizes with `cdk8s synth`, as cdk8s users run it", () => {
    const outdir = mkdtempSync(join(tmpdir(), "bookinfo-cdk8s-"));
    execFileSync(join(repoRoot, "node_modules/.bin/cdk8s"), ["synth", "--output", outdir], {
      cwd: join(repoRoot, "examples/bookinfo-constructs"),
      env: { ...process.env, CANARY_STEP: "2" },
      stdio: "pipe",
    });
    expect(readdirSync(outdir)).toEqual(["bookinfo.k8s.yaml"]);
    const docs = parseAllDocuments(readFileSync(join(outdir, "bookinfo.k8s.yaml"), "utf8")).map(
      d => d.toJS() as Manifest,
    );
    expect(docs.length).toBe(out.length);
    expect(meshProblems(docs)).toEqual([]);
  }, 60_000);
});
