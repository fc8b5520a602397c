/**
 * What one proxy sees: the services, VirtualServices and DestinationRules visible to it after
 * `exportTo` and its Sidecar resource, with Istio's precedence rules. Every generator asks this
 * scope rather than the store, so visibility is decided once.
 *
 * @see https://istio.io/latest/docs/reference/config/networking/sidecar/
 * @see istio/istio pilot/pkg/model/sidecar.go, push_context.go (destinationRule, virtualServiceIndex)
 */
import type { DestinationRule, Sidecar, VirtualService } from "../../mesh/api";
import {
  allServices,
  isAlias,
  selectorMatches,
  serviceAliases,
  type ServiceAlias,
  sortedValues,
  type MeshStore,
  type ServiceInfo,
} from "../../mesh/store";
import { hostsMatch, hostSubsetOf } from "../../mesh/validation/hosts";
import type { JwksLookup } from "../../mesh/authn/request-authentication";
import { DEFAULT_MESH_CONFIG, type MeshConfig } from "../../mesh/meshconfig/mesh-config";
import { withoutUdpPorts } from "./shared/tcp-ports";
import { delegateWarningsFor, mergeDelegates } from "./delegates";
import type { Proxy } from "./proxy";
import { byString } from "./shared/xds-util";
import { exportedTo, resolveHost } from "./shared/host-names";

/**
 * Mesh-wide settings: Istio's MeshConfig (unset fields take {@link DEFAULT_MESH_CONFIG}), and
 * what the control plane fetched for the compiler.
 */
export interface MeshOptions extends Partial<MeshConfig> {
  /**
   * The key set the control plane fetched for a RequestAuthentication `jwksUri` (inlined into
   * `jwt_authn`). Injected so the compiler stays pure. @default nothing fetched (fail closed)
   */
  readonly jwks?: JwksLookup;
}

/** The mesh config in force: `options` over Istio's defaults. */
export function meshConfigOf(options: MeshOptions): MeshConfig {
  const { jwks: _jwks, ...given } = options;
  const defined = Object.entries(given).filter(([, v]) => v !== undefined);
  return { ...DEFAULT_MESH_CONFIG, ...Object.fromEntries(defined) };
}

/** The proxy's view of the mesh. */
export interface ProxyScope {
  readonly proxy: Proxy;
  readonly store: MeshStore;
  /**
   * Visible services, one per host, sorted by host: the ones that get clusters, listeners and
   * virtual hosts, without their UDP ports (shared/tcp-ports.ts). ExternalName aliases are not
   * among them (see {@link ProxyScope.aliasesOf}).
   */
  readonly services: readonly ServiceInfo[];
  /** Visible VirtualServices bound to the mesh, in precedence order, hosts made FQDN. */
  readonly virtualServices: readonly VirtualService[];
  /**
   * Every VirtualService with hosts, in store order, with its delegates merged in (Istio's
   * merged VirtualServices; delegates alone are left out), before any visibility rule. Gateways
   * select theirs from these.
   */
  readonly mergedVirtualServices: readonly VirtualService[];
  /** What config relevant to this proxy lost and why (dropped delegate routes), for the log. */
  readonly warnings: readonly string[];
  /** The Sidecar resource applying to the proxy, if any. */
  readonly sidecar?: Sidecar;
  readonly outboundTrafficPolicy: "ALLOW_ANY" | "REGISTRY_ONLY";
  /**
   * The mesh config in force (`rootNamespace`: where mesh-wide policies live; `trustDomain` and
   * its aliases; `extensionProviders` for CUSTOM policies; …). `outboundTrafficPolicy` above is
   * what applies to this proxy (its Sidecar's, else the mesh's).
   */
  readonly mesh: MeshConfig;
  /** Fetched JWKS documents by issuer and `jwksUri` (see {@link MeshOptions.jwks}). */
  readonly jwks: JwksLookup;
  /** The service a (FQDN) host names for this proxy, an ExternalName alias included. */
  service(host: string): ServiceInfo | undefined;
  /**
   * The ExternalName aliases leading to a concrete host, whatever their visibility (Istio
   * resolves aliases over the whole registry): extra names of its virtual host and SNI match.
   */
  aliasesOf(host: string): readonly ServiceAlias[];
  /** The VirtualService routing `host`, if any. */
  virtualServiceFor(host: string): VirtualService | undefined;
  /** The DestinationRule (merged as Istio merges same-host rules) for `host`. */
  destinationRule(host: string): DestinationRule | undefined;
}

