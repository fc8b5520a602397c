/**
 * Host name rules shared by the kinds: DNS-1123 labels, FQDNs, wildcard domains,
 * `namespace/host` entries, and host matching. Rules and wording follow Istio's
 * pkg/config/validation/agent (ValidateWildcardDomain, ValidateFQDN,
 * ValidateNamespaceSlashWildcardHostname) and pkg/config/host.
 */
import { isIP } from "./ip";

const DNS1123_LABEL = /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/;
// A label that may start with `*` (alone, `*foo`, or `*-foo`), as Istio allows in the first label.
const WILDCARD_LABEL = /^(\*|(\*|\*-)?[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?)$/;

/** Whether `s` is an RFC 1123 label (at most 63 characters). */
export function isDns1123Label(s: string): boolean {
  return s.length <= 63 && DNS1123_LABEL.test(s);
}

function preconditions(name: string): string | undefined {
  if (name.length > 255) return `domain name ${JSON.stringify(name)} too long (max 255)`;
  if (name.length === 0) return "empty domain name not allowed";
  return undefined;
}

/** Checks the labels of `domain`; messages name `whole`, the name the user wrote. */
function labelsOf(domain: string, whole = domain): string | undefined {
  const parts = domain.split(".");
  const top = parts[parts.length - 1] ?? "";
  if (/^[+-]?\d+$/.test(top)) {
    return `domain name ${JSON.stringify(whole)} invalid (top level domain ${JSON.stringify(top)} cannot be all-numeric)`;
  }
  for (let i = 0; i < parts.length; i++) {
    const label = parts[i] ?? "";
    // A trailing dot (`istio.io.`) is an unambiguous absolute name.
    if (i === parts.length - 1 && label === "") return undefined;
    if (!isDns1123Label(label)) {
      return `domain name ${JSON.stringify(whole)} invalid (label ${JSON.stringify(label)} invalid)`;
    }
  }
  return undefined;
}

/** A fully qualified domain name without wildcards; returns the broken rule or undefined. */
export function checkFqdn(fqdn: string): string | undefined {
  return preconditions(fqdn) ?? labelsOf(fqdn);
}

/** A domain name whose first label may be a wildcard (`*.example.com`, `*`). */
export function checkWildcardDomain(domain: string): string | undefined {
  const pre = preconditions(domain);
  if (pre) return pre;
  const dot = domain.indexOf(".");
  const first = dot < 0 ? domain : domain.slice(0, dot);
  if (!(first.length <= 63 && WILDCARD_LABEL.test(first))) {
    return `domain name ${JSON.stringify(domain)} invalid (label ${JSON.stringify(first)} invalid)`;
  }
  return dot < 0 ? undefined : labelsOf(domain.slice(dot + 1), domain);
}

/** A wildcard is only allowed as a whole first label: `*` or `*.example.com`, not `foo*.com`. */
export function checkPartialWildcard(host: string): string | undefined {
  if (host.includes("*") && host.length !== 1 && !host.startsWith("*.")) {
    return `partial wildcard ${JSON.stringify(host)} not allowed`;
  }
  return undefined;
}

/** Whether a host name starts with a wildcard. */
export function isWildcarded(host: string): boolean {
  return host.startsWith("*");
}

/**
 * Whether two hosts overlap: equal, or one wildcard covers the other (`*.com` and `a.com`,
 * `*.a.com` and `*.com`). Istio's host.Name.Matches.
 */
export function hostsMatch(a: string, b: string): boolean {
  const aw = isWildcarded(a);
  const bw = isWildcarded(b);
  if (aw && bw)
    return a.length < b.length ? b.slice(1).endsWith(a.slice(1)) : a.slice(1).endsWith(b.slice(1));
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

/** Whether every name `a` covers is covered by `b`. Istio's host.Name.SubsetOf. */
export function hostSubsetOf(a: string, b: string): boolean {
  const aw = isWildcarded(a);
  const bw = isWildcarded(b);
  if (aw) return bw && a.length >= b.length && a.slice(1).endsWith(b.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return a === b;
}

function hostPart(host: string, isGateway: boolean): string[] {
  const rules: string[] = [];
  if (host !== "*" && !host.includes(".")) rules.push("short names (non FQDN) are not allowed");
  const domain = checkWildcardDomain(host);
  // A Gateway may also name an IP address.
  if (domain && !(isGateway && isIP(host))) rules.push(domain);
  const partial = checkPartialWildcard(host);
  if (partial) rules.push(partial);
  return rules;
}

/**
 * A `namespace/dnsName` host of a Gateway server or a Sidecar egress listener. Gateways also
 * accept a bare `dnsName`. Returns every broken rule.
 */
export function checkNamespacedHost(host: string, isGateway: boolean): string[] {
  const slash = host.indexOf("/");
  if (slash < 0) {
    if (isGateway) return hostPart(host, true);
    return ["host must be of form namespace/dnsName"];
  }
  const ns = host.slice(0, slash);
  const name = host.slice(slash + 1);
  const rules: string[] = [];
  if (ns === "" || name === "")
    rules.push("config namespace and dnsName in host entry cannot be empty");
  if (!isGateway) {
    const bare = ns.startsWith("~") ? ns.slice(1) : ns;
    if (bare !== "" && bare !== "*" && bare !== "." && !isDns1123Label(bare)) {
      rules.push(`invalid namespace value ${JSON.stringify(ns)} in sidecar`);
    }
  } else if (ns !== "*" && ns !== "." && !isDns1123Label(ns)) {
    rules.push(`invalid namespace value ${JSON.stringify(ns)} in gateway`);
  }
  return [...rules, ...hostPart(name, isGateway)];
}
