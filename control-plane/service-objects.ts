/**
 * The Services that make the control plane reachable in a cluster, as plain objects: one source
 * for the manifests `npm run build` writes (scripts/post-build.ts), for the watcher, which applies
 * them itself when it starts (so `npx pepr deploy`, which never reads dist/, gets them too), and
 * for `rig uninstall`.
 *
 * - `rigging` in pepr-system selects the watcher pods, the process that runs xDS and the CA, and
 *   serves 15010 (plaintext ADS), 15012 (TLS ADS + CA) and 15014 (metrics, Pepr's HTTPS
 *   `/metrics`). Target ports are numbers, not names: a watcher that `npx pepr deploy` made has
 *   Pepr's own container spec, which names no ports, and must still be an endpoint.
 * - `istiod` in istio-system is an ExternalName alias of `rigging`, so the name Istio's agents,
 *   tools and docs dial, `istiod.istio-system.svc:15012`, reaches the same pods on the same port.
 *   An alias needs no writes at run time and follows the selector to any number of watcher
 *   replicas; see the deploy notes in the README for what it cannot do.
 */

/** The control plane's namespace (Pepr's). */
export const RIGGING_NAMESPACE = "pepr-system";
/** The control plane's own Service. */
export const RIGGING_SERVICE = "rigging";
/** istiod's Service name, which Istio's agents dial. */
export const ISTIOD_SERVICE = "istiod";
/** Pepr's watcher Deployment and its Service (443 → 3000, Pepr's HTTPS server). */
export const WATCHER_NAME = "pepr-rigging-watcher";
/** The watcher pods' labels, as Pepr writes them; the selector of {@link RIGGING_SERVICE}. */
export const WATCHER_POD_LABELS: Readonly<Record<string, string>> = Object.freeze({
  app: WATCHER_NAME,
  "pepr.dev/controller": "watcher",
});
/** The label that marks an object Rigging created (and `rig uninstall` removes). */
export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
/** Its value. */
export const MANAGED_BY = "rigging";

/** A port of the control plane: the Service's, and the watcher container's it targets. */
export interface ControlPlanePort {
  readonly name: string;
  readonly port: number;
  readonly containerPort: number;
}

/** The ports of the control plane, as istiod names and numbers them. */
export const CONTROL_PLANE_PORTS: readonly ControlPlanePort[] = Object.freeze([
  { name: "grpc-xds", port: 15010, containerPort: 15010 },
  { name: "https-dns", port: 15012, containerPort: 15012 },
  // Pepr serves /metrics (ours included) on its HTTPS port 3000, already declared by Pepr.
  { name: "https-monitoring", port: 15014, containerPort: 3000 },
]);

/** Where the watcher answers its readiness probe: istiod's port and path. */
export const READINESS_PORT = 8080;
/** The readiness path. */
export const READINESS_PATH = "/ready";

/** A minimal Kubernetes object, as the manifests and the API take it. */
export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
}

/** The cluster's DNS domain (kubelet's `clusterDomain`). */
export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

/** `rigging`'s fully qualified name, what the alias points at. */
export function riggingServiceHost(clusterDomain = DEFAULT_CLUSTER_DOMAIN): string {
  return `${RIGGING_SERVICE}.${RIGGING_NAMESPACE}.svc.${clusterDomain}`;
}

const managed = { [MANAGED_BY_LABEL]: MANAGED_BY, "app.kubernetes.io/part-of": "rigging" };

/** The Service in pepr-system in front of the watcher pods. */
export function riggingService(): ManifestObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: RIGGING_SERVICE, namespace: RIGGING_NAMESPACE, labels: { ...managed } },
    spec: {
      selector: { ...WATCHER_POD_LABELS },
      ports: CONTROL_PLANE_PORTS.map(p => ({
        name: p.name,
        port: p.port,
        protocol: "TCP",
        targetPort: p.containerPort,
      })),
    },
  };
}

/**
 * The `istiod` alias in `istiodNamespace`. Ports are listed for readers and tools
 * (`kubectl get svc`); an ExternalName Service is a DNS CNAME, so clients keep the port they dial.
 */
export function istiodAlias(
  istiodNamespace = "istio-system",
  clusterDomain = DEFAULT_CLUSTER_DOMAIN,
): ManifestObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: ISTIOD_SERVICE, namespace: istiodNamespace, labels: { ...managed } },
    spec: {
      type: "ExternalName",
      externalName: riggingServiceHost(clusterDomain),
      ports: CONTROL_PLANE_PORTS.map(p => ({ name: p.name, port: p.port, protocol: "TCP" })),
    },
  };
}

/** The namespace the alias lives in (applied only when missing; never deleted by us). */
export function istiodNamespaceObject(istiodNamespace = "istio-system"): ManifestObject {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name: istiodNamespace } };
}

/**
 * Every DNS name a client may dial the TLS port by: istiod's (short, namespaced, `.svc` and fully
 * qualified, as Istio's agents and `istioctl` use them), the `rigging` Service's and the watcher
 * Service's in the same forms, and loopback for `rig dev`.
 */
export function controlPlaneDnsNames(
  istiodNamespace = "istio-system",
  clusterDomain = DEFAULT_CLUSTER_DOMAIN,
): string[] {
  const forms = (name: string, namespace: string) => [
    `${name}.${namespace}.svc`,
    `${name}.${namespace}.svc.${clusterDomain}`,
    `${name}.${namespace}`,
    name,
  ];
  return [
    ...forms(ISTIOD_SERVICE, istiodNamespace),
    ...forms(RIGGING_SERVICE, RIGGING_NAMESPACE),
    ...forms(WATCHER_NAME, RIGGING_NAMESPACE),
    "localhost",
  ];
}
