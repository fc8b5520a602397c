/**
 * The xDS resource types Rigging serves, by type URL, and the order ADS sends them in.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#resource-types
 */

/** Type URL prefix every xDS resource carries inside `google.protobuf.Any`. */
export const TYPE_URL_PREFIX = "type.googleapis.com/";

/** Type URLs of the five resource types an ADS stream carries. */
export const TypeUrl = {
  cluster: "type.googleapis.com/envoy.config.cluster.v3.Cluster",
  endpoint: "type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment",
  listener: "type.googleapis.com/envoy.config.listener.v3.Listener",
  route: "type.googleapis.com/envoy.config.route.v3.RouteConfiguration",
  secret: "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret",
} as const;

/** One of the served type URLs. */
export type XdsTypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

/**
 * ADS push order: CDS, EDS, LDS, RDS (then SDS, as istiod does). Clusters before their
 * endpoints and listeners before their routes, so a proxy never warms a resource whose
 * dependency it has not yet received ("eventual consistency considerations").
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#eventual-consistency-considerations
 */
export const ADS_ORDER: readonly XdsTypeUrl[] = [
  TypeUrl.cluster,
  TypeUrl.endpoint,
  TypeUrl.listener,
  TypeUrl.route,
  TypeUrl.secret,
];

/** Short names used in logs, metrics labels and `rig proxy-status` columns. */
export const TYPE_SHORT_NAME: Readonly<Record<XdsTypeUrl, string>> = {
  [TypeUrl.cluster]: "CDS",
  [TypeUrl.endpoint]: "EDS",
  [TypeUrl.listener]: "LDS",
  [TypeUrl.route]: "RDS",
  [TypeUrl.secret]: "SDS",
};

/** True when `typeUrl` is one of the five served types. */
export function isXdsTypeUrl(typeUrl: string): typeUrl is XdsTypeUrl {
  return Object.prototype.hasOwnProperty.call(TYPE_SHORT_NAME, typeUrl);
}

/**
 * In state-of-the-world, a Listener or Cluster missing from a response is deleted by the client,
 * so every response carries all subscribed resources of these types; RDS, EDS and SDS responses
 * may carry only some names.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#deleting-resources
 */
export function isFullStateType(typeUrl: string): boolean {
  return typeUrl === TypeUrl.listener || typeUrl === TypeUrl.cluster;
}

/** Name of the resource's message type inside the descriptor (the part after the last `/`). */
export function messageTypeName(typeUrl: string): string {
  return typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
}
