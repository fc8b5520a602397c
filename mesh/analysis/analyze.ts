/**
 * `analyze`: every object's own validation plus the cross-resource checks, over one set of
 * resources, sorted as istioctl prints them.
 */
import { checkDestinationHosts } from "./destination-hosts";
import { checkDestinationSubsets } from "./destination-subsets";
import { checkGatewayReferences } from "./gateway-references";
import { checkMeshConfig } from "./mesh-config";
import { checkMeshHostConflicts } from "./mesh-host-conflicts";
import { sortMessages, type AnalysisMessage } from "./message";
import { checkMtlsConflicts } from "./mtls-conflict";
import { buildInventory, type InventoryOptions, type Resource } from "./resources";
import { checkSchemas } from "./schema-validation";
import { checkWorkloadSelectors } from "./workload-selectors";
import type { Inventory } from "./resources";

/** One analyzer: reads the inventory, returns its findings. */
export type Analyzer = (inv: Inventory) => AnalysisMessage[];

/** The analyzers, in the order they run. */
export const ANALYZERS: Readonly<Record<string, Analyzer>> = {
  "schema-validation": checkSchemas,
  "destination-hosts": checkDestinationHosts,
  "destination-subsets": checkDestinationSubsets,
  "gateway-references": checkGatewayReferences,
  "mesh-host-conflicts": checkMeshHostConflicts,
  "workload-selectors": checkWorkloadSelectors,
  "mtls-conflict": checkMtlsConflicts,
  "mesh-config": checkMeshConfig,
};

/** Options for {@link analyze}. */
export interface AnalyzeOptions extends InventoryOptions {
  /**
   * Report only on objects in these namespaces (the other resources are still read, so that a
   * reference into another namespace resolves). @default every namespace
   */
  readonly namespaces?: readonly string[];
}

/** Analyzes a set of resources: validation and cross-resource checks. */
export function analyze(
  resources: readonly Resource[],
  options: AnalyzeOptions = {},
): AnalysisMessage[] {
  const inv = buildInventory(resources, options);
  const messages = Object.values(ANALYZERS).flatMap(a => a(inv));
  const scope = options.namespaces ? new Set(options.namespaces) : undefined;
  return sortMessages(scope ? messages.filter(m => scope.has(m.origin.namespace)) : messages);
}
