/**
 * The labels and annotations injection reads or writes, named as Istio names them
 * (https://istio.io/latest/docs/reference/config/annotations/ and .../labels/).
 */

/** Annotation and label names used by the injector. */
export const A = {
  inject: "sidecar.istio.io/inject",
  status: "sidecar.istio.io/status",
  proxyConfig: "proxy.istio.io/config",
  proxyOverrides: "proxy.istio.io/overrides",
  templates: "inject.istio.io/templates",
  interceptionMode: "sidecar.istio.io/interceptionMode",
  nativeSidecar: "sidecar.istio.io/nativeSidecar",
  capNetBindService: "sidecar.istio.io/capNetBindService",
  proxyImage: "sidecar.istio.io/proxyImage",
  proxyImageType: "sidecar.istio.io/proxyImageType",
  proxyCPU: "sidecar.istio.io/proxyCPU",
  proxyMemory: "sidecar.istio.io/proxyMemory",
  proxyCPULimit: "sidecar.istio.io/proxyCPULimit",
  proxyMemoryLimit: "sidecar.istio.io/proxyMemoryLimit",
  logLevel: "sidecar.istio.io/logLevel",
  componentLogLevel: "sidecar.istio.io/componentLogLevel",
  agentLogLevel: "sidecar.istio.io/agentLogLevel",
  bootstrapOverride: "sidecar.istio.io/bootstrapOverride",
  userVolume: "sidecar.istio.io/userVolume",
  userVolumeMount: "sidecar.istio.io/userVolumeMount",
  rewriteAppHTTPProbers: "sidecar.istio.io/rewriteAppHTTPProbers",
  statusPort: "status.sidecar.istio.io/port",
  readinessInitialDelay: "readiness.status.sidecar.istio.io/initialDelaySeconds",
  readinessPeriod: "readiness.status.sidecar.istio.io/periodSeconds",
  readinessFailureThreshold: "readiness.status.sidecar.istio.io/failureThreshold",
  includeOutboundIPRanges: "traffic.sidecar.istio.io/includeOutboundIPRanges",
  excludeOutboundIPRanges: "traffic.sidecar.istio.io/excludeOutboundIPRanges",
  includeInboundPorts: "traffic.sidecar.istio.io/includeInboundPorts",
  excludeInboundPorts: "traffic.sidecar.istio.io/excludeInboundPorts",
  includeOutboundPorts: "traffic.sidecar.istio.io/includeOutboundPorts",
  excludeOutboundPorts: "traffic.sidecar.istio.io/excludeOutboundPorts",
  excludeInterfaces: "traffic.sidecar.istio.io/excludeInterfaces",
  kubevirtInterfaces: "traffic.sidecar.istio.io/kubevirtInterfaces",
  rerouteVirtualInterfaces: "istio.io/reroute-virtual-interfaces",
  mergeMetrics: "prometheus.istio.io/merge-metrics",
  multusNetworks: "k8s.v1.cni.cncf.io/networks",
  defaultContainer: "kubectl.kubernetes.io/default-container",
  defaultLogsContainer: "kubectl.kubernetes.io/default-logs-container",
  rev: "istio.io/rev",
} as const;

/** Label names used by the injector. */
export const L = {
  inject: "sidecar.istio.io/inject",
  rev: "istio.io/rev",
  injection: "istio-injection",
  tlsMode: "security.istio.io/tlsMode",
  tunnel: "networking.istio.io/tunnel",
  canonicalName: "service.istio.io/canonical-name",
  canonicalRevision: "service.istio.io/canonical-revision",
  workloadName: "service.istio.io/workload-name",
  network: "topology.istio.io/network",
} as const;

/** The sidecar and init container names Istio uses. */
export const PROXY = "istio-proxy";
/** The iptables init container. */
export const INIT = "istio-init";
/** The CNI-mode validation init container. */
export const VALIDATION = "istio-validation";
/** The optional core-dump init container (kept first/last by the reorder rules). */
export const CORE_DUMP = "enable-core-dump";
