/**
 * Holds every snapshot the compiler produces in a unit test file to Envoy's own rules: each
 * successful `compile()` result is encoded and, after the file's tests, checked by
 * tools/envoy-validate (ValidateAll on every message and typed config, and the cross-resource
 * checks within each compiled snapshot). A violation fails the file, naming the test's snapshot,
 * the resource, the field path and the rule: it is a resource an Envoy would NACK or could not
 * serve.
 *
 * A route or TcpProxy naming a cluster the snapshot lacks (`cluster_exists`) is not a refusal:
 * the compiler's route configurations set `validate_clusters: false` (as istiod's do, and as
 * Envoy defaults for RDS), so Envoy loads them and answers 503 (NC) for that route, which is
 * what Istio does for a host its registry lacks or a subset no DestinationRule defines. Many
 * fixtures route to such hosts on purpose (Istio's own corpus among them), so these are counted
 * and reported in the stats line, not failed.
 *
 * `RIGGING_ENVOY_RULES_STATS=<file>` appends one JSON line per test file with the counts checked.
 */
import { appendFileSync } from "node:fs";
import { relative } from "node:path";
import type * as CompileModule from "../../xds/compile/compile";
import { encodeResource } from "../../xds/encode/encode-resource";
import { describeViolations, runEnvoyRules, type GroupedResource } from "./envoy-rules";
import { repoRoot } from "./shared";

/** Rules whose breach Envoy loads and serves as 503 (see the header). */
const LOADS_WITH_503 = new Set(["cluster_exists"]);

const mockSnapshots: GroupedResource[][] = [];
const seen = new Set<string>();

function proxyLabel(node: unknown): string {
  const id = (node as { id?: unknown } | null)?.id;
  return typeof id === "string" ? id : "proxy";
}

/** Encodes one compiled snapshot and keeps it, once per distinct content. */
function mockRecord(node: unknown, resources: CompileModule.CompiledResources): void {
  const encoded = [];
  for (const object of CompileModuleRef.allResources(resources)) {
    const result = encodeResource(object);
    // Encoding errors are the encoder check's to report (every compile test runs it); a
    // resource that does not encode is not something Rigging could send.
    if (result.ok) encoded.push(result.value);
  }
  const key = encoded.map(r => `${r.typeUrl}:${r.version}`).join(",");
  if (encoded.length === 0 || seen.has(key)) return;
  seen.add(key);
  const test = expect.getState().currentTestName ?? "";
  // Numbered: one test may compile several snapshots for the same proxy, and each is checked
  // on its own (a cluster of one snapshot does not satisfy a route of another).
  const group = `${test ? `${test} / ` : ""}${proxyLabel(node)} #${mockSnapshots.length + 1}`;
  mockSnapshots.push(encoded.map(resource => ({ group, resource })));
}

let CompileModuleRef: typeof CompileModule;

jest.mock("../../xds/compile/compile", () => {
  const actual = jest.requireActual<typeof CompileModule>("../../xds/compile/compile");
  CompileModuleRef = actual;
  return {
    ...actual,
    compile: (...args: Parameters<typeof actual.compile>) => {
      const result = actual.compile(...args);
      if (result.ok) mockRecord(args[1], result.value);
      return result;
    },
  };
});

afterAll(() => {
  if (mockSnapshots.length === 0) return;
  const resources = mockSnapshots.flat();
  const report = runEnvoyRules(resources, { cross: true });
  const refusals = report.violations.filter(v => !LOADS_WITH_503.has(v.rule));
  const stats = process.env.RIGGING_ENVOY_RULES_STATS;
  if (stats) {
    const file = relative(repoRoot, expect.getState().testPath ?? "");
    const unique = new Set(resources.map(r => `${r.resource.typeUrl}:${r.resource.version}`)).size;
    appendFileSync(
      stats,
      `${JSON.stringify({ file, snapshots: report.groups, resources: report.resources, unique, refusals: refusals.length, routesTo503: report.violations.length - refusals.length })}\n`,
    );
  }
  if (refusals.length > 0) {
    throw new Error(
      `Envoy would refuse ${refusals.length} thing(s) in resources this file compiled:\n` +
        describeViolations(refusals.slice(0, 40)),
    );
  }
});
