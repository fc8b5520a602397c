/**
 * The document `rig dashboard` serves at /api/graph and draws: namespaces, services and
 * workloads as nodes, routing and authorization as edges, each workload's mTLS and proxy sync
 * state, and `rig analyze` findings attached to the objects they name. Plain JSON, so the page
 * needs nothing but it.
 */
import type { MtlsMode } from "../../../mesh/authn/peer-authentication";
import type { Level } from "../../../mesh/analysis";

/** What a node stands for. Namespaces are compound nodes holding the others. */
export type NodeKind = "namespace" | "service" | "workload";

/**
 * A workload's proxy state, as `rig proxy-status` would summarize it: NACK when any of its
 * proxies rejected its latest response of any type, else STALE when one is unanswered, else
 * SYNCED; NO PROXY when none of its pods is connected; UNKNOWN when the control plane could not
 * be asked.
 */
export type SyncState = "SYNCED" | "STALE" | "NACK" | "NO PROXY" | "UNKNOWN";

/** One `rig analyze` finding, as attached to a node. */
export interface GraphWarning {
  readonly level: Level;
  readonly code: string;
  /** `Kind namespace/name` of the object the finding is about. */
  readonly origin: string;
  readonly message: string;
}

/** One proxy of a workload. */
export interface ProxySync {
  /** `pod.namespace`, as `rig proxy-status` names it. */
  readonly name: string;
  readonly state: Exclude<SyncState, "NO PROXY" | "UNKNOWN">;
  /** State per xDS type (CDS, LDS, EDS, RDS, SDS), as `rig proxy-status` columns show it. */
  readonly types: Readonly<Record<string, string>>;
  /** The proxy's reason for its latest NACK, when it has one. */
  readonly nack?: string;
}

/** The mTLS a workload accepts (PeerAuthentication, resolved as Istio does). */
export interface WorkloadMtls {
  readonly mode: MtlsMode;
  /** Mode per port, for every port a Service sends it plus ports that have their own mode. */
  readonly ports: Readonly<Record<string, MtlsMode>>;
  /** `mesh`, `namespace`, `workload` or `default`, and the deciding policy. */
  readonly source: string;
  /** True when every port is STRICT: the page draws a lock. */
  readonly locked: boolean;
}

/** A node of the graph. */
export interface GraphNode {
  /** `ns:<namespace>`, `svc:<namespace>/<name>` or `wl:<namespace>/<workload>`. */
  readonly id: string;
  readonly kind: NodeKind;
  readonly label: string;
  readonly namespace: string;
  /** The namespace node holding this one (absent for namespaces). */
  readonly parent?: string;
  /** Services: the host names clients use. */
  readonly hosts?: readonly string[];
  /** Services: `9080/http`. */
  readonly ports?: readonly string[];
  /** Workloads: the `app` and `version` labels (version is what route subsets pick). */
  readonly app?: string;
  readonly version?: string;
  /** Workloads: their pods' names. */
  readonly pods?: readonly string[];
  readonly serviceAccount?: string;
  readonly mtls?: WorkloadMtls;
  readonly sync?: SyncState;
  readonly proxies?: readonly ProxySync[];
  readonly warnings: readonly GraphWarning[];
}

/**
 * What an edge says: `route` a VirtualService destination (with its weight), `selects` a
 * Service's selector reaching a workload that no route names, `allow` / `deny` an
 * AuthorizationPolicy rule letting (or forbidding) a caller reach a workload.
 */
export type EdgeKind = "route" | "selects" | "allow" | "deny";

/** An edge of the graph. */
export interface GraphEdge {
  readonly id: string;
  readonly kind: EdgeKind;
  readonly source: string;
  readonly target: string;
  /** What the page writes on the edge: `80%`, `ALLOW GET`, … */
  readonly label: string;
  /** Route weight in percent. */
  readonly weight?: number;
  /** `Kind namespace/name` of the config the edge comes from. */
  readonly origin?: string;
}

/** Whether a source could be read, and what went wrong when not. */
export interface SourceStatus {
  readonly ok: boolean;
  /** Where it was read: the API server URL or the control plane's address. */
  readonly address: string;
  readonly error?: string;
}

/** The whole document. */
export interface DashboardGraph {
  readonly generatedAt: string;
  readonly sources: { readonly cluster: SourceStatus; readonly controlPlane: SourceStatus };
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
  /** Every finding, including those attached to no node. */
  readonly warnings: readonly GraphWarning[];
}
