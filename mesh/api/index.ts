/**
 * Istio's config API as typed schemas: the single source for TypeScript types, CRDs and
 * shape validation.
 */
export * from "./authorization-policy";
export * from "./common";
export * from "./crds";
export * from "./destination-rule";
export * from "./envoy-filter";
export * from "./gateway";
export * from "./kinds";
export * from "./openapi";
export * from "./peer-authentication";
export * from "./request-authentication";
export * from "./route-destinations";
export * from "./schema";
export * from "./service-entry";
export * from "./sidecar";
export * from "./telemetry";
export * from "./tls";
export * from "./traffic-policy";
export * from "./virtual-service";
export * from "./workload-entry";
export * from "./workload-group";
