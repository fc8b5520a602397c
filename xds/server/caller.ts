/**
 * Who is on the other end of a stream, when the port authenticated the caller. The TLS port's
 * token check (control-plane/ads-auth.ts) puts the ServiceAccount's namespace in this call
 * metadata key, after removing any value the client sent itself; the session then refuses a node
 * that claims another namespace — otherwise any authenticated workload could ask for a gateway's
 * configuration and certificates (istiod's check: pilot/pkg/xds/authentication.go).
 */
export const AUTHENTICATED_NAMESPACE_KEY = "x-rigging-authenticated-namespace";

/** The namespace a node claims: node metadata NAMESPACE, else the `pod.namespace` of its id. */
export function claimedNamespace(node: {
  readonly id: string;
  readonly metadata: Readonly<Record<string, unknown>>;
}): string | undefined {
  const fromMetadata = node.metadata.NAMESPACE;
  if (typeof fromMetadata === "string" && fromMetadata !== "") return fromMetadata;
  // Istio's node id: type~ip~pod.namespace~namespace.svc.cluster.local
  const workload = node.id.split("~")[2];
  const dot = workload?.lastIndexOf(".") ?? -1;
  return workload && dot > 0 ? workload.slice(dot + 1) : undefined;
}
