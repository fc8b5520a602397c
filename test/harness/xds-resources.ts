/**
 * Builders for the small xDS resource sets the xDS tests serve: proxyless-gRPC client listeners
 * (`api_listener`), routes with weighted clusters, EDS clusters and endpoints on 127.0.0.1, and
 * `XdsServer` listeners under Istio's `xds.istio.io/grpc/lds/inbound/%s` template.
 */
import type { ResourceObject } from "../../xds/encode/encode-resource";

const T = "type.googleapis.com/";
const HCM = `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`;
const ROUTER = {
  name: "envoy.filters.http.router",
  typed_config: { "@type": `${T}envoy.extensions.filters.http.router.v3.Router` },
};

/** Istio's listener name template for proxyless gRPC servers. */
export const SERVER_LISTENER_TEMPLATE = "xds.istio.io/grpc/lds/inbound/%s";

/** A client-side listener for target `xds:///<name>` loading route config `routeName` over ADS. */
export function clientListener(name: string, routeName: string): ResourceObject {
  return {
    "@type": `${T}envoy.config.listener.v3.Listener`,
    name,
    api_listener: {
      api_listener: {
        "@type": HCM,
        stat_prefix: name,
        rds: {
          route_config_name: routeName,
          config_source: { ads: {}, resource_api_version: "V3" },
        },
        http_filters: [ROUTER],
      },
    },
  };
}

/** A route config sending every request for `domain` to clusters by weight. */
export function weightedRoute(
  name: string,
  domain: string,
  weights: Readonly<Record<string, number>>,
): ResourceObject {
  return {
    "@type": `${T}envoy.config.route.v3.RouteConfiguration`,
    name,
    virtual_hosts: [
      {
        name: domain,
        domains: [domain],
        routes: [
          {
            match: { prefix: "" },
            route: {
              weighted_clusters: {
                clusters: Object.entries(weights).map(([cluster, weight]) => ({
                  name: cluster,
                  weight: { value: weight },
                })),
              },
            },
          },
        ],
      },
    ],
  };
}

/** An EDS cluster whose endpoints come over ADS under its own name. */
export function edsCluster(name: string): ResourceObject {
  return {
    "@type": `${T}envoy.config.cluster.v3.Cluster`,
    name,
    type: "EDS",
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: "V3" } },
    lb_policy: "ROUND_ROBIN",
    connect_timeout: { seconds: 1 },
  };
}

/** Endpoints of `clusterName`: ports on 127.0.0.1, one locality. */
export function endpoints(clusterName: string, ports: readonly number[]): ResourceObject {
  return {
    "@type": `${T}envoy.config.endpoint.v3.ClusterLoadAssignment`,
    cluster_name: clusterName,
    endpoints: [
      {
        locality: { region: "local" },
        load_balancing_weight: { value: 1 },
        lb_endpoints: ports.map(port => ({
          endpoint: { address: { socket_address: { address: "127.0.0.1", port_value: port } } },
          health_status: "HEALTHY",
        })),
      },
    ],
  };
}

/** The listener an `XdsServer` bound on 127.0.0.1:`port` asks for, routing everything locally. */
export function serverListener(port: number, routeName: string): ResourceObject {
  return {
    "@type": `${T}envoy.config.listener.v3.Listener`,
    name: SERVER_LISTENER_TEMPLATE.replace("%s", `127.0.0.1:${port}`),
    address: { socket_address: { address: "127.0.0.1", port_value: port } },
    filter_chains: [
      {
        name: "inbound",
        filters: [
          {
            name: "envoy.filters.network.http_connection_manager",
            typed_config: {
              "@type": HCM,
              stat_prefix: "inbound",
              rds: {
                route_config_name: routeName,
                config_source: { ads: {}, resource_api_version: "V3" },
              },
              http_filters: [ROUTER],
            },
          },
        ],
      },
    ],
  };
}

/** The route config an `XdsServer` needs: every request handled locally (`non_forwarding_action`). */
export function serverRoute(name: string): ResourceObject {
  return {
    "@type": `${T}envoy.config.route.v3.RouteConfiguration`,
    name,
    virtual_hosts: [
      {
        name: "inbound",
        domains: ["*"],
        routes: [{ match: { prefix: "" }, non_forwarding_action: {} }],
      },
    ],
  };
}

/** An SDS secret holding a validation context (for the Delta/SotW tests; grpc-js-xds ignores SDS). */
export function rootCaSecret(name: string, pem: string): ResourceObject {
  return {
    "@type": `${T}envoy.extensions.transport_sockets.tls.v3.Secret`,
    name,
    validation_context: { trusted_ca: { inline_string: pem } },
  };
}
