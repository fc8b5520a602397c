/**
 * Which connected proxies a push has to recompile, and how much (istiod's `ProxyNeedsPush` and
 * its EDS-only path): from the objects a debounced batch changed and the stores before and
 * after it, a plan per proxy — unchanged, endpoints only, or a full recompile.
 *
 * Correct before fast: anything not understood recompiles. The rules follow what the compiler
 * reads; `test/control-plane/push-scope.test.ts` compares planned pushes with full recompiles.
 *
 * - VirtualService, DestinationRule, ServiceEntry: the proxies that see one of the hosts they
 *   name (old or new version), in the scope before or after the change; a delegate
 *   VirtualService (no hosts) reaches every proxy. A DestinationRule also
 *   reaches proxies routing to its host (a route's hash policy comes from the destination's
 *   rule). Gateways: VirtualServices bound to a gateway, and every other change but Sidecars.
 * - Sidecar: the proxies of its namespace; all of them for the root namespace.
 * - AuthorizationPolicy, RequestAuthentication, Telemetry: the workloads they select (all of them from the
 *   root namespace; a `targetRef` policy, every workload of its namespace), and gateways.
 * - PeerAuthentication: every proxy — clients read it too (auto-mTLS is plaintext to a
 *   destination whose namespace's mode is DISABLE).
 * - Gateway: gateways only.
 * - Service, Namespace, Secret and anything else: every proxy.
 * - Endpoints (EndpointSlice, Pod, WorkloadEntry): Clusters and EDS only — of the slice's
 *   service, of the services a Pod backs, of every service for a WorkloadEntry.
 *
 * Pure: no clock, no I/O.
 */
import {
  routeDestinations,
  type AnyRoute,
  type DestinationRule,
  type ServiceEntry,
  type VirtualService,
} from "../../mesh/api";
import {
  getIn,
  selectorMatches,
  SERVICE_NAME_LABEL,
  valuesOf,
  type ConfigMaps,
  type KubeEndpointSlice,
  type KubePod,
  type MeshStore,
} from "../../mesh/store";
import { hostsMatch, isWildcarded } from "../../mesh/validation/hosts";
import type { Proxy } from "../compile/proxy";
import { resolveHost } from "../compile/shared/host-names";
import { buildScope, meshConfigOf, type MeshOptions, type ProxyScope } from "../compile/scope";
import type { PushRequest } from "./push-request";

/** What a push does for one proxy. */
export type ProxyPushPlan =
  | { readonly action: "unchanged" }
  | { readonly action: "full"; readonly why: string }
  /** Recompile EDS of the services of `hosts` (every service when undefined). */
  | { readonly action: "endpoints"; readonly hosts?: ReadonlySet<string> };

/** A workload-selecting policy as it was before or after the change. */
interface PolicyRef {
  readonly kind: string;
  readonly namespace: string;
  readonly selector?: Readonly<Record<string, string>>;
  /** `targetRef(s)`: attaches to gateways or services, not by labels; treated as namespace-wide. */
  readonly targeted: boolean;
}

/** What the batch's config changes reach, computed once per push. */
interface ConfigReach {
  /** Set when every proxy must be recompiled, with the reason. */
  readonly everything?: string;
  /** FQDN hosts (or wildcards) named by changed VirtualServices, DestinationRules, ServiceEntries. */
  readonly hosts: readonly string[];
  /** Hosts of changed DestinationRules (also reach proxies routing to them). */
  readonly ruleHosts: readonly string[];
  /** Whether service visibility may differ before and after (a ServiceEntry changed). */
  readonly registryChanged: boolean;
  /** Namespaces of changed Sidecars. */
  readonly sidecarNamespaces: ReadonlySet<string>;
  /** Changed security policies (old and new versions). */
  readonly policies: readonly PolicyRef[];
  /** Why gateways are recompiled, if they are. */
  readonly gateways?: string;
}

const HOSTED_KINDS = new Set(["VirtualService", "DestinationRule", "ServiceEntry"]);
const POLICY_KINDS = new Set([
  "PeerAuthentication",
  "AuthorizationPolicy",
  "RequestAuthentication",
  "Telemetry",
]);

