/**
 * Cross-resource analysis of Istio config (`rig analyze`): validation plus checks that need
 * more than one object — missing hosts, subsets and gateways, conflicting VirtualServices,
 * selectors that select nothing, and mTLS conflicts. One check per file; all pure.
 */
export { analyze, ANALYZERS, type Analyzer, type AnalyzeOptions } from "./analyze";
export { parseManifests, type ManifestError, type ParsedManifests } from "./manifests";
export {
  formatMessage,
  LEVELS,
  MESSAGE_TYPES,
  originText,
  type AnalysisMessage,
  type Level,
  type MessageType,
  type Origin,
} from "./message";
export {
  buildInventory,
  toResource,
  type Inventory,
  type Resource,
  type Workload,
} from "./resources";
