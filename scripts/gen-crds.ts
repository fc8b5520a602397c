/**
 * Prints Rigging's Istio CRDs as one multi-document YAML stream, for clusters where CRDs are
 * installed by hand or by GitOps rather than by the module's watcher:
 *
 *   npx tsx scripts/gen-crds.ts > istio-crds.yaml && kubectl apply --server-side -f istio-crds.yaml
 *
 * The CRDs are generated from the typed schemas in `mesh/api`, the same ones the module applies.
 */
import { stringify } from "yaml";
import { generateCrds } from "../mesh/api/crds";

process.stdout.write(
  generateCrds()
    .map(crd => stringify(crd, { lineWidth: 0 }))
    .join("---\n"),
);
