/** Istio's MeshConfig: the typed settings Rigging acts on, and their parser. */
export * from "./ext-authz";
export * from "./mesh-config";
export * from "./parse-mesh-config";
export * from "./telemetry-providers";
