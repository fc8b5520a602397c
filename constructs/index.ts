/**
 * cdk8s constructs for Rigging (and Istio): L2 constructs for mesh topology, and the generated
 * L1 classes of every Istio kind under `istio` (as `cdk8s import` would give them).
 */
export * as istio from "./generated";
export * from "./canary";
export * from "./egress-rule";
export {
  type GatewayRoute,
  type GatewayTls,
  MeshGateway,
  type MeshGatewayProps,
  type WeightedBackend,
} from "./mesh-gateway";
export * from "./mesh-namespace";
export * from "./rate-limit";
export * from "./service-authorization";
export * from "./traffic-policy";
export type { Backend } from "./lib/hosts";
export type { GatewayDeploymentOptions } from "./lib/gateway-workload";
export type { Labels, WorkloadTarget } from "./lib/labels";
