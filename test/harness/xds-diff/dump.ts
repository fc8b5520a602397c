/**
 * Connects to an ADS server on loopback as one proxy of the cluster, with Istio's node id and the
 * node metadata Istio's agent sends for that pod, and collects what it is given: CDS and LDS
 * (wildcard), then EDS for every EDS cluster and RDS for every route config the listeners name,
 * each response ACKed. The server's answers are decoded against Envoy's protos into JSON
 * (`@type` on every Any; Istio's own extension protos that Rigging's descriptor set lacks stay
 * as `type_url` + base64 `value`).
 */
import { TypeUrl } from "../../../xds/encode/type-urls";
import { SotwTestClient } from "../xds-sotw-client";

/** The four types the diff compares, by short name. */
export const DIFF_TYPES = {
  CDS: TypeUrl.cluster,
  EDS: TypeUrl.endpoint,
  LDS: TypeUrl.listener,
  RDS: TypeUrl.route,
} as const;

/** One of CDS, EDS, LDS, RDS. */
export type DiffType = keyof typeof DIFF_TYPES;

/** A pod the proxy stands for, as Istio's agent describes it. */
export interface ProxyIdentity {
  /** `sidecar` or `router` (a gateway). */
  readonly kind: "sidecar" | "router";
  /** The pod's IP (kwok assigns one; it is only claimed, never dialled). */
  readonly ip: string;
  readonly podName: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  /**
   * The pod's container ports, as the injected pilot-agent reports them (`ISTIO_META_POD_PORTS`,
   * a JSON list); absent for a proxy that is not a pod (Istio's benchmark proxy).
   */
  readonly podPorts?: readonly Readonly<Record<string, unknown>>[];
}

/**
 * Every resource received, by type then name; `SDS` holds the secrets the listeners and clusters
 * load over ADS (`credentialName`), when asked for (they are not compared: istiod serves them
 * only to an authenticated proxy).
 */
export type XdsDump = Record<DiffType, Map<string, Record<string, unknown>>> & {
  SDS?: Map<string, Record<string, unknown>>;
};

/** Istio's node id: `sidecar~10.1.2.3~pod.ns~ns.svc.cluster.local`. */
export function istioNodeId(p: ProxyIdentity): string {
  return `${p.kind}~${p.ip}~${p.podName}.${p.namespace}~${p.namespace}.svc.cluster.local`;
}

/**
 * The node metadata pilot-agent sends for a pod (pkg/model/proxy metadata, the `ISTIO_META_*`
 * environment of Istio's injection template): the ones istiod reads to pick config and
 * features.
 */
export function istioNodeMetadata(p: ProxyIdentity): Record<string, unknown> {
  return {
    NAMESPACE: p.namespace,
    NAME: p.podName,
    LABELS: p.labels,
    SERVICE_ACCOUNT: p.serviceAccount,
    ISTIO_VERSION: "1.31.0",
    CLUSTER_ID: "Kubernetes",
    MESH_ID: "cluster.local",
    INSTANCE_IPS: p.ip,
    INTERCEPTION_MODE: "REDIRECT",
    WORKLOAD_NAME: p.labels.app ?? p.podName,
    OWNER: `kubernetes://apis/v1/namespaces/${p.namespace}/pods/${p.podName}`,
    NODE_NAME: "kwok-node-0",
    ISTIO_PROXY_SHA: "rigging-diff",
    ...(p.podPorts ? { POD_PORTS: JSON.stringify(p.podPorts) } : {}),
  };
}

/** Every `route_config_name` an RDS-based listener names (HCM anywhere in the listener). */
export function routeNamesOf(listeners: Iterable<Record<string, unknown>>): string[] {
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      const rds = o.rds as { route_config_name?: string } | undefined;
      if (rds?.route_config_name) names.add(rds.route_config_name);
      Object.values(o).forEach(walk);
    }
  };
  for (const l of listeners) walk(l);
  return [...names].sort();
}

