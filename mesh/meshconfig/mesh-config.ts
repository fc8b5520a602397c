/**
 * The part of Istio's MeshConfig (`istio.mesh.v1alpha1.MeshConfig`) that Rigging acts on, as
 * istiod reads it: the `mesh` key of the ConfigMap `istio` in the control plane's namespace.
 * Fields Rigging does not act on are accepted (an Istio user's mesh config must load) and
 * reported once as notes by the parser.
 *
 * @see https://istio.io/latest/docs/reference/config/istio.mesh.v1alpha1/
 */
import type { LocalityLbSetting } from "../api/traffic-policy";
import type { ExtensionProvider } from "./ext-authz";
import { UNSET_TLS_SETTINGS, type MeshTlsSettings } from "./mesh-tls";
import type { DefaultProviders, TelemetryProvider } from "./telemetry-providers";

/** The ConfigMap istiod reads its mesh config from, and the key holding it. */
export const MESH_CONFIGMAP = "istio";
export const MESH_CONFIGMAP_KEY = "mesh";

/** Mesh-wide settings, defaults filled in. */
export interface MeshConfig {
  /** Where mesh-wide policies live (`rootNamespace`). @default "istio-system" */
  readonly rootNamespace: string;
  /** SPIFFE trust domain of the mesh's identities. @default "cluster.local" */
  readonly trustDomain: string;
  /** Other trust domains whose identities count as this mesh's (authorization, secure naming). */
  readonly trustDomainAliases: readonly string[];
  /** Outbound traffic to hosts not in the registry. @default "ALLOW_ANY" */
  readonly outboundTrafficPolicy: "ALLOW_ANY" | "REGISTRY_ONLY";
  /** Whether clients upgrade to Istio mTLS on their own where the server has a proxy. @default true */
  readonly enableAutoMtls: boolean;
  /** Mesh-wide locality load balancing; a DestinationRule's own setting replaces it. @default enabled */
  readonly localityLbSetting?: LocalityLbSetting;
  /** Extension providers; only `envoyExtAuthzHttp`/`envoyExtAuthzGrpc` ones are acted on (CUSTOM). */
  readonly extensionProviders: readonly ExtensionProvider[];
  /** The extension providers Telemetry compiles (prometheus, access logs, tracers), by name. */
  readonly telemetryProviders: readonly TelemetryProvider[];
  /** Providers used where no Telemetry names any. @default metrics: prometheus (Istio's chart) */
  readonly defaultProviders: DefaultProviders;
  /** Mesh-wide Envoy access log path; "" is off. @default "" */
  readonly accessLogFile: string;
  /** The access log format (text with `%…%` operators, or JSON for JSON encoding). @default Istio's */
  readonly accessLogFormat: string;
  /** `TEXT` or `JSON`. @default "TEXT" */
  readonly accessLogEncoding: "TEXT" | "JSON";
  /** Whether proxies trace (Telemetry tracing applies only when true). @default true */
  readonly enableTracing: boolean;
  /** The mesh's own mTLS on sidecars' inbound ports (minimum version, ciphers). @default unset */
  readonly meshMTLS: MeshTlsSettings;
  /** TLS defaults of SIMPLE/MUTUAL gateway servers and origination (see mesh-tls.ts). @default unset */
  readonly tlsDefaults: MeshTlsSettings;
}

/** Istio's defaults: what the mesh runs with when the ConfigMap is absent or has no `mesh`. */
export const DEFAULT_MESH_CONFIG: MeshConfig = {
  rootNamespace: "istio-system",
  trustDomain: "cluster.local",
  trustDomainAliases: [],
  outboundTrafficPolicy: "ALLOW_ANY",
  enableAutoMtls: true,
  extensionProviders: [],
  // Istio's DefaultMeshConfig declares these three; a mesh config's entry of the same name
  // replaces one (pkg/config/mesh/mesh.go).
  telemetryProviders: [
    { name: "prometheus", kind: "prometheus" },
    { name: "envoy", kind: "envoyFileAccessLog", path: "/dev/stdout" },
  ],
  // What Istio's istiod chart writes into the mesh config (templates/configmap.yaml).
  defaultProviders: { metrics: ["prometheus"], tracing: [], accessLogging: [] },
  accessLogFile: "",
  accessLogFormat: "",
  accessLogEncoding: "TEXT",
  enableTracing: true,
  meshMTLS: UNSET_TLS_SETTINGS,
  tlsDefaults: UNSET_TLS_SETTINGS,
};
