/**
 * The parts of core Kubernetes objects the mesh reads. Typed here (not from a Kubernetes client)
 * so the store stays pure and a test can write an object as a literal.
 */
import type { IstioObject, KindName, ObjectMeta } from "../api";

/** Metadata the store reads from every object (creation time orders config, as in Istio). */
export interface KubeMeta extends ObjectMeta {
  creationTimestamp?: string;
}

/** A Namespace. */
export interface KubeNamespace {
  apiVersion?: string;
  kind: "Namespace";
  metadata: KubeMeta;
}

/** A port of a Service. */
export interface KubeServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
  appProtocol?: string;
}

/** A Service (ClusterIP, headless, NodePort, LoadBalancer or ExternalName). */
export interface KubeService {
  apiVersion?: string;
  kind: "Service";
  metadata: KubeMeta;
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalName?: string;
    selector?: Record<string, string>;
    ports?: KubeServicePort[];
  };
}

/** One endpoint of an EndpointSlice. */
export interface KubeSliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  targetRef?: { kind?: string; name?: string; namespace?: string };
  zone?: string;
  nodeName?: string;
  hostname?: string;
}

/** An EndpointSlice (discovery.k8s.io/v1). */
export interface KubeEndpointSlice {
  apiVersion?: string;
  kind: "EndpointSlice";
  metadata: KubeMeta;
  addressType?: string;
  endpoints?: KubeSliceEndpoint[];
  ports?: { name?: string; port?: number; protocol?: string; appProtocol?: string }[];
}

/** A Pod, as far as the mesh cares: labels, service account, IPs. */
export interface KubePod {
  apiVersion?: string;
  kind: "Pod";
  metadata: KubeMeta;
  spec?: { serviceAccountName?: string; nodeName?: string };
  status?: { podIP?: string; podIPs?: { ip: string }[]; phase?: string };
}

/**
 * A Secret as the watch delivers it: `data` values are base64. The store never keeps this
 * object, only the TLS material parsed out of it (`tls-secret.ts`).
 */
export interface KubeSecret {
  apiVersion?: string;
  kind: "Secret";
  metadata: KubeMeta;
  type?: string;
  data?: Record<string, string>;
}

/** The Kubernetes kinds the store accepts. */
export type KubeObject = KubeNamespace | KubeService | KubeEndpointSlice | KubePod | KubeSecret;

/** The Istio networking kinds the store keeps. */
export const NETWORKING_KINDS = [
  "VirtualService",
  "DestinationRule",
  "Gateway",
  "ServiceEntry",
  "Sidecar",
  "WorkloadEntry",
  "WorkloadGroup",
  "EnvoyFilter",
] as const satisfies readonly KindName[];

/** One of {@link NETWORKING_KINDS}. */
export type NetworkingKind = (typeof NETWORKING_KINDS)[number];

/** The Istio security kinds the store keeps (what proxies enforce: mTLS, JWT, authorization). */
export const SECURITY_KINDS = [
  "PeerAuthentication",
  "RequestAuthentication",
  "AuthorizationPolicy",
] as const satisfies readonly KindName[];

/** One of {@link SECURITY_KINDS}. */
export type SecurityKind = (typeof SECURITY_KINDS)[number];

/** The Istio telemetry kinds the store keeps (metrics, access logs, tracing). */
export const TELEMETRY_KINDS = ["Telemetry"] as const satisfies readonly KindName[];

/** One of {@link TELEMETRY_KINDS}. */
export type TelemetryKind = (typeof TELEMETRY_KINDS)[number];

/** Every Istio kind the store keeps in `store.config`. */
export const CONFIG_KINDS = [...NETWORKING_KINDS, ...SECURITY_KINDS, ...TELEMETRY_KINDS] as const;

/** One of {@link CONFIG_KINDS}. */
export type ConfigKind = NetworkingKind | SecurityKind | TelemetryKind;

/** Any object the store accepts. */
export type StoreObject = KubeObject | IstioObject<ConfigKind>;

/** A watch event, named as the Kubernetes watch API names them. */
export interface StoreEvent {
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly object: StoreObject;
}

/** The label an EndpointSlice names its Service by. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

/** `namespace/name`, the store's key for namespaced objects. */
export function keyOf(meta: ObjectMeta): string {
  return `${meta.namespace ?? ""}/${meta.name ?? ""}`;
}

/** True when every label of `selector` is present with the same value in `labels`. */
export function selectorMatches(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) if (labels?.[k] !== v) return false;
  return true;
}
