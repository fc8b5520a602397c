/**
 * What an outbound cluster's endpoints tell Envoy about TLS: `tlsMode: istio` under the
 * `envoy.transport_socket_match` metadata key for an endpoint auto-mTLS should dial with mTLS,
 * which the cluster's `tlsMode-istio` transport socket match selects. And nothing at all for a
 * cluster that fails closed (`OutboundCluster.failClosed`).
 *
 * Istio's rule: a DestinationRule TLS mode for the cluster decides (ISTIO_MUTUAL: every
 * endpoint); else the endpoint's workload must carry mesh certificates
 * (`security.istio.io/tlsMode: istio` on its Pod or WorkloadEntry) and not have mTLS DISABLEd
 * on its port by PeerAuthentication.
 *
 * @see istio/istio pilot/pkg/xds/endpoints/mtls_checker.go (checkMtlsEnabled)
 * @see istio/istio pilot/pkg/xds/endpoints/endpoint_builder.go (buildEnvoyLbEndpoint)
 */
import type { EndpointInfo } from "../../../mesh/store";
import type { OutboundCluster } from "./clusters";
import { clusterTlsSetting } from "./cluster-tls-setting";
import { clusterEndpoints } from "./cluster-endpoints";
import type { ProxyScope } from "../scope";
import { workloadOf } from "./upstream-mtls";
import { TRANSPORT_SOCKET_MATCH_KEY } from "./upstream-tls";
import { endpointTlsMode, workloadMtlsMode } from "../security/workload-security";
import type { LocalityLbEndpoints, Metadata } from "../shared/envoy";
import type { LbEndpoint } from "../shared/envoy";

const MTLS_METADATA: Metadata = {
  filter_metadata: {
    [TRANSPORT_SOCKET_MATCH_KEY]: { fields: { tlsMode: { string_value: "istio" } } },
  },
};

function workloadTakesMtls(scope: ProxyScope, c: OutboundCluster, e: EndpointInfo): boolean {
  if (endpointTlsMode(e) !== "istio") return false;
  const [, namespace] = workloadOf(e, c.service);
  const mode = workloadMtlsMode(
    scope.store,
    { namespace, labels: e.labels },
    e.port,
    scope.mesh.rootNamespace,
  );
  return mode !== "DISABLE";
}

const addressKey = (address: unknown, port: unknown) => `${String(address)}|${String(port)}`;

/**
 * `localities` (built from the cluster's endpoints) with the `tlsMode` metadata added, or none
 * when the cluster fails closed. Proxyless gRPC has no transport socket matches, so its
 * endpoints are left as they are. It decorates the finished groups, matched by address, so how
 * endpoints are grouped and prioritised (`locality-lb.ts`) stays that file's business alone.
 */
export function withUpstreamTlsMetadata(
  scope: ProxyScope,
  c: OutboundCluster,
  localities: readonly LocalityLbEndpoints[],
): LocalityLbEndpoints[] {
  if (c.failClosed) return [];
  if (scope.proxy.kind === "grpc") return [...localities];
  const setting = clusterTlsSetting(
    scope.destinationRule(c.service.hostname),
    c.port.port,
    c.subset,
  );
  const mtls = new Set<string>();
  for (const e of clusterEndpoints(scope, c)) {
    const on = setting ? setting.mode === "ISTIO_MUTUAL" : workloadTakesMtls(scope, c, e);
    if (on) mtls.add(addressKey(e.address, e.port));
  }
  if (mtls.size === 0) return [...localities];
  return localities.map(
    (l): LocalityLbEndpoints => ({
      ...l,
      lb_endpoints: (l.lb_endpoints ?? []).map((lb): LbEndpoint => {
        const socket = lb.endpoint?.address?.socket_address;
        return socket && mtls.has(addressKey(socket.address, socket.port_value))
          ? { ...lb, metadata: MTLS_METADATA }
          : lb;
      }),
    }),
  );
}
