/**
 * The settings the injector renders from: Rigging's own mesh settings, the subset of Istio's
 * `MeshConfig`/`ProxyConfig` the sidecar template reads, and the subset of the istio-discovery
 * chart values (`values.global.proxy.*` and friends) the template reads. Defaults are the chart's
 * (manifests/charts/istio-control/istio-discovery/values.yaml) and Istio's `mesh.DefaultProxyConfig`
 * (https://github.com/istio/istio/blob/master/pkg/config/mesh/mesh.go), except that the image is
 * the pinned Istio release Rigging supports. Users change them through the `istio-sidecar-injector`
 * and `istio` ConfigMaps (see injector-config.ts).
 */
import type { JsonObject } from "./types";

/** Istio's built-in discovery address; a proxy falls back to it when PROXY_CONFIG omits one. */
export const ISTIO_DEFAULT_DISCOVERY_ADDRESS = "istiod.istio-system.svc:15012";

/**
 * Where injected proxies reach the control plane (xDS and the CA, TLS on 15012): Istio's own
 * name, which Rigging's install serves from its control plane, so Istio's tools and docs apply.
 */
export const DEFAULT_DISCOVERY_ADDRESS = ISTIO_DEFAULT_DISCOVERY_ADDRESS;

/** The registry of the Istio release Rigging injects by default (`values.global.hub`). */
export const PROXY_HUB = "docker.io/istio";

/**
 * The Istio release whose `proxyv2` Rigging supports and injects by default
 * (`values.global.tag`); the pilot-agent the tests run is built from the same release line.
 */
export const PROXY_TAG = "1.31.0";

/**
 * Istio's `ProxyConfig` in its JSON (camelCase) form, as found in `meshConfig.defaultConfig` and
 * the `proxy.istio.io/config` annotation. Fields are kept as given so that `PROXY_CONFIG` can echo
 * them; only the ones the template reads are typed.
 */
export interface ProxyConfig {
  discoveryAddress?: string;
  interceptionMode?: "REDIRECT" | "TPROXY" | "NONE";
  proxyMetadata?: Record<string, string>;
  holdApplicationUntilProxyStarts?: boolean;
  statusPort?: number;
  image?: { imageType?: string };
  [key: string]: unknown;
}

/** The subset of Istio's `MeshConfig` that injection reads. */
export interface MeshConfig {
  /** @default "cluster.local" */
  trustDomain?: string;
  defaultConfig?: ProxyConfig;
  inboundTrafficPolicy?: { mode?: "PASSTHROUGH" | "LOCALHOST" };
  /** @default true */
  enablePrometheusMerge?: boolean;
  /** iptables `-p`. @default 15001 */
  proxyListenPort?: number;
  /** iptables `-z`. @default 15006 */
  proxyInboundListenPort?: number;
  [key: string]: unknown;
}

/** Rigging's mesh settings: where proxies connect, which revision we are, the mesh config. */
export interface MeshSettings {
  /** The control plane's xDS and CA address. @default "istiod.istio-system.svc:15012" */
  readonly discoveryAddress: string;
  /** The control plane's own namespace, never injected. @default "pepr-system" */
  readonly controlPlaneNamespace: string;
  /** Our revision; "" is the default revision (`istio.io/rev=default`). @default "" */
  readonly revision: string;
  /**
   * Whether the proxy runs as a native sidecar (an init container with `restartPolicy: Always`).
   * Istio turns this on when every node's kubelet is 1.33 or newer. @default true
   */
  readonly nativeSidecars: boolean;
  /** Istio's `COMPLIANCE_POLICY` (e.g. `fips-140-3`). @default "" */
  readonly compliancePolicy: string;
  /** The mesh config (mesh-wide proxy defaults). */
  readonly meshConfig: MeshConfig;
}

/**
 * The subset of the istio-discovery chart values the injection template reads, with the same
 * paths, so Istio's `--set values.global.proxy.statusPort=0` maps one to one.
 */
