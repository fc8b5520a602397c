/**
 * Minimal structural Kubernetes types the injector reads and writes. They name only the fields the
 * injector looks at; every other field of a real object passes through untouched (index
 * signatures), so a Pod decoded from an AdmissionReview or a YAML file fits as is.
 */

/** A JSON value as it appears in a decoded Kubernetes object. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/** An owner reference (only the fields used to find a pod's workload). */
export interface OwnerReference {
  apiVersion?: string;
  kind?: string;
  name?: string;
  controller?: boolean;
  [key: string]: unknown;
}

/** Object metadata. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  [key: string]: unknown;
}

/** A container port. */
export interface ContainerPort {
  name?: string;
  hostPort?: number;
  containerPort: number;
  protocol?: string;
  hostIP?: string;
  [key: string]: unknown;
}

/** An HTTP GET action (probes and lifecycle hooks). */
export interface HttpGetAction {
  path?: string;
  port?: number | string;
  host?: string;
  scheme?: string;
  httpHeaders?: { name: string; value: string }[];
  [key: string]: unknown;
}

/** A probe or lifecycle handler: only the actions the agent can take over are typed. */
export interface Probe {
  httpGet?: HttpGetAction | null;
  tcpSocket?: { port?: number | string; host?: string; [key: string]: unknown } | null;
  grpc?: { port: number; service?: string; [key: string]: unknown } | null;
  timeoutSeconds?: number;
  [key: string]: unknown;
}

/** A container (app, init or sidecar). */
export interface Container {
  name: string;
  image?: string;
  args?: string[];
  env?: EnvVar[];
  ports?: ContainerPort[];
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: Probe; postStart?: Probe; [key: string]: unknown };
  securityContext?: {
    runAsUser?: number | null;
    runAsGroup?: number | null;
    [key: string]: unknown;
  } | null;
  [key: string]: unknown;
}

/** An environment variable. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: unknown;
}

/** A volume. */
export interface Volume {
  name: string;
  [key: string]: unknown;
}

/** A pod spec. */
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Volume[];
  imagePullSecrets?: { name: string }[];
  hostNetwork?: boolean;
  serviceAccountName?: string;
  [key: string]: unknown;
}

/** A Pod (or the pod template of a workload, given its own metadata). */
export interface Pod {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  spec: PodSpec;
  [key: string]: unknown;
}

/** A Namespace (only its metadata matters to injection). */
export interface Namespace {
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

/**
 * The workload a pod belongs to, as Istio's template sees it (`.DeploymentMeta` and `.TypeMeta`):
 * it names the proxy's workload (`ISTIO_META_WORKLOAD_NAME`) and owner (`ISTIO_META_OWNER`).
 */
export interface WorkloadMeta {
  name: string;
  namespace: string;
  kind: string;
  apiVersion: string;
}
