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
  DEFAULT_DISCOVERY_ADDRESS,
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