/** The EDS names of a cluster set: `eds_cluster_config.service_name`, else the cluster name. */
export function edsNamesOf(clusters: Iterable<Record<string, unknown>>): string[] {
  const names = new Set<string>();
  for (const c of clusters) {
    if (c.type !== "EDS") continue;
    const eds = c.eds_cluster_config as { service_name?: string } | undefined;
    names.add(eds?.service_name || String(c.name));
  }
  return [...names].sort();
}

/** The secrets a resource loads over ADS: every `SdsSecretConfig` whose `sds_config` is `ads`. */
export function adsSecretNamesOf(resources: Iterable<Record<string, unknown>>): string[] {
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") {
      const o = v as Record<string, unknown>;
      const source = o.sds_config as { ads?: unknown } | undefined;
      if (typeof o.name === "string" && source?.ads) names.add(o.name);
      Object.values(o).forEach(walk);
    }
  };
  for (const r of resources) walk(r);
  return [...names].sort();
}

/** Options of {@link dumpXds}. */
export interface DumpOptions {
  /** Also ask for the secrets the listeners and clusters load over ADS. @default false */
  readonly secrets?: boolean;
  /** No response for this long means the server has said everything. @default 1500 */
  readonly settleMs?: number;
  /** Give up after this long. @default 30000 */
  readonly timeoutMs?: number;
}

/** Collects CDS, EDS, LDS and RDS for `proxy` from the ADS server on 127.0.0.1:`port`. */
export async function dumpXds(
  port: number,
  proxy: ProxyIdentity,
  options: DumpOptions = {},
): Promise<XdsDump> {
  const settleMs = options.settleMs ?? 1500;
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const client = new SotwTestClient(port, {
    nodeId: istioNodeId(proxy),
    metadata: istioNodeMetadata(proxy),
  });
  const held = (type: DiffType) => client.objects.get(DIFF_TYPES[type]) ?? new Map();
  try {
    client.subscribe(DIFF_TYPES.CDS, []);
    client.subscribe(DIFF_TYPES.LDS, []);
    let eds = "";
    let rds = "";
    let sds = "";
    let seen = 0;
    let quietSince = Date.now();
    for (;;) {
      if (client.ended !== undefined) throw new Error(`ADS stream ended (code ${client.ended})`);
      const edsNames = edsNamesOf(held("CDS").values());
      const rdsNames = routeNamesOf(held("LDS").values());
      if (edsNames.join() !== eds) {
        eds = edsNames.join();
        client.subscribe(DIFF_TYPES.EDS, edsNames);
      }
      if (rdsNames.join() !== rds) {
        rds = rdsNames.join();
        client.subscribe(DIFF_TYPES.RDS, rdsNames);
      }
      const sdsNames = options.secrets
        ? adsSecretNamesOf([...held("LDS").values(), ...held("CDS").values()])
        : [];
      if (sdsNames.join() !== sds) {
        sds = sdsNames.join();
        client.subscribe(TypeUrl.secret, sdsNames);
      }
      if (client.responses.length !== seen) {
        seen = client.responses.length;
        quietSince = Date.now();
      }
      const answered = (type: DiffType) =>
        client.responses.some(r => r.typeUrl === DIFF_TYPES[type]);
      const complete =
        answered("CDS") &&
        answered("LDS") &&
        (edsNames.length === 0 || answered("EDS")) &&
        (rdsNames.length === 0 || answered("RDS")) &&
        (sdsNames.length === 0 || client.responses.some(r => r.typeUrl === TypeUrl.secret));
      if (complete && Date.now() - quietSince >= settleMs) break;
      if (Date.now() > deadline) {
        throw new Error(
          `no complete xDS answer for ${istioNodeId(proxy)} on port ${port}: ` +
            `${client.responses.length} responses (${[...new Set(client.responses.map(r => r.typeUrl.split(".").pop()))].join(", ")})`,
        );
      }
      await new Promise(r => setTimeout(r, 50));
    }
    return {
      CDS: new Map(held("CDS")),
      EDS: new Map(held("EDS")),
      LDS: new Map(held("LDS")),
      RDS: new Map(held("RDS")),
      ...(options.secrets ? { SDS: new Map(client.objects.get(TypeUrl.secret) ?? new Map()) } : {}),
    };
  } finally {
    client.close();
  }
}