function createdAt(meta: { creationTimestamp?: unknown }): string {
  return typeof meta.creationTimestamp === "string" ? meta.creationTimestamp : "";
}

/** Oldest first, then namespace/name: Istio's sortConfigByCreationTime. */
function byAge<T extends { metadata: { name?: string; namespace?: string } }>(a: T, b: T): number {
  const ca = createdAt(a.metadata as { creationTimestamp?: unknown });
  const cb = createdAt(b.metadata as { creationTimestamp?: unknown });
  if (ca !== cb) return byString(ca, cb);
  return byString(
    `${a.metadata.namespace}/${a.metadata.name}`,
    `${b.metadata.namespace}/${b.metadata.name}`,
  );
}

function selectSidecar(store: MeshStore, proxy: Proxy, rootNs: string): Sidecar | undefined {
  const all = sortedValues(store.config.Sidecar).sort(byAge);
  const inNs = all.filter(s => s.metadata.namespace === proxy.namespace);
  return (
    inNs.find(
      s =>
        s.spec.workloadSelector?.labels &&
        selectorMatches(s.spec.workloadSelector.labels, proxy.labels),
    ) ??
    inNs.find(s => !s.spec.workloadSelector?.labels) ??
    all.find(s => s.metadata.namespace === rootNs && !s.spec.workloadSelector?.labels)
  );
}

/** Whether a Sidecar egress host `ns/host` admits `host` defined in namespace `ns`. */
function egressAdmits(egressHost: string, proxyNs: string, ns: string, host: string): boolean {
  const slash = egressHost.indexOf("/");
  const want = slash >= 0 ? egressHost.slice(0, slash) : "*";
  const pattern = slash >= 0 ? egressHost.slice(slash + 1) : egressHost;
  const nsOk = want === "*" || (want === "." ? ns === proxyNs : want !== "~" && want === ns);
  return nsOk && (pattern === "*" || hostsMatch(pattern, host));
}

function mergeRules(rules: readonly DestinationRule[]): DestinationRule | undefined {
  const [first, ...rest] = rules;
  if (!first || rest.length === 0) return first;
  // Istio merges same-host rules of one namespace: subsets are added, the oldest policy wins.
  const subsets = [...(first.spec.subsets ?? [])];
  for (const r of rest)
    for (const s of r.spec.subsets ?? [])
      if (!subsets.some(x => x.name === s.name)) subsets.push(s);
  return {
    ...first,
    spec: {
      ...first.spec,
      subsets,
      trafficPolicy:
        first.spec.trafficPolicy ?? rest.find(r => r.spec.trafficPolicy)?.spec.trafficPolicy,
    },
  };
}