/** `Kind/namespace/name` → its parts (namespace `default` when empty, as the store keys it). */
export function parseRef(ref: string): { kind: string; namespace: string; name: string } {
  const [kind = "", namespace = "", ...rest] = ref.split("/");
  return { kind, namespace: namespace || "default", name: rest.join("/") };
}

function versions<K extends keyof ConfigMaps>(
  kind: K,
  key: string,
  before: MeshStore,
  after: MeshStore,
) {
  return [getIn(before.config[kind], key), getIn(after.config[kind], key)].filter(
    (o): o is NonNullable<typeof o> => o !== undefined,
  );
}

function namedHosts(kind: string, object: unknown, ns: string, suffix: string): string[] {
  if (kind === "VirtualService")
    return ((object as VirtualService).spec.hosts ?? []).map(h => resolveHost(h, ns, suffix));
  if (kind === "DestinationRule")
    return [resolveHost((object as DestinationRule).spec.host, ns, suffix)];
  return ((object as ServiceEntry).spec.hosts ?? []).map(h => resolveHost(h, ns, suffix));
}

function boundToGateway(vs: VirtualService): boolean {
  return (vs.spec.gateways ?? []).some(g => g !== "mesh");
}

function policyRef(kind: string, ns: string, spec: Record<string, unknown>): PolicyRef {
  const selector = (spec.selector as { matchLabels?: Record<string, string> } | undefined)
    ?.matchLabels;
  const refs = spec.targetRefs as unknown[] | undefined;
  return { kind, namespace: ns, selector, targeted: !!spec.targetRef || (refs?.length ?? 0) > 0 };
}

/** Classifies the batch's changed config objects once. */
export function configReach(
  configs: Iterable<string>,
  before: MeshStore,
  after: MeshStore,
): ConfigReach {
  const suffix = after.domainSuffix;
  const hosts: string[] = [];
  const ruleHosts: string[] = [];
  const sidecarNamespaces = new Set<string>();
  const policies: PolicyRef[] = [];
  let registryChanged = false;
  let gateways: string | undefined;
  for (const ref of configs) {
    const { kind, namespace, name } = parseRef(ref);
    const key = `${namespace}/${name}`;
    if (HOSTED_KINDS.has(kind)) {
      const objects = versions(kind as "VirtualService", key, before, after);
      // A VirtualService without hosts is a delegate: it reaches whoever sees its parents.
      if (kind === "VirtualService" && objects.some(o => (o.spec.hosts ?? []).length === 0))
        return { everything: ref, hosts, ruleHosts, registryChanged, sidecarNamespaces, policies };
      const named = objects.flatMap(o => namedHosts(kind, o, namespace, suffix));
      hosts.push(...named);
      if (kind === "DestinationRule") ruleHosts.push(...named);
      if (kind === "ServiceEntry") registryChanged = true;
      if (kind !== "VirtualService" || objects.some(o => boundToGateway(o as VirtualService)))
        gateways ??= ref;
    } else if (kind === "Sidecar") {
      if (versions("Sidecar", key, before, after).length > 0) sidecarNamespaces.add(namespace);
    } else if (kind === "PeerAuthentication") {
      // Clients read it too: auto-mTLS to a destination whose namespace's mode is DISABLE is
      // plaintext, for sidecars, gateways and proxyless clients alike. Rare; recompile all.
      if (versions("PeerAuthentication", key, before, after).length > 0)
        return { everything: ref, hosts, ruleHosts, registryChanged, sidecarNamespaces, policies };
    } else if (POLICY_KINDS.has(kind)) {
      for (const o of versions(kind as "PeerAuthentication", key, before, after))
        policies.push(policyRef(kind, namespace, o.spec as Record<string, unknown>));
      gateways ??= ref;
    } else if (kind === "Gateway") {
      gateways ??= ref;
    } else {
      return { everything: ref, hosts, ruleHosts, registryChanged, sidecarNamespaces, policies };
    }
  }
  return { hosts, ruleHosts, registryChanged, sidecarNamespaces, policies, gateways };
}

