/**
 * Envoy sidecar listeners: `virtualOutbound` (15001, original destination), one outbound
 * listener per port (`0.0.0.0_9080` for HTTP via RDS `9080`; `<vip>_<port>` for TCP), and
 * `virtualInbound` (15006) with a filter chain per served port.
 *
 * Not yet written, because the encoder's descriptor lacks their extension types: the
 * original_dst/tls_inspector/http_inspector listener filters, Istio's metadata exchange and
 * telemetry filters. `use_original_dst` on virtualOutbound carries the redirect.
 *
 * @see istio/istio pilot/pkg/networking/core/listener.go, listener_builder.go
 */
import type { ServicePortInfo } from "../../mesh/store";
import { inboundPorts } from "./inbound";
import { routedOverHttp } from "./routes";
import type { ProxyScope } from "./scope";
import {
  ADS_SOURCE,
  BLACKHOLE_CLUSTER,
  clusterName,
  FilterNames,
  httpFilters,
  INBOUND_PASSTHROUGH_CLUSTER,
  msDuration,
  PASSTHROUGH_CLUSTER,
  Types,
  type Obj,
} from "./xds-util";

/** Istio's fixed capture ports. */
export const VIRTUAL_OUTBOUND_PORT = 15001;
/** @see VIRTUAL_OUTBOUND_PORT */
export const VIRTUAL_INBOUND_PORT = 15006;

function tcpProxy(cluster: string, statPrefix = cluster): Obj {
  return {
    name: FilterNames.tcpProxy,
    typed_config: { "@type": Types.tcpProxy, stat_prefix: statPrefix, cluster },
  };
}

function socket(address: string, port: number): Obj {
  return { socket_address: { address, port_value: port } };
}

function passthroughChain(scope: ProxyScope, name: string): Obj {
  const cluster =
    scope.outboundTrafficPolicy === "REGISTRY_ONLY" ? BLACKHOLE_CLUSTER : PASSTHROUGH_CLUSTER;
  return { name, filters: [tcpProxy(cluster)] };
}

function virtualOutbound(scope: ProxyScope): Obj {
  return {
    "@type": Types.listener,
    name: "virtualOutbound",
    address: socket("0.0.0.0", VIRTUAL_OUTBOUND_PORT),
    use_original_dst: { value: true },
    traffic_direction: "OUTBOUND",
    filter_chains: [passthroughChain(scope, "virtualOutbound-catchall-tcp")],
  };
}

function httpOutbound(scope: ProxyScope, port: number): Obj {
  const name = `0.0.0.0_${port}`;
  return {
    "@type": Types.listener,
    name,
    address: socket("0.0.0.0", port),
    bind_to_port: { value: false },
    traffic_direction: "OUTBOUND",
    filter_chains: [
      {
        filters: [
          {
            name: FilterNames.hcm,
            typed_config: {
              "@type": Types.hcm,
              stat_prefix: `outbound_${name}`,
              rds: { route_config_name: String(port), config_source: ADS_SOURCE },
              http_filters: httpFilters(),
              use_remote_address: { value: false },
            },
          },
        ],
      },
    ],
    default_filter_chain: passthroughChain(scope, "PassthroughFilterChain"),
  };
}

function tcpOutbound(
  scope: ProxyScope,
  address: string,
  port: ServicePortInfo,
  cluster: string,
): Obj {
  return {
    "@type": Types.listener,
    name: `${address}_${port.port}`,
    address: socket(address, port.port),
    bind_to_port: { value: false },
    traffic_direction: "OUTBOUND",
    filter_chains: [{ filters: [tcpProxy(cluster)] }],
    default_filter_chain: passthroughChain(scope, "PassthroughFilterChain"),
  };
}

function outboundListeners(scope: ProxyScope): Obj[] {
  const byName = new Map<string, Obj>();
  for (const service of scope.services) {
    for (const port of service.ports) {
      if (port.protocol === "UDP") continue;
      if (routedOverHttp(port)) {
        const name = `0.0.0.0_${port.port}`;
        if (!byName.has(name)) byName.set(name, httpOutbound(scope, port.port));
        continue;
      }
      // TCP needs a destination IP to tell services apart; without a VIP Istio binds 0.0.0.0.
      const vip = service.addresses.find(a => !a.includes("/") && !a.includes(":")) ?? "0.0.0.0";
      const name = `${vip}_${port.port}`;
      if (!byName.has(name))
        byName.set(
          name,
          tcpOutbound(scope, vip, port, clusterName("outbound", port.port, "", service.hostname)),
        );
    }
  }
  return [...byName.keys()].sort().map(k => byName.get(k)!);
}

function virtualInbound(scope: ProxyScope): Obj {
  const chains = inboundPorts(scope).map(p => {
    const cluster = clusterName("inbound", p.targetPort);
    const match = { destination_port: { value: p.targetPort } };
    if (!routedOverHttp(p.port)) {
      return { name: cluster, filter_chain_match: match, filters: [tcpProxy(cluster)] };
    }
    return {
      name: cluster,
      filter_chain_match: match,
      filters: [
        {
          name: FilterNames.hcm,
          typed_config: {
            "@type": Types.hcm,
            stat_prefix: `inbound_0.0.0.0_${p.targetPort}`,
            route_config: {
              name: cluster,
              validate_clusters: { value: false },
              virtual_hosts: [
                {
                  name: `inbound|http|${p.port.port}`,
                  domains: ["*"],
                  routes: [
                    {
                      name: "default",
                      match: { prefix: "/" },
                      route: { cluster, timeout: msDuration(0), max_grpc_timeout: msDuration(0) },
                    },
                  ],
                },
              ],
            },
            http_filters: httpFilters(),
          },
        },
      ],
    };
  });
  return {
    "@type": Types.listener,
    name: "virtualInbound",
    address: socket("0.0.0.0", VIRTUAL_INBOUND_PORT),
    traffic_direction: "INBOUND",
    filter_chains: chains,
    default_filter_chain: {
      name: "virtualInbound-catchall-tcp",
      filters: [tcpProxy(INBOUND_PASSTHROUGH_CLUSTER)],
    },
  };
}

/** Every listener of an Envoy sidecar. */
export function sidecarListeners(scope: ProxyScope): Obj[] {
  return [virtualOutbound(scope), ...outboundListeners(scope), virtualInbound(scope)];
}
