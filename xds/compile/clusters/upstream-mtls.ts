/**
 * mTLS from proxyless gRPC clients: which outbound clusters carry an UpstreamTlsContext, and
 * which server identities they accept (secure naming).
 *
 * A DestinationRule's `tls` block decides when set: ISTIO_MUTUAL → mesh certificates; DISABLE
 * (or no mode) → plaintext; SIMPLE and MUTUAL name certificates the control plane cannot hand a
 * proxyless client. Istio's grpcgen leaves those plaintext; here the cluster fails closed
 * instead (`upstream-tls-plan.ts`, grpcTlsProblem). Unset, auto-mTLS decides: mTLS when every
 * endpoint of the cluster will only take (or, being a proxyless server, listens with) mTLS. gRPC
 * has no `transport_socket_matches`, so unlike Envoy's per-endpoint auto-mTLS the choice is per
 * cluster, and a cluster mixing mTLS-only and plaintext workloads is dialled plaintext.
 *
 * @see istio/istio pilot/pkg/networking/grpcgen/cds.go (applyTLS)
 * @see istio/istio pilot/pkg/networking/core/cluster_tls.go (auto-mTLS)
 */
import type { ClientTlsSettings } from "../../../mesh/api";
import {
  endpointsOf,
  getIn,
  type EndpointInfo,
  type MeshStore,
  type ServiceInfo,
} from "../../../mesh/store";
import type { MeshConfig } from "../../../mesh/meshconfig/mesh-config";
import type { OutboundCluster } from "./clusters";
import { clusterEndpoints } from "./cluster-endpoints";
import { upstreamMtlsSocket } from "../security/grpc-tls";
import type { ProxyScope } from "../scope";
import {
  grpcServerUsesMtls,
  INJECT_TEMPLATES_ANNOTATION,
  TLS_MODE_LABEL,
  workloadMtlsMode,
} from "../security/workload-security";
import { byString } from "../shared/xds-util";
import type { TransportSocket } from "../shared/envoy";

/** `Pod/ns/name` or `WorkloadEntry/ns/name` → [kind, namespace, name]; else the service's namespace. */
export function workloadOf(e: EndpointInfo, svc: ServiceInfo): [string, string, string] {
  const [kind = "", ns = svc.namespace, name = ""] = e.source.split("/");
  return [kind, ns, name];
}

/** A workload injected with Istio's proxyless template (`inject.istio.io/templates: grpc-agent`). */
function runsProxyless(scope: ProxyScope, e: EndpointInfo, svc: ServiceInfo): boolean {
  const [kind, ns, name] = workloadOf(e, svc);
  const key = `${ns}/${name}`;
  const meta =
    kind === "Pod"
      ? getIn(scope.store.pods, key)?.metadata
      : kind === "WorkloadEntry"
        ? getIn(scope.store.config.WorkloadEntry, key)?.metadata
        : undefined;
  const templates = meta?.annotations?.[INJECT_TEMPLATES_ANNOTATION] ?? "";
  return templates.split(",").some(t => t.trim() === "grpc-agent");
}

/**
 * Whether the endpoint's workload will only speak mTLS on its port: it has mesh certificates
 * and its mode is STRICT — or it is a proxyless server, which listens with mTLS in PERMISSIVE
 * too (see `grpcServerUsesMtls`). Envoy sidecars in PERMISSIVE take plaintext, which a gRPC
 * client can always send; mTLS from gRPC could not reach them anyway (no Istio ALPN).
 */
function needsMtls(scope: ProxyScope, e: EndpointInfo, svc: ServiceInfo): boolean {
  if (e.labels[TLS_MODE_LABEL] !== "istio") return false;
  const [, namespace] = workloadOf(e, svc);
  const mode = workloadMtlsMode(
    scope.store,
    { namespace, labels: e.labels },
    e.port,
    scope.mesh.rootNamespace,
  );
  return runsProxyless(scope, e, svc) ? grpcServerUsesMtls(mode, e.labels) : mode === "STRICT";
}

/**
 * The SPIFFE identities allowed to serve the cluster's service port: the service accounts of
 * its workloads (all subsets: one service, one set of identities, as Istio's
 * `ServiceAccounts[host][port]`) and a ServiceEntry's `subjectAltNames`, sorted.
 */
export function serviceIdentities(scope: ProxyScope, c: OutboundCluster): string[] {
  // The same for every proxy compiled from this store: kept while the store and service live.
  let byService = identityMemo.get(scope.store);
  if (!byService) identityMemo.set(scope.store, (byService = new WeakMap()));
  let byKey = byService.get(c.service);
  if (!byKey) byService.set(c.service, (byKey = new Map()));
  const { port } = c;
  const { trustDomain, trustDomainAliases } = scope.mesh;
  const key = JSON.stringify([
    port.name,
    port.port,
    port.protocol,
    port.targetPort ?? null,
    trustDomain,
    trustDomainAliases,
  ]);
  let found = byKey.get(key);
  if (!found) byKey.set(key, (found = computeServiceIdentities(scope, c)));
  return [...found];
}

const identityMemo = new WeakMap<MeshStore, WeakMap<ServiceInfo, Map<string, string[]>>>();

function computeServiceIdentities(scope: ProxyScope, c: OutboundCluster): string[] {
  const out = new Set<string>();
  for (const e of endpointsOf(scope.store, c.service, c.port)) {
    if (!e.serviceAccount) continue;
    const [, ns] = workloadOf(e, c.service);
    out.add(`spiffe://${scope.mesh.trustDomain}/ns/${ns}/sa/${e.serviceAccount}`);
  }
  if (c.service.sourceKind === "ServiceEntry") {
    const [, ns = "", name = ""] = c.service.source.split("/");
    for (const san of getIn(scope.store.config.ServiceEntry, `${ns}/${name}`)?.spec
      .subjectAltNames ?? [])
      out.add(san);
  }
  return withTrustDomainAliases([...out], scope.mesh).sort(byString);
}

/**
 * SPIFFE identities also accepted under each of the mesh's `trustDomainAliases`, as Istio's
 * ExpandWithTrustDomains: a workload whose certificate still names a migrating mesh's old trust
 * domain keeps passing secure naming.
 */
export function withTrustDomainAliases(
  sans: readonly string[],
  mesh: Pick<MeshConfig, "trustDomainAliases">,
): string[] {
  const out = new Set(sans);
  for (const san of sans) {
    const m = /^spiffe:\/\/([^/]+)(\/.*)$/.exec(san);
    if (!m) continue;
    for (const td of mesh.trustDomainAliases) out.add(`spiffe://${td}${m[2]}`);
  }
  return [...out];
}

/** The transport socket of a proxyless client's cluster, or undefined for plaintext. */
export function grpcClusterTls(
  scope: ProxyScope,
  c: OutboundCluster,
  tls: ClientTlsSettings | undefined,
): TransportSocket | undefined {
  const mode = tls?.mode;
  if (mode === "ISTIO_MUTUAL") {
    const sans = tls?.subjectAltNames?.length ? tls.subjectAltNames : serviceIdentities(scope, c);
    return upstreamMtlsSocket(sans);
  }
  if (tls || !scope.mesh.enableAutoMtls) return undefined;
  const endpoints = clusterEndpoints(scope, c);
  if (endpoints.length === 0 || !endpoints.every(e => needsMtls(scope, e, c.service)))
    return undefined;
  return upstreamMtlsSocket(serviceIdentities(scope, c));
}