export interface InjectionValues {
  global: {
    hub: string;
    tag: string;
    variant: string;
    imagePullPolicy: string;
    imagePullSecrets: string[];
    logAsJson: boolean;
    nativeNftables: boolean;
    logging: { level: string };
    meshID: string;
    trustDomain?: string;
    multiCluster: { clusterName: string };
    network: string;
    pilotCertProvider: string;
    caAddress: string;
    caName: string;
    mountMtlsCerts: boolean;
    trustBundleName?: string;
    sds: { token: { aud: string } };
    sts: { servicePort: number };
    proxy: {
      image: string;
      autoInject: string;
      clusterDomain: string;
      componentLogLevel: string;
      logLevel: string;
      excludeInboundPorts: string;
      includeInboundPorts: string;
      includeIPRanges: string;
      excludeIPRanges: string;
      includeOutboundPorts: string;
      excludeOutboundPorts: string;
      outlierLogPath: string;
      privileged: boolean;
      seccompProfile: JsonObject;
      readinessFailureThreshold: number;
      readinessInitialDelaySeconds: number;
      readinessPeriodSeconds: number;
      startupProbe: { enabled: boolean; failureThreshold: number };
      resources: JsonObject | null;
      statusPort: number;
      tracer: string;
      holdApplicationUntilProxyStarts?: boolean;
      capNetBindService?: boolean;
      lifecycle?: JsonObject;
    };
    proxy_init: { image: string; forceApplyIptables: boolean };
    /** Where grpc-simple's bootstrap looks for `istiod`. @default "istio-system" */
    istioNamespace?: string;
  };
  pilot: { cni: { enabled: boolean; provider: string }; crlConfigMapName?: string };
  sidecarInjectorWebhook: {
    rewriteAppHTTPProbe: boolean;
    enableNamespacesByDefault: boolean;
    injectedAnnotations: Record<string, string>;
    neverInjectSelector: LabelSelector[];
    alwaysInjectSelector: LabelSelector[];
    /**
     * Custom templates by name (a name of a built-in template replaces it). Only plain YAML
     * overlays are supported, not Go template actions. @default {}
     */
    templates?: Record<string, string>;
    /** The templates a pod gets when it names none (`inject.istio.io/templates`). @default ["sidecar"] */
    defaultTemplates?: string[];
  };
  /** The gateway template's pod security context. @default - allow binding ports below 1024 */
  gateways?: { securityContext?: JsonObject };
}

/** A Kubernetes label selector (`matchLabels` and `matchExpressions`). */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/**
 * The chart's default values (istio-discovery values.yaml), with the image pinned to the Istio
 * release Rigging supports ({@link PROXY_HUB}/proxyv2:{@link PROXY_TAG}).
 */
export function defaultInjectionValues(): InjectionValues {
  return {
    global: {
      hub: PROXY_HUB,
      tag: PROXY_TAG,
      variant: "",
      imagePullPolicy: "",
      imagePullSecrets: [],
      logAsJson: false,
      nativeNftables: false,
      logging: { level: "default:info" },
      meshID: "",
      multiCluster: { clusterName: "" },
      network: "",
      pilotCertProvider: "istiod",
      caAddress: "",
      caName: "",
      mountMtlsCerts: false,
      sds: { token: { aud: "istio-ca" } },
      sts: { servicePort: 0 },
      proxy: {
        image: "proxyv2",
        autoInject: "enabled",
        clusterDomain: "cluster.local",
        componentLogLevel: "misc:error",
        logLevel: "warning",
        excludeInboundPorts: "",
        includeInboundPorts: "*",
        includeIPRanges: "*",
        excludeIPRanges: "",
        includeOutboundPorts: "",
        excludeOutboundPorts: "",
        outlierLogPath: "",
        privileged: false,
        seccompProfile: {},
        readinessFailureThreshold: 4,
        readinessInitialDelaySeconds: 0,
        readinessPeriodSeconds: 15,
        startupProbe: { enabled: true, failureThreshold: 600 },
        resources: {
          requests: { cpu: "100m", memory: "128Mi" },
          limits: { cpu: "2000m", memory: "1024Mi" },
        },
        statusPort: 15020,
        tracer: "none",
      },
      proxy_init: { image: "proxyv2", forceApplyIptables: false },
    },
    pilot: { cni: { enabled: false, provider: "default" } },
    sidecarInjectorWebhook: {
      rewriteAppHTTPProbe: true,
      enableNamespacesByDefault: false,
      injectedAnnotations: {},
      neverInjectSelector: [],
      alwaysInjectSelector: [],
    },
  };
}

/**
 * The values Istio's injection goldens were rendered with (the chart's test hub and tag), for the
 * conformance tests that compare our output with them byte for byte.
 */
export function conformanceInjectionValues(): InjectionValues {
  const values = defaultInjectionValues();
  values.global.hub = "registry.istio.io/testing";
  values.global.tag = "latest";
  return values;
}

/** Istio's `mesh.DefaultProxyConfig()` fields that the agent assumes when PROXY_CONFIG omits them. */
export const ISTIO_PROXY_CONFIG_DEFAULTS = {
  configPath: "./etc/istio/proxy",
  binaryPath: "/usr/local/bin/envoy",
  serviceCluster: "istio-proxy",
  drainDuration: "45s",
  terminationDrainDuration: "5s",
  proxyAdminPort: 15000,
  controlPlaneAuthPolicy: "MUTUAL_TLS",
  discoveryAddress: ISTIO_DEFAULT_DISCOVERY_ADDRESS,
  statNameLength: 189,
  statusPort: 15020,
} as const;

/** Rigging's default mesh settings: proxies point at Rigging, native sidecars on. */
export function defaultMeshSettings(overrides: Partial<MeshSettings> = {}): MeshSettings {
  const discoveryAddress = overrides.discoveryAddress ?? DEFAULT_DISCOVERY_ADDRESS;
  return {
    discoveryAddress,
    controlPlaneNamespace: "pepr-system",
    revision: "",
    nativeSidecars: true,
    compliancePolicy: "",
    ...overrides,
    meshConfig: {
      trustDomain: "cluster.local",
      enablePrometheusMerge: true,
      ...overrides.meshConfig,
      defaultConfig: { discoveryAddress, ...overrides.meshConfig?.defaultConfig },
    },
  };
}
