/**
 * LDS. Proxyless gRPC: a client listener `host:port` per service port (an `api_listener`
 * whose HttpConnectionManager loads the route config of the same name) and a server listener
 * `xds.istio.io/grpc/lds/inbound/<ip>:<port>` per served port, enforcing the workload's
 * AuthorizationPolicies (RBAC filters) and PeerAuthentication mode (mTLS or plaintext). Envoy
 * sidecars: see `sidecar-listeners.ts`.
 *
 * @see istio/istio pilot/pkg/networking/grpcgen/lds.go
 */
import { buildGrpcServerAuthzFilters, trustDomainBundle } from "../security/index";
import { downstreamMtlsSocket } from "../security/grpc-tls";
import { inboundPorts } from "./inbound";
import type { ProxyScope } from "../scope";
import { virtualInboundNotes } from "./sidecar-inbound";
import { sidecarListeners } from "./sidecar-listeners";
import { ignoredTlsRouteWarnings } from "../routes/tcp-routes";
import {
  authorizationPoliciesFor,
  grpcServerUsesMtls,
  workloadMtlsMode,
} from "../security/workload-security";
import { ADS_SOURCE, clusterName, FilterNames, httpFilters, Types } from "../shared/xds-util";
import type { ListenerResource } from "../shared/envoy";

/** Istio's listener name template for proxyless gRPC servers. */
export const GRPC_SERVER_LISTENER_TEMPLATE = "xds.istio.io/grpc/lds/inbound/%s";

function grpcClientListeners(scope: ProxyScope): ListenerResource[] {
  const out: ListenerResource[] = [];
  for (const service of scope.services) {
    for (const port of service.ports) {
      const name = `${service.hostname}:${port.port}`;
      out.push({
        "@type": Types.listener,
        name,
        api_listener: {
          api_listener: {
            "@type": Types.hcm,
            stat_prefix: name,
            rds: { route_config_name: name, config_source: ADS_SOURCE },
            http_filters: httpFilters("grpc"),
          },
        },
      });
    }
  }
  return out;
}

/**
 * Server listeners for the ports the workload serves. The address must equal what the
 * `XdsServer` bound, so it is the proxy's IP and the workload port. Routes are inline and
 * `non_forwarding_action` (the server handles the call itself). One filter chain, without a
 * match (grpc-js-xds ignores chains matching anything but `raw_buffer`): with a
 * DownstreamTlsContext when the port's mode is mTLS, and the RBAC filters (DENY, then ALLOW)
 * before the router.
 */
function grpcServerListeners(scope: ProxyScope): BuiltListeners {
  const { proxy } = scope;
  const ip = proxy.ips[0];
  if (!ip) return { listeners: [], warnings: [] };
  const workload = { namespace: proxy.namespace, labels: proxy.labels };
  // AUDIT, dry-run and CUSTOM are left out or deny here: the notes say so to the operator.
  const { filters: rbac, notes } = buildGrpcServerAuthzFilters(
    authorizationPoliciesFor(scope.store, workload, scope.mesh.rootNamespace),
    { trustDomains: trustDomainBundle(scope.mesh.trustDomain, scope.mesh.trustDomainAliases) },
  );
  const ports = inboundPorts(scope);
  const warnings = ports.length > 0 ? [...new Set(notes.map(n => n.message))] : [];
  const listeners = ports.map((p): ListenerResource => {
    const hostPort = ip.includes(":") ? `[${ip}]:${p.targetPort}` : `${ip}:${p.targetPort}`;
    const mode = workloadMtlsMode(scope.store, workload, p.targetPort, scope.mesh.rootNamespace);
    const tls = grpcServerUsesMtls(mode, proxy.labels);
    // Named by mode, as Istio names them, and the HCM's stat_prefix with it: grpc-js-xds 1.14's
    // `listenersEquivalent` compares HCM bytes before the transport socket, and its socket check
    // is inverted, so a TLS <-> plaintext switch with an identical HCM is ignored (or throws).
    const chain = `inbound-${tls ? "mtls" : "plaintext"}|${p.targetPort}`;
    return {
      "@type": Types.listener,
      name: GRPC_SERVER_LISTENER_TEMPLATE.replace("%s", hostPort),
      address: { socket_address: { address: ip, port_value: p.targetPort } },
      filter_chains: [
        {
          name: chain,
          filters: [
            {
              name: FilterNames.hcm,
              typed_config: {
                "@type": Types.hcm,
                stat_prefix: chain,
                route_config: {
                  name: clusterName("inbound", p.targetPort),
                  virtual_hosts: [
                    {
                      name: "inbound|http|" + p.port.port,
                      domains: ["*"],
                      routes: [
                        { name: "default", match: { prefix: "/" }, non_forwarding_action: {} },
                      ],
                    },
                  ],
                },
                http_filters: [
                  ...rbac,
                  { name: FilterNames.router, typed_config: { "@type": Types.router } },
                ],
              },
            },
          ],
          ...(tls ? { transport_socket: downstreamMtlsSocket() } : {}),
        },
      ],
    };
  });
  return { listeners, warnings };
}

/** A proxy's Listeners and what the operator should know about them. */
export interface BuiltListeners {
  readonly listeners: ListenerResource[];
  /** Notes naming the policy and field that was partly or not applied, without repeats. */
  readonly warnings: readonly string[];
}

/** Every Listener of the proxy, with the notes of the policies they enforce. */
export function buildListenerSet(scope: ProxyScope): BuiltListeners {
  if (scope.proxy.kind === "grpc") {
    const servers = grpcServerListeners(scope);
    return {
      listeners: [...grpcClientListeners(scope), ...servers.listeners],
      warnings: servers.warnings,
    };
  }
  return {
    listeners: sidecarListeners(scope),
    warnings: [...virtualInboundNotes(scope), ...ignoredTlsRouteWarnings(scope)],
  };
}

/** Every Listener of the proxy. */
export function buildListeners(scope: ProxyScope): ListenerResource[] {
  return buildListenerSet(scope).listeners;
}
