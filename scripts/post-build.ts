// Runs after `pepr build` (scripts/build.mjs calls it): adds the control-plane Services, the
// watcher's xDS ports, its xDS-aware readiness probe and its replicas (PDB, autoscaler) to
// dist/pepr-module-rigging.yaml and to the Helm chart in dist/rigging-chart (see deploy-manifests.ts for why Pepr cannot).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  HELM_AVAILABILITY_TEMPLATE,
  helmAvailabilityTemplate,
  HELM_SERVICES_TEMPLATE,
  helmServicesTemplate,
  patchManifestYaml,
  patchValidationWebhookTemplate,
  patchValues,
  patchWatcherTemplate,
} from "./deploy-manifests";

const dist = process.argv[2] ?? "dist";
const patch = (path: string, fn: (text: string) => string): void => {
  if (!existsSync(path)) throw new Error(`${path}: not written by pepr build`);
  writeFileSync(path, fn(readFileSync(path, "utf8")));
};

const chart = join(dist, "rigging-chart");
patch(join(dist, "pepr-module-rigging.yaml"), text => patchManifestYaml(text));
patch(join(chart, "templates", "watcher-deployment.yaml"), patchWatcherTemplate);
patch(join(chart, "values.yaml"), patchValues);
patch(join(chart, "templates", "validation-webhook.yaml"), patchValidationWebhookTemplate);
writeFileSync(join(chart, HELM_SERVICES_TEMPLATE), helmServicesTemplate());
writeFileSync(join(chart, HELM_AVAILABILITY_TEMPLATE), helmAvailabilityTemplate());
console.log(
  `post-build: control-plane Services, watcher ports 15010/15012, /ready probe, replicas, PodDisruptionBudget, autoscaler and validating-webhook matchConditions added to ${dist}/pepr-module-rigging.yaml and ${chart}`,
);
