/**
 * The service registry's model: Kubernetes Services and ServiceEntry hosts become one shape,
 * as in Istio's `model.Service`. A Service `reviews` in `default` is the host
 * `reviews.default.svc.cluster.local`; a ServiceEntry yields one service per host.
 *
 * @see istio/istio pilot/pkg/serviceregistry/kube/conversion.go (ConvertService)
 * @see istio/istio pilot/pkg/serviceregistry/serviceentry/conversion.go (convertServices)
 */
import type { ServiceEntry } from "../api";
import { keyOf, type KubeService } from "./kube-types";
import { kubePortProtocol, parseProtocol, type Protocol } from "./protocol";

/** One port of a registry service. */
export interface ServicePortInfo {
  readonly name: string;
  readonly port: number;
  readonly protocol: Protocol;
  /** Backend port: a number, a named container port, or undefined for "same as port". */
  readonly targetPort?: number | string;
}

/**
 * How endpoints are found: `STATIC` (the control plane lists them; Kubernetes ClusterIP
 * services are this), `DNS`/`DNS_ROUND_ROBIN` (the proxy resolves hostnames), `NONE`
 * (passthrough to the original destination; headless services and NONE entries), `ALIAS`
 * (a Kubernetes ExternalName Service: no endpoints, clusters or listeners of its own; its name
 * is another name of the service it points at, see `service-aliases.ts`).
 */
export type Resolution = "STATIC" | "DNS" | "DNS_ROUND_ROBIN" | "NONE" | "ALIAS";

/** A service in the registry. */
export interface ServiceInfo {
  /** The FQDN or (for ServiceEntries) possibly wildcard host. */
  readonly hostname: string;
  readonly namespace: string;
  /** What defined it: `Service/ns/name` or `ServiceEntry/ns/name`. */
  readonly source: string;
  readonly sourceKind: "Service" | "ServiceEntry";
  readonly ports: readonly ServicePortInfo[];
  /** Virtual IPs (cluster IP, ServiceEntry addresses). */
  readonly addresses: readonly string[];
  readonly resolution: Resolution;
  readonly meshExternal: boolean;
  /** Namespaces it is visible to (`*`, `.`, `~` or names); `*` when unset. */
  readonly exportTo: readonly string[];
  /** Workloads backing it (Service selector or ServiceEntry `workloadSelector.labels`). */
  readonly selector?: Readonly<Record<string, string>>;
  /** ExternalName target for a Kubernetes ExternalName service (resolution `ALIAS`). */
  readonly externalName?: string;
  /** RFC 3339 creation time, for Istio's oldest-first precedence. */
  readonly createdAt: string;
}

/** The annotation a Service uses for `exportTo`. */
export const EXPORT_TO_ANNOTATION = "networking.istio.io/exportTo";

function splitList(value: string | undefined): string[] | undefined {
  const items = value
    ?.split(",")
    .map(s => s.trim())
    .filter(Boolean);
  return items && items.length > 0 ? items : undefined;
}

/** The registry service of a Kubernetes Service. */
export function serviceFromKube(svc: KubeService, domainSuffix: string): ServiceInfo {
  const ns = svc.metadata.namespace ?? "default";
  const spec = svc.spec ?? {};
  const headless = spec.clusterIP === "None";
  // An ExternalName Service is a DNS CNAME: Istio (since 1.21, ENABLE_EXTERNAL_NAME_ALIAS) makes
  // it an alias of its target rather than a DNS cluster of its own. One without a name is an
  // ordinary service with no endpoints, as in Istio's ConvertService.
  const external = spec.type === "ExternalName" && !!spec.externalName;
  const addresses = (spec.clusterIPs ?? (spec.clusterIP ? [spec.clusterIP] : [])).filter(
    ip => ip !== "None" && ip !== "",
  );
  return {
    hostname: `${svc.metadata.name}.${ns}.svc.${domainSuffix}`,
    namespace: ns,
    source: `Service/${keyOf({ ...svc.metadata, namespace: ns })}`,
    sourceKind: "Service",
    ports: (spec.ports ?? []).map(p => ({
      name: p.name ?? "",
      port: p.port,
      protocol: kubePortProtocol(p.name, p.protocol, p.appProtocol, p.port),
      targetPort: p.targetPort,
    })),
    addresses,
    resolution: headless ? "NONE" : external ? "ALIAS" : "STATIC",
    meshExternal: external,
    exportTo: splitList(svc.metadata.annotations?.[EXPORT_TO_ANNOTATION]) ?? ["*"],
    selector: spec.selector,
    externalName: external ? spec.externalName : undefined,
    createdAt: svc.metadata.creationTimestamp ?? "",
  };
}

/** The registry services of a ServiceEntry: one per host. */
export function servicesFromEntry(se: ServiceEntry): ServiceInfo[] {
  const ns = se.metadata.namespace ?? "default";
  const spec = se.spec;
  const resolution: Resolution =
    spec.resolution === "DNS" || spec.resolution === "DNS_ROUND_ROBIN"
      ? spec.resolution
      : spec.resolution === "STATIC"
        ? "STATIC"
        : "NONE";
  const ports: ServicePortInfo[] = (spec.ports ?? []).map(p => ({
    name: p.name,
    port: p.number,
    protocol: parseProtocol(p.protocol),
    targetPort: p.targetPort,
  }));
  return (spec.hosts ?? []).map(hostname => ({
    hostname,
    namespace: ns,
    source: `ServiceEntry/${ns}/${se.metadata.name ?? ""}`,
    sourceKind: "ServiceEntry" as const,
    ports,
    addresses: spec.addresses ?? [],
    resolution,
    meshExternal: spec.location !== "MESH_INTERNAL",
    exportTo: spec.exportTo && spec.exportTo.length > 0 ? spec.exportTo : ["*"],
    selector: spec.workloadSelector?.labels,
    createdAt: String((se.metadata as { creationTimestamp?: string }).creationTimestamp ?? ""),
  }));
}

/** A port of `service` by number. */
export function portOf(service: ServiceInfo, port: number): ServicePortInfo | undefined {
  return service.ports.find(p => p.port === port);
}
