/**
 * Trust domain aliases: a policy written for `cluster.local` (or for any domain in the bundle)
 * also matches identities from the current trust domain and each alias, so a mesh can migrate
 * trust domains without rewriting its policies.
 *
 * @see istio/istio pilot/pkg/security/trustdomain/bundle.go
 * @see https://istio.io/latest/docs/tasks/security/authorization/authz-td-migration/
 */

/** The local trust domain first, then its aliases. */
export interface TrustDomainBundle {
  readonly trustDomains: readonly string[];
}

/** A bundle of `trustDomain` and `aliases` (the local domain first). */
export function trustDomainBundle(
  trustDomain: string,
  aliases: readonly string[] = [],
): TrustDomainBundle {
  return { trustDomains: [trustDomain, ...aliases] };
}

const DEFAULT_CLUSTER_LOCAL = "cluster.local";

const prefixMatch = (a: string, pattern: string): boolean =>
  pattern.endsWith("*") && a.startsWith(pattern.slice(0, -1));
const suffixMatch = (a: string, pattern: string): boolean =>
  pattern.startsWith("*") && a.endsWith(pattern.slice(1));

function stringMatch(a: string, list: readonly string[]): boolean {
  return list.some(
    s =>
      a === s ||
      s === "*" ||
      prefixMatch(a, s) ||
      prefixMatch(s, a) ||
      suffixMatch(a, s) ||
      suffixMatch(s, a),
  );
}

/**
 * Source principals with their trust domain replaced by each domain of the bundle, when the
 * principal names a domain of the bundle or `cluster.local` (which always means "the local
 * domain"). Principals that are not `<td>/ns/<ns>/sa/<sa>`, or whose domain is `*` (not
 * enforced), or another domain, are kept as written.
 */
export function replaceTrustDomainAliases(
  bundle: TrustDomainBundle,
  principals: readonly string[],
): string[] {
  // With no domain at all there is nothing to replace with; Istio would drop the principal
  // (and widen the rule), so keep it as written instead.
  if (bundle.trustDomains.length === 0) return [...principals];
  const out: string[] = [];
  for (const principal of principals) {
    const parts = principal.split("/");
    if (parts.length !== 5 || parts[0] === "*") {
      out.push(principal);
      continue;
    }
    const domain = parts[0] as string;
    if (!stringMatch(domain, bundle.trustDomains) && domain !== DEFAULT_CLUSTER_LOCAL) {
      out.push(principal);
      continue;
    }
    const forAliases: string[] = [];
    for (const td of bundle.trustDomains) {
      // A `*-td` pattern that already covers this domain stays as written.
      const next = suffixMatch(td, domain) ? principal : [td, ...parts.slice(1)].join("/");
      if (!forAliases.includes(next)) forAliases.push(next);
    }
    out.push(...forAliases);
  }
  return out;
}

/** `trustDomains` values: a domain of the bundle expands to every domain of the bundle. */
export function expandTrustDomainAliases(
  bundle: TrustDomainBundle,
  values: readonly string[],
): string[] {
  const out: string[] = [];
  for (const v of values) {
    for (const x of bundle.trustDomains.includes(v) ? bundle.trustDomains : [v]) {
      if (!out.includes(x)) out.push(x);
    }
  }
  return out;
}