/** The hosts a proxy's visible VirtualServices (delegates merged in) route or mirror to. */
export function destinationHosts(scope: ProxyScope): Set<string> {
  const out = new Set<string>();
  const suffix = scope.store.domainSuffix;
  for (const vs of scope.virtualServices) {
    const ns = vs.metadata.namespace ?? "default";
    const routes: AnyRoute[] = [
      ...(vs.spec.http ?? []),
      ...(vs.spec.tcp ?? []),
      ...(vs.spec.tls ?? []),
    ];
    for (const route of routes)
      for (const { destination } of routeDestinations(route))
        out.add(resolveHost(destination.host, ns, suffix));
  }
  return out;
}

/** Whether `pattern` (a host or wildcard) names a service the proxy sees. */
export function seesHost(scope: ProxyScope, pattern: string): boolean {
  if (scope.service(pattern)) return true;
  if (!isWildcarded(pattern)) return false;
  return scope.services.some(s => hostsMatch(pattern, s.hostname));
}

function matchesAny(patterns: Iterable<string>, hosts: ReadonlySet<string>): boolean {
  for (const p of patterns) {
    if (hosts.has(p)) return true;
    if (isWildcarded(p)) for (const h of hosts) if (hostsMatch(p, h)) return true;
  }
  return false;
}

/** Whether a policy's old or new version applies to the proxy's workload. */
export function selectsProxy(policy: PolicyRef, proxy: Proxy, rootNamespace: string): boolean {
  if (policy.namespace === rootNamespace) return true;
  if (policy.namespace !== proxy.namespace) return false;
  if (policy.targeted || !policy.selector || Object.keys(policy.selector).length === 0) return true;
  return selectorMatches(policy.selector, proxy.labels);
}

function sliceHost(slice: KubeEndpointSlice | undefined, suffix: string): string | undefined {
  const service = slice?.metadata.labels?.[SERVICE_NAME_LABEL];
  return service ? `${service}.${slice!.metadata.namespace}.svc.${suffix}` : undefined;
}

function podIps(pod: KubePod): string[] {
  return [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map(p => p.ip)].filter(
    (ip): ip is string => !!ip,
  );
}

/** Who backs what in one store: built once per store, read for every Pod of a batch. */
interface PodIndex {
  /** Services with a selector, by namespace. */
  readonly selecting: ReadonlyMap<
    string,
    readonly { hostname: string; selector: Record<string, string> }[]
  >;
  /** Hosts of the EndpointSlices naming a Pod (`namespace/name`) or an address. */
  readonly byPod: ReadonlyMap<string, ReadonlySet<string>>;
  readonly byAddress: ReadonlyMap<string, ReadonlySet<string>>;
}

// Stores are immutable snapshots: an index stays right for as long as its store lives.
const podIndexes = new WeakMap<MeshStore, PodIndex>();

function addTo(map: Map<string, Set<string>>, key: string, host: string): void {
  let set = map.get(key);
  if (!set) map.set(key, (set = new Set()));
  set.add(host);
}

function podIndex(store: MeshStore): PodIndex {
  const known = podIndexes.get(store);
  if (known) return known;
  const selecting = new Map<string, { hostname: string; selector: Record<string, string> }[]>();
  for (const bucket of valuesOf(store.registry)) {
    for (const svc of valuesOf(bucket)) {
      if (!svc.selector || Object.keys(svc.selector).length === 0) continue;
      const list = selecting.get(svc.namespace) ?? [];
      list.push({ hostname: svc.hostname, selector: svc.selector });
      selecting.set(svc.namespace, list);
    }
  }
  const byPod = new Map<string, Set<string>>();
  const byAddress = new Map<string, Set<string>>();
  for (const slice of valuesOf(store.endpointSlices)) {
    const host = sliceHost(slice, store.domainSuffix);
    if (!host) continue;
    for (const ep of slice.endpoints ?? []) {
      if (ep.targetRef?.kind === "Pod")
        addTo(
          byPod,
          `${ep.targetRef.namespace ?? slice.metadata.namespace}/${ep.targetRef.name}`,
          host,
        );
      for (const a of ep.addresses) addTo(byAddress, a, host);
    }
  }
  const index = { selecting, byPod, byAddress };
  podIndexes.set(store, index);
  return index;
}

