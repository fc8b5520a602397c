/**
 * The pure sidecar injector. See {@link injectPod} and {@link decideInjection}.
 */
export { injectPod, renderSidecar, effectiveProxyConfig } from "./inject";
export type { Injection, InjectOptions } from "./inject";
export { decideInjection, injectRequired, webhookSelects, IGNORED_NAMESPACES } from "./decision";
export type { InjectionDecision, DecisionReason } from "./decision";
export {
  defaultMeshSettings,
  defaultInjectionValues,
  conformanceInjectionValues,
  DEFAULT_DISCOVERY_ADDRESS,
  PROXY_HUB,
  PROXY_TAG,
  ISTIO_DEFAULT_DISCOVERY_ADDRESS,
} from "./settings";
export type {
  MeshSettings,
  MeshConfig,
  ProxyConfig,
  InjectionValues,
  LabelSelector,
} from "./settings";
export { workloadOf } from "./workload";
export { kubeInjectObject, kubeInjectStream, INJECTABLE_KINDS } from "./kube-inject";
export type { KubeInjectOptions, KubeInjected, KubeInjectedStream } from "./kube-inject";
export { checkInjection, parseLabels } from "./check-inject";
export type { InjectionCheck, CheckTarget } from "./check-inject";
export type { Pod, Namespace, Container, WorkloadMeta } from "./types";
export {
  injectorConfigFromConfigMap,
  parseInjectorConfig,
  injectorConfigMapName,
  INJECTOR_CONFIGMAP,
  RENDERED_TEMPLATES,
} from "./injector-config";
export type { InjectorConfigResult, InjectorConfigSources } from "./injector-config";
export { injectorMeshFromConfigMap, parseInjectorMeshConfig } from "./injector-mesh-config";
export type { InjectorMeshResult } from "./injector-mesh-config";
