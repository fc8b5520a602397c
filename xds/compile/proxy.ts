/**
 * The proxy a configuration is compiled for, from its xDS node: Istio's node id
 * `type~ip~pod.namespace~namespace.svc.cluster.local` and node metadata (`NAMESPACE`,
 * `SERVICE_ACCOUNT`, `LABELS`, `GENERATOR`, `POD_PORTS`).
 *
 * @see istio/istio pilot/pkg/model/context.go (ParseServiceNodeWithMetadata)
 */
import { proxyLocality, type NodeLocality } from "./shared/locality";

/** What kind of proxy: an Envoy sidecar, a gateway (router), or a proxyless gRPC workload. */
export type ProxyKind = "sidecar" | "router" | "grpc";

/** A proxy as the compiler sees it. */
export interface Proxy {
  /** The node id, verbatim. */
  readonly id: string;
  readonly kind: ProxyKind;
  /** Its workload IPs (the second node id field; metadata INSTANCE_IPS adds more). */
  readonly ips: readonly string[];
  /** `pod.namespace` part of the id. */
  readonly workloadName: string;
  readonly namespace: string;
  /** DNS domain (`ns.svc.cluster.local`), used for short host names. */
  readonly dnsDomain: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount?: string;
  /** `region/zone/subzone` the proxy runs in, if known (locality load balancing). */
  readonly locality?: string;
  /**
   * Its pod's container ports (`POD_PORTS` metadata, which the injector writes from the pod
   * spec), in container order: what a Service's named `targetPort` resolves against. Unset
   * when the metadata lists none.
   */
  readonly podPorts?: readonly PodPort[];
}

/** One container port of the proxy's pod: Istio's `model.PodPort`. */
export interface PodPort {
  readonly name: string;
  readonly containerPort: number;
  /** `TCP`, `UDP` or `SCTP`; `TCP` when the metadata omits it, as the API server defaults it. */
  readonly protocol: string;
}

/** The xDS node as received: id and (JSON) metadata. */
export interface NodeDescription {
  readonly id: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** `node.locality`, used when the proxy's labels do not say where it runs. */
  readonly locality?: NodeLocality;
}

/** The node could not be understood. */
export type ProxyResult =
  | { readonly ok: true; readonly value: Proxy }
  | { readonly ok: false; readonly errors: readonly string[] };

function stringMap(value: unknown): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  return out;
}

/**
 * `POD_PORTS`: a JSON list (as a string, the way pilot-agent forwards `ISTIO_META_POD_PORTS`)
 * of container ports. Unreadable metadata lists none.
 *
 * @see istio/istio pkg/model/proxy.go (PodPortList)
 */
function podPortsOf(value: unknown): PodPort[] {
  let list = value;
  if (typeof value === "string") {
    try {
      list = JSON.parse(value);
    } catch {
      return [];
    }
  }
  if (!Array.isArray(list)) return [];
  const out: PodPort[] = [];
  for (const p of list as unknown[]) {
    if (typeof p !== "object" || p === null) continue;
    const { name, containerPort, protocol } = p as Record<string, unknown>;
    if (typeof containerPort !== "number") continue;
    out.push({
      name: typeof name === "string" ? name : "",
      containerPort,
      protocol: typeof protocol === "string" && protocol ? protocol : "TCP",
    });
  }
  return out;
}

/**
 * Parses a node. `GENERATOR=grpc` marks a proxyless gRPC client whatever its id type; the
 * namespace comes from `NAMESPACE`, else from `pod.namespace`, else from the DNS domain.
 */
export function parseProxy(node: NodeDescription): ProxyResult {
  const parts = node.id.split("~");
  if (parts.length !== 4) {
    return {
      ok: false,
      errors: [`node id ${JSON.stringify(node.id)}: want type~ip~pod.ns~domain`],
    };
  }
  const [type = "", ip = "", workloadName = "", dnsDomain = ""] = parts;
  if (type !== "sidecar" && type !== "router") {
    return {
      ok: false,
      errors: [`node id ${JSON.stringify(node.id)}: unknown type ${JSON.stringify(type)}`],
    };
  }
  const md = node.metadata ?? {};
  const nsFromId = workloadName.includes(".")
    ? workloadName.slice(workloadName.indexOf(".") + 1)
    : "";
  const namespace =
    (typeof md.NAMESPACE === "string" && md.NAMESPACE) ||
    nsFromId ||
    dnsDomain.split(".")[0] ||
    "default";
  const extraIps =
    typeof md.INSTANCE_IPS === "string" ? md.INSTANCE_IPS.split(",").filter(Boolean) : [];
  const ips = [ip, ...extraIps.filter(x => x !== ip)].filter(Boolean);
  const podPorts = podPortsOf(md.POD_PORTS);
  return {
    ok: true,
    value: {
      id: node.id,
      kind: md.GENERATOR === "grpc" ? "grpc" : (type as ProxyKind),
      ips,
      workloadName,
      namespace,
      dnsDomain: dnsDomain || `${namespace}.svc.cluster.local`,
      labels: stringMap(md.LABELS),
      serviceAccount: typeof md.SERVICE_ACCOUNT === "string" ? md.SERVICE_ACCOUNT : undefined,
      locality: proxyLocality(stringMap(md.LABELS), node.locality),
      ...(podPorts.length > 0 ? { podPorts } : {}),
    },
  };
}
