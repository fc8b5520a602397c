/**
 * What the mesh's security config says about one workload: the AuthorizationPolicies that
 * select it, the mTLS mode it accepts on a port, and whether a proxyless gRPC server on it
 * listens with mTLS. Shared by the server listeners and by clients deciding to speak mTLS to it,
 * so both sides of a connection are compiled from the same answer.
 *
 * @see istio/istio pilot/pkg/model/authorization.go (ListAuthorizationPolicies)
 * @see istio/istio pilot/pkg/networking/grpcgen/lds.go (buildInboundFilterChains)
 */
import {
  effectiveMtls,
  mtlsModeForPort,
  type MtlsMode,
  type PeerAuthenticationInput,
} from "../../mesh/authn";
import type { AuthzPolicyInput } from "../../mesh/authz";
import { selectorMatches, sortedValues, type MeshStore } from "../../mesh/store";

/** The label injection puts on workloads that hold mesh certificates (Istio's auto-mTLS key). */
export const TLS_MODE_LABEL = "security.istio.io/tlsMode";

/** The injection template annotation; `grpc-agent` marks a proxyless gRPC workload. */
export const INJECT_TEMPLATES_ANNOTATION = "inject.istio.io/templates";

/** A workload as policies select it. */
export interface WorkloadSelectorRef {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * The AuthorizationPolicies applying to `workload`: those in its namespace or the root
 * namespace whose selector (if any) matches its labels, by namespace/name. Policies bound by
 * `targetRef(s)` attach to gateways and waypoints, not to workloads, so they are left out.
 */
export function authorizationPoliciesFor(
  store: MeshStore,
  workload: WorkloadSelectorRef,
  rootNamespace: string,
): AuthzPolicyInput[] {
  const out: AuthzPolicyInput[] = [];
  for (const p of sortedValues(store.config.AuthorizationPolicy)) {
    const ns = p.metadata.namespace ?? "default";
    if (ns !== workload.namespace && ns !== rootNamespace) continue;
    if (p.spec.targetRef || (p.spec.targetRefs?.length ?? 0) > 0) continue;
    if (!selectorMatches(p.spec.selector?.matchLabels, workload.labels)) continue;
    out.push({
      namespace: ns,
      name: p.metadata.name ?? "",
      annotations: p.metadata.annotations,
      spec: p.spec,
    });
  }
  return out;
}

function peerAuthentications(store: MeshStore): PeerAuthenticationInput[] {
  return sortedValues(store.config.PeerAuthentication).map(p => ({
    namespace: p.metadata.namespace ?? "default",
    name: p.metadata.name ?? "",
    creationTimestamp:
      typeof p.metadata.creationTimestamp === "string" ? p.metadata.creationTimestamp : undefined,
    spec: p.spec,
  }));
}

/** The PeerAuthentication mode `workload` accepts on its (target) `port`. */
export function workloadMtlsMode(
  store: MeshStore,
  workload: WorkloadSelectorRef,
  port: number,
  rootNamespace: string,
): MtlsMode {
  return mtlsModeForPort(effectiveMtls(peerAuthentications(store), workload, rootNamespace), port);
}

/**
 * Whether a proxyless gRPC server listens with mTLS: STRICT does; DISABLE does not; PERMISSIVE
 * cannot be honoured, because grpc-js-xds (gRFC A36) only matches filter chains on
 * `transport_protocol: raw_buffer` and so cannot tell TLS from plaintext on one port. As Istio
 * does, PERMISSIVE is served plaintext, unless the workload carries certificates
 * (`security.istio.io/tlsMode: istio`), whose auto-mTLS clients will dial mTLS: then STRICT.
 */
export function grpcServerUsesMtls(mode: MtlsMode, labels: Readonly<Record<string, string>>) {
  if (mode === "PERMISSIVE") return labels[TLS_MODE_LABEL] === "istio";
  return mode === "STRICT";
}