/** Builds a proxy's scope over a store snapshot. */
export function buildScope(store: MeshStore, proxy: Proxy, options: MeshOptions = {}): ProxyScope {
  const mesh = meshConfigOf(options);
  const rootNs = mesh.rootNamespace;
  const suffix = store.domainSuffix;
  // Sidecar resources configure sidecars only; gateways ignore them, as in Istio.
  const sidecar = proxy.kind === "router" ? undefined : selectSidecar(store, proxy, rootNs);
  const egressHosts = sidecar?.spec.egress?.flatMap(e => e.hosts ?? []);
  const admitted = (ns: string, host: string) =>
    !egressHosts || egressHosts.some(h => egressAdmits(h, proxy.namespace, ns, host));

  // One service per host: the proxy's own namespace first, then registry precedence.
  const byHost = new Map<string, ServiceInfo>();
  for (const svc of allServices(store)) {
    if (!exportedTo(svc.exportTo, svc.namespace, proxy.namespace)) continue;
    if (!admitted(svc.namespace, svc.hostname)) continue;
    const had = byHost.get(svc.hostname);
    if (!had || (svc.namespace === proxy.namespace && had.namespace !== proxy.namespace))
      byHost.set(svc.hostname, withoutUdpPorts(svc));
  }
  const services = [...byHost.values()]
    .filter(s => !isAlias(s))
    .sort((a, b) => byString(a.hostname, b.hostname));
  const aliases = serviceAliases(store);

  // Delegates are merged into their roots first, so everything below sees whole roots.
  const merged = mergeDelegates(sortedValues(store.config.VirtualService), suffix);
  const virtualServices = merged.virtualServices
    .filter(vs => {
      const ns = vs.metadata.namespace ?? "default";
      const gateways = vs.spec.gateways ?? [];
      const forMesh = gateways.length === 0 || gateways.includes("mesh");
      return forMesh && exportedTo(vs.spec.exportTo, ns, proxy.namespace);
    })
    .map(vs => {
      const ns = vs.metadata.namespace ?? "default";
      return {
        ...vs,
        spec: { ...vs.spec, hosts: (vs.spec.hosts ?? []).map(h => resolveHost(h, ns, suffix)) },
      };
    })
    .filter(vs => (vs.spec.hosts ?? []).some(h => admitted(vs.metadata.namespace ?? "default", h)))
    .sort((a, b) => {
      const own =
        Number(b.metadata.namespace === proxy.namespace) -
        Number(a.metadata.namespace === proxy.namespace);
      return own !== 0 ? own : byAge(a, b);
    });

  // Indexed once per scope: a lookup per service must not scan every VirtualService. The first
  // in order naming the host exactly wins, else the first whose wildcard covers it.
  const byExactHost = new Map<string, VirtualService>();
  for (const vs of virtualServices)
    for (const h of vs.spec.hosts ?? []) if (!byExactHost.has(h)) byExactHost.set(h, vs);
  const withWildcard = virtualServices.filter(vs => vs.spec.hosts?.some(h => h.startsWith("*")));
  const vsCache = new Map<string, VirtualService | undefined>();
  const virtualServiceFor = (host: string): VirtualService | undefined => {
    if (vsCache.has(host)) return vsCache.get(host);
    const found =
      byExactHost.get(host) ??
      withWildcard.find(vs => vs.spec.hosts?.some(h => h.startsWith("*") && hostSubsetOf(host, h)));
    vsCache.set(host, found);
    return found;
  };

  const rules = sortedValues(store.config.DestinationRule)
    .map(dr => {
      const ns = dr.metadata.namespace ?? "default";
      return { ...dr, spec: { ...dr.spec, host: resolveHost(dr.spec.host, ns, suffix) } };
    })
    .sort(byAge);
  const drCache = new Map<string, DestinationRule | undefined>();
  const rulesInNs = new Map<string, DestinationRule[]>();
  const mostSpecific = (
    candidates: DestinationRule[],
    host: string,
  ): DestinationRule | undefined => {
    const matching = candidates.filter(dr => hostSubsetOf(host, dr.spec.host));
    if (matching.length === 0) return undefined;
    // Exact host first, then the longest (most specific) wildcard.
    const best = matching.reduce((a, b) =>
      a.spec.host === host
        ? a
        : b.spec.host === host
          ? b
          : b.spec.host.length > a.spec.host.length
            ? b
            : a,
    );
    return mergeRules(matching.filter(dr => dr.spec.host === best.spec.host));
  };
  const destinationRule = (host: string): DestinationRule | undefined => {
    if (drCache.has(host)) return drCache.get(host);
    const svcNs = byHost.get(host)?.namespace;
    const inNs = (ns: string, own: boolean) => {
      // The candidates of a namespace do not depend on the host: filtered once per scope.
      const key = `${own ? "own" : "other"}\0${ns}`;
      let found = rulesInNs.get(key);
      if (!found) {
        found = rules.filter(
          dr =>
            dr.metadata.namespace === ns &&
            (own
              ? !dr.spec.workloadSelector?.matchLabels ||
                selectorMatches(dr.spec.workloadSelector.matchLabels, proxy.labels)
              : !dr.spec.workloadSelector?.matchLabels &&
                exportedTo(dr.spec.exportTo, ns, proxy.namespace)),
        );
        rulesInNs.set(key, found);
      }
      return found;
    };
    const found =
      mostSpecific(inNs(proxy.namespace, true), host) ??
      (svcNs !== undefined && svcNs !== proxy.namespace
        ? mostSpecific(inNs(svcNs, false), host)
        : undefined) ??
      (rootNs !== proxy.namespace ? mostSpecific(inNs(rootNs, false), host) : undefined);
    drCache.set(host, found);
    return found;
  };

  return {
    proxy,
    store,
    services,
    virtualServices,
    mergedVirtualServices: merged.virtualServices,
    warnings: delegateWarningsFor(merged.warnings, proxy.namespace, proxy.kind),
    sidecar,
    outboundTrafficPolicy: sidecar?.spec.outboundTrafficPolicy?.mode ?? mesh.outboundTrafficPolicy,
    mesh,
    jwks: options.jwks ?? (() => undefined),
    service: host => byHost.get(host),
    aliasesOf: host => aliases.get(host) ?? [],
    virtualServiceFor,
    destinationRule,
  };
}
