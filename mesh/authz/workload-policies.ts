/**
 * Which AuthorizationPolicies apply to a workload. Shared by the listener compiler (what the
 * proxy enforces) and by `rig authz check` / `rig x explain` (what a user is told is enforced),
 * so the two read the same answer.
 *
 * @see istio/istio pilot/pkg/model/authorization.go (ListAuthorizationPolicies)
 */
import { selectorMatches, sortedValues, type MeshStore } from "../store";
import type { AuthzPolicyInput } from "./policy-input";

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
