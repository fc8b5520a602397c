/**
 * LDS. Proxyless gRPC: a client listener `host:port` per service port (an `api_listener`
 * whose HttpConnectionManager loads the route config of the same name) and a server listener
 * `xds.istio.io/grpc/lds/inbound/<ip>:<port>` per served port. Envoy sidecars: see
 * `sidecar-listeners.ts`.
 *
 * @see istio/istio pilot/pkg/networking/grpcgen/lds.go
 */
import { inboundPorts } from "./inbound";
import type { ProxyScope } from "./scope";
import { sidecarListeners } from "./sidecar-listeners";
import { ADS_SOURCE, clusterName, FilterNames, httpFilters, Types, type Obj } from "./xds-util";

/** Istio's listener name template for proxyless gRPC servers. */
export const GRPC_SERVER_LISTENER_TEMPLATE = "xds.istio.io/grpc/lds/inbound/%s";

function grpcClientListeners(scope: ProxyScope): Obj[] {
  const out: Obj[] = [];
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
            http_filters: httpFilters(),
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
 * `non_forwarding_action` (the server handles the call itself).
 */
function grpcServerListeners(scope: ProxyScope): Obj[] {
  const ip = scope.proxy.ips[0];
  if (!ip) return [];
  return inboundPorts(scope).map(p => {
    const hostPort = ip.includes(":") ? `[${ip}]:${p.targetPort}` : `${ip}:${p.targetPort}`;
    return {
      "@type": Types.listener,
      name: GRPC_SERVER_LISTENER_TEMPLATE.replace("%s", hostPort),
      address: { socket_address: { address: ip, port_value: p.targetPort } },
      filter_chains: [
        {
          name: clusterName("inbound", p.targetPort),
          filters: [
            {
              name: FilterNames.hcm,
              typed_config: {
                "@type": Types.hcm,
                stat_prefix: clusterName("inbound", p.targetPort),
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
                  { name: FilterNames.router, typed_config: { "@type": Types.router } },
                ],
              },
            },
          ],
        },
      ],
    };
  });
}

/** Every Listener of the proxy. */
export function buildListeners(scope: ProxyScope): Obj[] {
  if (scope.proxy.kind === "grpc")
    return [...grpcClientListeners(scope), ...grpcServerListeners(scope)];
  return sidecarListeners(scope);
}
