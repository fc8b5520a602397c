/**
 * What Istio's pilot-agent sends a control plane beyond the five xDS types Rigging serves, and
 * what Rigging does with it: the checked-in answer to "every type URL and metadata field the
 * agent sends". test/integration/pilot-agent.test.ts captures what the pinned agent really sends
 * (its xdsproxy debug log and the node in its gRPC bootstrap) and fails on anything not listed.
 */

/** A request type the agent sends that is not one of Rigging's five xDS types. */
export interface UnservedTypeUrl {
  /** What istiod sends back; "nothing" means no response at all on the stream. */
  readonly istiodAnswers: "nothing";
  /** Why that is the right answer for Rigging too. */
  readonly why: string;
}

/** Type URLs the agent sends on its own, keyed by type URL. */
export const AGENT_TYPE_URLS: Readonly<Record<string, UnservedTypeUrl>> = {
  "type.googleapis.com/istio.v1.HealthInformation": {
    istiodAnswers: "nothing",
    why:
      "the agent reports the workload's readiness; istiod only records it for auto-registered " +
      "WorkloadEntries (PILOT_ENABLE_WORKLOAD_ENTRY_HEALTHCHECKS) and never responds. Rigging " +
      "does not auto-register VMs, so it ignores the request (logged at debug) and the stream stays up.",
  },
};

/** How Rigging treats one node metadata field the agent writes. */
export interface MetadataUse {
  /** "reads" when Rigging's compiler or server uses it, else "ignored". */
  readonly rigging: "reads" | "ignored";
  /** What it carries, and for ignored ones why ignoring it changes nothing Rigging serves. */
  readonly why: string;
}

/** Node metadata fields in the agent's gRPC bootstrap (and Envoy bootstrap), keyed by name. */
export const AGENT_METADATA: Readonly<Record<string, MetadataUse>> = {
  NAMESPACE: {
    rigging: "reads",
    why: "the proxy's namespace: scoping, and checked against the token",
  },
  LABELS: { rigging: "reads", why: "workload selectors, subsets, locality labels" },
  SERVICE_ACCOUNT: { rigging: "reads", why: "the proxy's identity for authorization scoping" },
  GENERATOR: { rigging: "reads", why: "`grpc` selects proxyless resources (grpcgen)" },
  INSTANCE_IPS: { rigging: "reads", why: "every IP of the workload, for inbound listeners" },
  ISTIO_VERSION: { rigging: "reads", why: "shown by `rig proxy-status`" },
  CLUSTER_ID: {
    rigging: "ignored",
    why: "multicluster: istiod picks the proxy's cluster registry and network by it; Rigging serves one cluster",
  },
  MESH_ID: { rigging: "ignored", why: "multi-mesh telemetry labels; Rigging serves one mesh" },
  NAME: {
    rigging: "ignored",
    why: "the pod name, already in the node id; istiod uses it for telemetry",
  },
  WORKLOAD_NAME: { rigging: "ignored", why: "telemetry labels (istio_requests_total's workload)" },
  OWNER: { rigging: "ignored", why: "telemetry labels (the owning Deployment)" },
  NODE_NAME: {
    rigging: "ignored",
    why: "the Kubernetes node; istiod uses it for ambient and telemetry",
  },
  APP_CONTAINERS: {
    rigging: "ignored",
    why: "used by the agent for probe rewriting, not by istiod's xDS",
  },
  PILOT_SAN: {
    rigging: "ignored",
    why: "the control plane's SAN for the Envoy bootstrap's xDS TLS; agent-local",
  },
  PROXY_CONFIG: {
    rigging: "ignored",
    why:
      "the proxy's effective ProxyConfig; istiod reads tracing, stats matchers, proxyHeaders and " +
      "gatewayTopology from it for Envoy listeners. Rigging applies none of these per proxy " +
      "(meshConfig.defaultConfig only) and proxyless gRPC has no such filters",
  },
  ENVOY_PROMETHEUS_PORT: {
    rigging: "ignored",
    why: "Envoy's stats port, set in the Envoy bootstrap by the agent",
  },
  ENVOY_STATUS_PORT: {
    rigging: "ignored",
    why: "Envoy's readiness port, set in the Envoy bootstrap by the agent",
  },
  ENVOY_SKIP_DEPRECATED_LOGS: { rigging: "ignored", why: "an Envoy bootstrap flag; agent-local" },
  METADATA_DISCOVERY: {
    rigging: "ignored",
    why: "peer metadata discovery for telemetry (metadata exchange); Rigging has no telemetry filters yet",
  },
  WORKLOAD_IDENTITY_SOCKET_FILE: {
    rigging: "ignored",
    why: "the agent's own SDS socket name; agent-local",
  },
};
