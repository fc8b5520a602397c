/**
 * Edges from authorization: an AuthorizationPolicy rule whose `from` names callers by
 * principal (`cluster.local/ns/shop/sa/productpage`) or namespace becomes an edge from each
 * workload those match to each workload the policy selects: `allow` for ALLOW, `deny` for DENY,
 * labelled with the methods or paths the rule's `to` limits it to. Rules without `from` (any
 * caller) and CUSTOM / AUDIT policies draw no edge; policies bound by targetRef attach to
 * gateways, not workloads.
 */
import type { Resource } from "../../../mesh/analysis";
import { istioValueMatches } from "../../../mesh/authz/request-attributes";
import type { GraphEdge } from "./types";
import { isKind } from "./services";
import { selectsWorkload, type WorkloadInfo } from "./workloads";

const record = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map(record) : []);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
const stringMap = (v: unknown): Record<string, string> =>
  Object.fromEntries(
    Object.entries(record(v)).filter((e): e is [string, string] => typeof e[1] === "string"),
  );

/** The SPIFFE principal of a workload, without `spiffe://`, as policies write it. */
export function principalOf(w: WorkloadInfo, trustDomain = "cluster.local"): string {
  return `${trustDomain}/ns/${w.namespace}/sa/${w.serviceAccount ?? "default"}`;
}

/** The workloads a policy applies to: its namespace's (all, for the root namespace) it selects. */
export function policyTargets(
  policy: Resource,
  workloads: readonly WorkloadInfo[],
  rootNamespace: string,
): WorkloadInfo[] {
  const spec = record(policy.object.spec);
  if (spec.targetRef !== undefined || list(spec.targetRefs).length > 0) return [];
  const selector = stringMap(record(spec.selector).matchLabels);
  return workloads.filter(
    w =>
      (policy.namespace === rootNamespace || w.namespace === policy.namespace) &&
      selectsWorkload(selector, w),
  );
}

/** The workloads one `from.source` names (principals and namespaces; either may be absent). */
function callers(source: Record<string, unknown>, workloads: readonly WorkloadInfo[]) {
  const principals = strings(source.principals);
  const namespaces = strings(source.namespaces);
  if (principals.length === 0 && namespaces.length === 0) return [];
  return workloads.filter(
    w =>
      (principals.length === 0 || principals.some(p => istioValueMatches(p, principalOf(w)))) &&
      (namespaces.length === 0 || namespaces.some(n => istioValueMatches(n, w.namespace))),
  );
}

/** `GET /api/*` out of a rule's `to`, or empty when it limits nothing. */
function operationText(rule: Record<string, unknown>): string {
  const parts = list(rule.to).flatMap(to => {
    const op = record(to.operation);
    return [...strings(op.methods), ...strings(op.paths), ...strings(op.ports).map(p => `:${p}`)];
  });
  return parts.join(" ");
}

/** Authorization edges of every workload-bound ALLOW and DENY policy. */
export function authzEdges(
  resources: readonly Resource[],
  workloads: readonly WorkloadInfo[],
  rootNamespace: string,
): GraphEdge[] {
  const edges = new Map<string, GraphEdge>();
  for (const policy of resources) {
    if (!isKind(policy, "AuthorizationPolicy", "security.istio.io")) continue;
    const spec = record(policy.object.spec);
    const action = typeof spec.action === "string" ? spec.action : "ALLOW";
    if (action !== "ALLOW" && action !== "DENY") continue;
    const targets = policyTargets(policy, workloads, rootNamespace);
    const origin = `AuthorizationPolicy ${policy.namespace}/${policy.name}`;
    list(spec.rules).forEach((rule, i) => {
      const ops = operationText(rule);
      const label = ops ? `${action} ${ops}` : action;
      for (const from of list(rule.from)) {
        for (const caller of callers(record(from.source), workloads)) {
          for (const target of targets) {
            const id = `authz:${policy.namespace}/${policy.name}:rules[${i}]:${caller.id}>${target.id}`;
            edges.set(id, {
              id,
              kind: action === "ALLOW" ? "allow" : "deny",
              source: caller.id,
              target: target.id,
              label,
              origin,
            });
          }
        }
      }
    });
  }
  return [...edges.values()];
}
