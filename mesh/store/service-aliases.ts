/**
 * ExternalName aliases. A Kubernetes ExternalName Service is a DNS CNAME: `db.shop` resolving to
 * `postgres.data.svc.cluster.local` means an app dialling `db.shop` reaches postgres. Istio
 * (1.21 on, ENABLE_EXTERNAL_NAME_ALIAS) models it the same way: the ExternalName Service gets
 * no cluster, listener or virtual host of its own; its host names become extra names of the
 * service it points at (extra virtual host domains and SNI names), and a route to it goes to
 * its target's cluster. An alias of an alias resolves to the last target; a loop resolves to
 * nothing (Kubernetes DNS answers NXDOMAIN for one).
 *
 * @see istio/istio pilot/pkg/model/push_context.go (resolveServiceAliases)
 */
import { valuesOf } from "./persistent-map";
import type { ServiceInfo } from "./service-model";
import type { MeshStore } from "./store";

/** One alias of a service: the ExternalName Service's host and namespace. */
export interface ServiceAlias {
  readonly hostname: string;
  readonly namespace: string;
}

/** Whether a registry service is an ExternalName alias rather than a service of its own. */
export function isAlias(service: ServiceInfo): boolean {
  return service.resolution === "ALIAS";
}

/**
 * The concrete host an alias leads to after following aliases of aliases, or undefined for a
 * loop. `targets` maps each alias host to its ExternalName; keyed by host alone, because an
 * ExternalName names a host, not a namespace.
 */
export function resolveAliasTarget(
  alias: string,
  targets: ReadonlyMap<string, string>,
): string | undefined {
  const seen = new Set([alias]);
  let current = targets.get(alias);
  while (current !== undefined) {
    const next = targets.get(current);
    if (next === undefined) return current;
    if (seen.has(current)) return undefined;
    seen.add(current);
    current = next;
  }
  return undefined;
}

/** Aliases by the concrete host they lead to, each list sorted by namespace then host. */
export function aliasesByTarget(
  services: Iterable<ServiceInfo>,
): ReadonlyMap<string, readonly ServiceAlias[]> {
  const aliases: ServiceAlias[] = [];
  const targets = new Map<string, string>();
  for (const svc of services) {
    if (!isAlias(svc) || !svc.externalName) continue;
    aliases.push({ hostname: svc.hostname, namespace: svc.namespace });
    targets.set(svc.hostname, svc.externalName.toLowerCase());
  }
  const out = new Map<string, ServiceAlias[]>();
  for (const alias of aliases) {
    const target = resolveAliasTarget(alias.hostname, targets);
    if (target === undefined) continue;
    const list = out.get(target) ?? [];
    list.push(alias);
    out.set(target, list);
  }
  for (const list of out.values())
    list.sort((a, b) =>
      a.namespace !== b.namespace
        ? a.namespace < b.namespace
          ? -1
          : 1
        : a.hostname < b.hostname
          ? -1
          : a.hostname > b.hostname
            ? 1
            : 0,
    );
  return out;
}

// Every proxy view's compile asks; registries are immutable, so the answer lives with one.
const memo = new WeakMap<MeshStore["registry"], ReadonlyMap<string, readonly ServiceAlias[]>>();

/** The ExternalName aliases of every concrete host in the store's registry. */
export function serviceAliases(store: MeshStore): ReadonlyMap<string, readonly ServiceAlias[]> {
  let found = memo.get(store.registry);
  if (!found) {
    const all = function* () {
      for (const bucket of valuesOf(store.registry)) yield* valuesOf(bucket);
    };
    memo.set(store.registry, (found = aliasesByTarget(all())));
  }
  return found;
}
