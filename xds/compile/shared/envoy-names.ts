/**
 * The one table of Envoy type URLs and filter names Rigging writes: the compiler, the
 * authorization builders (`xds/compile/security/`) and the generators `mesh/authz/` and
 * `mesh/authn/` share for `rig x explain` all read it. A leaf: it imports nothing.
 */
const T = "type.googleapis.com/";

/** Type URLs of the messages the compiler writes. */
export const Types = {
  listener: `${T}envoy.config.listener.v3.Listener`,
  route: `${T}envoy.config.route.v3.RouteConfiguration`,
  cluster: `${T}envoy.config.cluster.v3.Cluster`,
  endpoint: `${T}envoy.config.endpoint.v3.ClusterLoadAssignment`,
  secret: `${T}envoy.extensions.transport_sockets.tls.v3.Secret`,
  hcm: `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`,
  tcpProxy: `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`,
  router: `${T}envoy.extensions.filters.http.router.v3.Router`,
  fault: `${T}envoy.extensions.filters.http.fault.v3.HTTPFault`,
  cors: `${T}envoy.extensions.filters.http.cors.v3.Cors`,
  corsPolicy: `${T}envoy.extensions.filters.http.cors.v3.CorsPolicy`,
  httpProtocolOptions: `${T}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
  caresDnsResolver: `${T}envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig`,
  previousHostsPredicate: `${T}envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate`,
  previousPriorities: `${T}envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig`,
  httpRbac: `${T}envoy.extensions.filters.http.rbac.v3.RBAC`,
  networkRbac: `${T}envoy.extensions.filters.network.rbac.v3.RBAC`,
  httpExtAuthz: `${T}envoy.extensions.filters.http.ext_authz.v3.ExtAuthz`,
  networkExtAuthz: `${T}envoy.extensions.filters.network.ext_authz.v3.ExtAuthz`,
  uriTemplate: `${T}envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig`,
  jwtAuthn: `${T}envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication`,
} as const;

/** Istio's well-known filter names (istio/istio pkg/wellknown). */
export const FilterNames = {
  hcm: "envoy.filters.network.http_connection_manager",
  tcpProxy: "envoy.filters.network.tcp_proxy",
  router: "envoy.filters.http.router",
  fault: "envoy.filters.http.fault",
  cors: "envoy.filters.http.cors",
  httpRbac: "envoy.filters.http.rbac",
  networkRbac: "envoy.filters.network.rbac",
  httpExtAuthz: "envoy.filters.http.ext_authz",
  networkExtAuthz: "envoy.filters.network.ext_authz",
  jwtAuthn: "envoy.filters.http.jwt_authn",
} as const;
