/**
 * A DestinationRule that sends plaintext (`tls.mode: DISABLE`) to workloads whose effective
 * PeerAuthentication is STRICT: the servers refuse the connections. Istio: MTLSPolicyConflict
 * (IST0113).
 */
import { NETWORKING_GROUP, SECURITY_GROUP } from "../api/kinds";
import { hostsMatch } from "../validation/hosts";
import { fqdn, knownHosts, serviceNamespace } from "./host-names";
import { makeMessage, quote, type AnalysisMessage } from "./message";
import { ofKind, originOf, specOf, type Inventory, type Resource } from "./resources";
import { selects } from "./workload-selectors";

const record = (v: unknown): Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const list = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v.map(record) : []);

/** Field paths in a DestinationRule that set `tls.mode: DISABLE`. */
function disabledAt(dr: Resource): string[] {
  const paths: string[] = [];
  const policy = (p: Record<string, unknown>, at: string) => {
    if (record(p.tls).mode === "DISABLE") paths.push(`${at}.tls.mode`);
    list(p.portLevelSettings).forEach((s, i) => {
      if (record(s.tls).mode === "DISABLE") paths.push(`${at}.portLevelSettings[${i}].tls.mode`);
    });
  };
  const spec = specOf(dr);
  policy(record(spec.trafficPolicy), "spec.trafficPolicy");
  list(spec.subsets).forEach((s, i) =>
    policy(record(s.trafficPolicy), `spec.subsets[${i}].trafficPolicy`),
  );
  return paths;
}

/** The workloads a DestinationRule sends to: their namespace and, when known, pod selector. */
interface Target {
  readonly host: string;
  readonly namespace: string;
  readonly selector?: Readonly<Record<string, string>>;
}

function targetsOf(inv: Inventory, host: string): Target[] {
  const services = knownHosts(inv).filter(
    k => k.source.kind === "Service" && hostsMatch(host, k.host),
  );
  if (services.length > 0) return services;
  const ns = serviceNamespace(host);
  return ns ? [{ host, namespace: ns }] : [];
}

/** The PeerAuthentication that decides the mode for a target, and that mode. */
function effectiveMode(
  inv: Inventory,
  target: Target,
): { policy: Resource; mode: string } | undefined {
  const policies = ofKind(inv, "PeerAuthentication", SECURITY_GROUP);
  const selectorOf = (p: Resource) =>
    record(record(specOf(p).selector).matchLabels) as Record<string, string>;
  const hasSelector = (p: Resource) => Object.keys(selectorOf(p)).length > 0;
  const chain = [
    // Workload policies apply when their labels are among the service's pod labels.
    ...policies.filter(
      p =>
        p.namespace === target.namespace &&
        hasSelector(p) &&
        target.selector !== undefined &&
        selects(selectorOf(p), target.selector),
    ),
    ...policies.filter(p => p.namespace === target.namespace && !hasSelector(p)),
    ...policies.filter(p => p.namespace === inv.rootNamespace && !hasSelector(p)),
  ];
  for (const policy of chain) {
    const mode = record(specOf(policy).mtls).mode;
    // UNSET (or no mtls) inherits from the next level up.
    if (typeof mode === "string" && mode !== "UNSET") return { policy, mode };
  }
  return undefined;
}

/** Reports DestinationRules that disable TLS towards workloads that require mTLS. */
export function checkMtlsConflicts(inv: Inventory): AnalysisMessage[] {
  const out: AnalysisMessage[] = [];
  for (const dr of ofKind(inv, "DestinationRule", NETWORKING_GROUP)) {
    const paths = disabledAt(dr);
    const rawHost = specOf(dr).host;
    if (paths.length === 0 || typeof rawHost !== "string") continue;
    for (const target of targetsOf(inv, fqdn(rawHost, dr.namespace))) {
      const effective = effectiveMode(inv, target);
      if (effective?.mode !== "STRICT") continue;
      const policy = `${effective.policy.namespace}/${effective.policy.name}`;
      out.push(
        makeMessage(
          "MTLSPolicyConflict",
          originOf(dr),
          `A DestinationRule and Policy are in conflict with regards to mTLS for host ${target.host}. ` +
            `The DestinationRule ${quote(`${dr.namespace}/${dr.name}`)} specifies that mTLS must be false ` +
            `but the Policy object ${quote(policy)} specifies STRICT. (${paths.join(", ")})`,
        ),
      );
    }
  }
  return out;
}
