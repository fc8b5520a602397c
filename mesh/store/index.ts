/**
 * The mesh store: immutable, indexed snapshots of Services, endpoints, Pods, ServiceEntries,
 * WorkloadEntries, TLS Secrets, Istio networking and security config, and the service registry over them.
 */
export * from "./host-address";
export * from "./kube-types";
export * from "./persistent-map";
export * from "./protocol";
export * from "./registry";
export * from "./service-model";
export * from "./store";
export * from "./tls-secret";
export * from "./service-aliases";
