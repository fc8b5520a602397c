/**
 * Services (Kubernetes Services with a selector, and ServiceEntries) and the host names that
 * reach them, so that routing and warnings can be attached by host.
 */
import type { Resource } from "../../../mesh/analysis";
import { fqdn } from "../../../mesh/analysis/host-names";

/** A service as the graph builder needs it. */
export interface ServiceInfo {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  /** Fully qualified host names (a ServiceEntry's as written). */
  readonly hosts: readonly string[];
  /** Pod selector (Service) or workload selector (ServiceEntry); absent selects nothing. */
  readonly selector?: Readonly<Record<string, string>>;
  /** `9080/http` for the page. */
  readonly ports: readonly string[];
  /** The workload ports traffic arrives on (numeric target ports), for per-port mTLS. */
  readonly targetPorts: readonly number[];
}

const record = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

const stringMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(record(v)).filter((e): e is [string, string] => typeof e[1] === "string"),
  );

const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map(record) : []);

/** The service id of `name` in `namespace`. */
export const serviceId = (namespace: string, name: string) => `svc:${namespace}/${name}`;

/** Whether `r` is `kind` of the Istio API group `group`. */
export const isKind = (r: Resource, kind: string, group: string) =>
  r.kind === kind && r.apiVersion.startsWith(`${group}/`);

function fromService(r: Resource): ServiceInfo | undefined {
  const spec = record(r.object.spec);
  const selector = stringMap(spec.selector);
  // A Service without a selector (the API server's own `kubernetes`) fronts no mesh workload.
  if (Object.keys(selector).length === 0) return undefined;
  const ports = list(spec.ports);
  return {
    id: serviceId(r.namespace, r.name),
    namespace: r.namespace,
    name: r.name,
    hosts: [fqdn(r.name, r.namespace)],
    selector,
    ports: ports.map(p => `${String(p.port)}${typeof p.name === "string" ? `/${p.name}` : ""}`),
    targetPorts: ports.map(p =>
      typeof p.targetPort === "number" ? p.targetPort : typeof p.port === "number" ? p.port : 0,
    ),
  };
}

function fromServiceEntry(r: Resource): ServiceInfo {
  const spec = record(r.object.spec);
  const selector = stringMap(record(spec.workloadSelector).labels);
  const ports = list(spec.ports);
  return {
    id: serviceId(r.namespace, r.name),
    namespace: r.namespace,
    name: r.name,
    hosts: (Array.isArray(spec.hosts) ? spec.hosts : [])
      .filter((h): h is string => typeof h === "string")
      .map(h => fqdn(h, r.namespace)),
    ...(Object.keys(selector).length > 0 ? { selector } : {}),
    ports: ports.map(p => `${String(p.number)}${typeof p.name === "string" ? `/${p.name}` : ""}`),
    targetPorts: ports.map(p =>
      typeof p.targetPort === "number" ? p.targetPort : typeof p.number === "number" ? p.number : 0,
    ),
  };
}

/** Every Service with a selector and every ServiceEntry, by id. */
export function servicesOf(resources: readonly Resource[]): ServiceInfo[] {
  const out: ServiceInfo[] = [];
  for (const r of resources) {
    if (r.kind === "Service" && r.apiVersion === "v1") {
      const s = fromService(r);
      if (s) out.push(s);
    } else if (isKind(r, "ServiceEntry", "networking.istio.io")) {
      out.push(fromServiceEntry(r));
    }
  }
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The services `host` (written in `namespace`) names. */
export function servicesForHost(
  services: readonly ServiceInfo[],
  host: string,
  namespace: string,
): ServiceInfo[] {
  const full = fqdn(host, namespace);
  return services.filter(s => s.hosts.includes(full));
}