/**
 * Hosts whose endpoints a Pod backs: services of its namespace selecting it (a Service's
 * selector, a ServiceEntry's workloadSelector), and services whose EndpointSlices name it by
 * reference or address (their endpoints carry its labels and service account).
 */
function podHosts(store: MeshStore, pod: KubePod, key: string, into: Set<string>): void {
  const index = podIndex(store);
  const labels = pod.metadata.labels ?? {};
  for (const svc of index.selecting.get(pod.metadata.namespace ?? "default") ?? [])
    if (selectorMatches(svc.selector, labels)) into.add(svc.hostname);
  for (const host of index.byPod.get(key) ?? []) into.add(host);
  for (const ip of podIps(pod)) for (const host of index.byAddress.get(ip) ?? []) into.add(host);
}

/** Hosts whose Clusters and EDS an endpoint change touches; undefined when it may be any. */
export function endpointHosts(
  endpoints: Iterable<string>,
  before: MeshStore,
  after: MeshStore,
): Set<string> | undefined {
  const hosts = new Set<string>();
  for (const ref of endpoints) {
    const { kind, namespace, name } = parseRef(ref);
    const key = `${namespace}/${name}`;
    if (kind === "EndpointSlice") {
      for (const store of [before, after]) {
        const host = sliceHost(getIn(store.endpointSlices, key), after.domainSuffix);
        if (host) hosts.add(host);
      }
    } else if (kind === "Pod") {
      for (const store of [before, after]) {
        const pod = getIn(store.pods, key);
        if (pod) podHosts(store, pod, key, hosts);
      }
    } else {
      // WorkloadEntries and anything else: selection by labels across ServiceEntries; rare.
      return undefined;
    }
  }
  return hosts;
}

/** Why the batch's config changes recompile this proxy, or undefined when they do not. */
function configReason(
  reach: ConfigReach,
  proxy: Proxy,
  scopes: { after: () => ProxyScope; before: () => ProxyScope },
  rootNamespace: string,
): string | undefined {
  if (reach.everything) return reach.everything;
  if (proxy.kind === "router") return reach.gateways;
  if (reach.sidecarNamespaces.has(proxy.namespace) || reach.sidecarNamespaces.has(rootNamespace))
    return "Sidecar";
  for (const p of reach.policies) {
    if (selectsProxy(p, proxy, rootNamespace)) return `${p.kind} ${p.namespace}`;
  }
  if (reach.hosts.length === 0) return undefined;
  const visible = (scope: ProxyScope) => reach.hosts.find(h => seesHost(scope, h));
  const host =
    visible(scopes.after()) ?? (reach.registryChanged ? visible(scopes.before()) : undefined);
  if (host) return `host ${host}`;
  if (reach.ruleHosts.length > 0 && matchesAny(reach.ruleHosts, destinationHosts(scopes.after())))
    return "DestinationRule of a route destination";
  return undefined;
}

/**
 * Plans a push: returns the plan for each proxy. `before` is the store the proxies' current
 * snapshots were compiled from (or an older one: the batch then holds every change since).
 */
export function planPush(
  request: PushRequest,
  before: MeshStore,
  after: MeshStore,
  options: MeshOptions = {},
): (proxy: Proxy) => ProxyPushPlan {
  const { rootNamespace } = meshConfigOf(options);
  const reach = !request.full
    ? undefined
    : request.configs.size === 0
      ? ({ ...configReach([], before, after), everything: "unspecified config change" } as const)
      : configReach(request.configs, before, after);
  const hosts =
    request.endpoints.size > 0
      ? endpointHosts(request.endpoints, before, after)
      : new Set<string>();
  return proxy => {
    if (reach) {
      let afterScope: ProxyScope | undefined;
      let beforeScope: ProxyScope | undefined;
      const why = configReason(
        reach,
        proxy,
        {
          after: () => (afterScope ??= buildScope(after, proxy, options)),
          before: () => (beforeScope ??= buildScope(before, proxy, options)),
        },
        rootNamespace,
      );
      if (why !== undefined) return { action: "full", why };
    }
    if (request.endpoints.size === 0 || hosts?.size === 0) return { action: "unchanged" };
    return { action: "endpoints", hosts };
  };
}
