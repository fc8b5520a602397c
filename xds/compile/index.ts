/**
 * The xDS compiler: pure functions from a mesh store snapshot and a proxy to its Envoy
 * resources, one generator per xDS type.
 */
export * from "./compile";
export * from "./proxy";
export * from "./scope";
export { buildClusters, outboundClusters } from "./clusters/clusters";
export { buildLoadAssignment } from "./clusters/endpoints";
export { buildListeners, GRPC_SERVER_LISTENER_TEMPLATE } from "./listeners/listeners";
export { buildRoutes } from "./routes/routes";
