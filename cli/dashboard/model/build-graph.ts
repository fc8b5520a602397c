/**
 * The dashboard's model: cluster objects, proxy reports and analysis findings in, the graph
 * document out. Pure (no I/O, no clock: the time is handed in), so every rule of what the page
 * shows is table-tested without a cluster. Either source may be missing (the API server or the
 * control plane unreachable): the graph then holds what the other one says, and `sources`
 * says what is missing and why.
 */
import type { AnalysisMessage, Resource } from "../../../mesh/analysis";
import { DEFAULT_ROOT_NAMESPACE } from "../../../mesh/authn/peer-authentication";
import type { ProxyReport } from "../../../xds/status/client-status";
import { authzEdges } from "./authz-edges";
import { routeEdges, selectEdges } from "./route-edges";
import { servicesOf } from "./services";
import type { DashboardGraph, GraphNode, GraphWarning, SourceStatus } from "./types";
import { attachTo, graphWarning, namespaceId } from "./warnings";
import { peerAuthentications, workloadMtls, workloadSync } from "./workload-state";
import { workloadsFromPods, workloadsFromProxies } from "./workloads";

/** Everything the graph is built from. */
export interface GraphInput {
  /** When the inputs were read (ISO 8601). */
  readonly generatedAt: string;
  /** The cluster's objects; undefined when the API server could not be read. */
  readonly resources?: readonly Resource[];
  readonly cluster: SourceStatus;
  /** The control plane's CSDS reports; undefined when it could not be reached. */
  readonly reports?: readonly ProxyReport[];
  readonly controlPlane: SourceStatus;
  /** `rig analyze` findings over `resources`. */
  readonly messages: readonly AnalysisMessage[];
  /** The mesh root namespace. @default "istio-system" */
  readonly rootNamespace?: string;
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/** Builds the graph document. */
export function buildGraph(input: GraphInput): DashboardGraph {
  const resources = input.resources ?? [];
  const root = input.rootNamespace ?? DEFAULT_ROOT_NAMESPACE;
  const services = servicesOf(resources);
  const fromPods = workloadsFromPods(resources);
  const workloads = [...fromPods, ...workloadsFromProxies(input.reports ?? [], fromPods)].sort(
    byId,
  );
  const routes = routeEdges(resources, services, workloads);
  const edges = [
    ...routes,
    ...selectEdges(services, workloads, routes),
    ...authzEdges(resources, workloads, root),
  ];

  const warningsOf = new Map<string, GraphWarning[]>();
  const ctx = { resources, services, workloads };
  for (const m of input.messages)
    for (const id of attachTo(m, ctx))
      warningsOf.set(id, [...(warningsOf.get(id) ?? []), graphWarning(m)]);

  const policies = peerAuthentications(resources);
  const nodes: GraphNode[] = [
    ...services.map(
      (s): GraphNode => ({
        id: s.id,
        kind: "service",
        label: s.name,
        namespace: s.namespace,
        parent: namespaceId(s.namespace),
        hosts: s.hosts,
        ports: s.ports,
        warnings: warningsOf.get(s.id) ?? [],
      }),
    ),
    ...workloads.map((w): GraphNode => {
      const { sync, proxies } = workloadSync(w, input.reports);
      return {
        id: w.id,
        kind: "workload",
        label: w.name,
        namespace: w.namespace,
        parent: namespaceId(w.namespace),
        ...(w.app ? { app: w.app } : {}),
        ...(w.version ? { version: w.version } : {}),
        pods: w.pods,
        ...(w.serviceAccount ? { serviceAccount: w.serviceAccount } : {}),
        // Without the cluster's policies the mode is not known; draw no lock rather than a guess.
        ...(input.resources ? { mtls: workloadMtls(w, policies, services, root) } : {}),
        sync,
        proxies,
        warnings: warningsOf.get(w.id) ?? [],
      };
    }),
  ];
  const namespaces = new Set(nodes.map(n => n.namespace));
  for (const id of warningsOf.keys()) if (id.startsWith("ns:")) namespaces.add(id.slice(3));
  const namespaceNodes = [...namespaces].map(
    (ns): GraphNode => ({
      id: namespaceId(ns),
      kind: "namespace",
      label: ns,
      namespace: ns,
      warnings: warningsOf.get(namespaceId(ns)) ?? [],
    }),
  );
  return {
    generatedAt: input.generatedAt,
    sources: { cluster: input.cluster, controlPlane: input.controlPlane },
    nodes: [...namespaceNodes, ...nodes].sort(byId),
    edges: edges.sort(byId),
    warnings: input.messages.map(graphWarning),
  };
}
