/**
 * Test helpers: synthesize a chart the way `cdk8s synth` does (validations included), and
 * check Istio objects against Istio's CRD schemas and Rigging's validators.
 */
import { App, Chart, Testing } from "cdk8s";
import { validate } from "../../mesh/validation/validate";
import { checkAgainstIstio } from "./istio-crd-schema";

/** A manifest as synthesized. */
export type Manifest = Record<string, unknown> & { apiVersion: string; kind: string };

/** A fresh app and chart (namespace `default` unless told). */
export function testChart(namespace?: string): Chart {
  return new Chart(Testing.app(), "test", namespace !== undefined ? { namespace } : {});
}

/** Synthesizes `chart` after running every construct's validations, as `app.synth()` does. */
export function synth(chart: Chart): Manifest[] {
  (chart.node.root as App).synthYaml();
  return Testing.synth(chart) as Manifest[];
}

/** The message `app.synth()` fails with, or undefined when it succeeds. */
export function synthError(chart: Chart): string | undefined {
  try {
    (chart.node.root as App).synthYaml();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Whether a manifest is an Istio kind (networking or security). */
export function isIstio(m: Manifest): boolean {
  return /\.istio\.io\//.test(m.apiVersion);
}

/** Every problem Istio's CRD schema or Rigging's validators find in the Istio manifests. */
export function meshProblems(manifests: readonly Manifest[]): string[] {
  return manifests.filter(isIstio).flatMap(m => {
    const name = `${m.kind} ${(m.metadata as { name?: string } | undefined)?.name}`;
    const schema = checkAgainstIstio(m).errors.map(e => `${name}: Istio CRD: ${e}`);
    const ns = (m.metadata as { namespace?: string } | undefined)?.namespace;
    const rig = validate(m, { defaultNamespace: ns ?? "default" }).errors.map(d => d.message);
    return [...schema, ...rig];
  });
}
