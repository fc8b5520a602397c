/**
 * Resolving the host names config objects write (`reviews`, `reviews.shop`,
 * `reviews.shop.svc.cluster.local`, `*.example.com`) to the services they mean.
 */
import { hostsMatch } from "../validation/hosts";
import type { Inventory, Resource } from "./resources";
import { specOf } from "./resources";

/** The cluster's DNS domain, as Istio assumes by default. */
export const DOMAIN_SUFFIX = "cluster.local";

/** A service a host can name: a Kubernetes Service or one host of a ServiceEntry. */
export interface KnownHost {
  /** The fully qualified name (`reviews.shop.svc.cluster.local`), or a ServiceEntry host as written. */
  readonly host: string;
  readonly namespace: string;
  /** The Service's pod selector; absent for ServiceEntries and selector-less Services. */
  readonly selector?: Readonly<Record<string, string>>;
  readonly source: Resource;
}

/**
 * The fully qualified form of `host` written in `namespace`: a short name gets the namespace
 * and cluster domain (Istio's ResolveShortnameToFQDN); `name.ns` and `name.ns.svc`, which
 * Kubernetes DNS search paths resolve, are completed as well. Wildcards stay as written.
 */
export function fqdn(host: string, namespace: string): string {
  if (host.startsWith("*")) return host;
  const parts = host.split(".");
  if (parts.length === 1) return `${host}.${namespace}.svc.${DOMAIN_SUFFIX}`;
  if (parts.length === 2) return `${host}.svc.${DOMAIN_SUFFIX}`;
  if (parts.length === 3 && parts[2] === "svc") return `${host}.${DOMAIN_SUFFIX}`;
  return host;
}

/** The namespace a `name.ns.svc.cluster.local` host lives in, when it has that form. */
export function serviceNamespace(host: string): string | undefined {
  const suffix = `.svc.${DOMAIN_SUFFIX}`;
  if (!host.endsWith(suffix)) return undefined;
  const parts = host.slice(0, -suffix.length).split(".");
  return parts.length === 2 && !parts[0]?.startsWith("*") ? parts[1] : undefined;
}

const stringList = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];

/** Every host a destination can name: Services (by FQDN) and ServiceEntry hosts. */
export function knownHosts(inv: Inventory): KnownHost[] {
  const hosts: KnownHost[] = inv.services.map(s => {
    const selector = specOf(s).selector;
    return {
      host: `${s.name}.${s.namespace}.svc.${DOMAIN_SUFFIX}`,
      namespace: s.namespace,
      ...(selector && typeof selector === "object" && Object.keys(selector).length > 0
        ? { selector: selector as Record<string, string> }
        : {}),
      source: s,
    };
  });
  for (const se of inv.byKind.get("ServiceEntry") ?? []) {
    for (const h of stringList(specOf(se).hosts))
      hosts.push({ host: fqdn(h, se.namespace), namespace: se.namespace, source: se });
  }
  return hosts;
}

/** The known hosts a destination host (already fully qualified) reaches. */
export function hostsReached(known: readonly KnownHost[], host: string): KnownHost[] {
  return known.filter(k => hostsMatch(k.host, host));
}
