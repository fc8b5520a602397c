/**
 * VirtualService: routing rules for traffic addressed to a set of hosts.
 * https://istio.io/latest/docs/reference/config/networking/virtual-service/
 */
import { Destination, Headers, Percent, StringMatch } from "./common";
import {
  array,
  boolean,
  duration,
  enumOf,
  int32,
  map,
  object,
  req,
  string,
  uint32,
  type Infer,
} from "./schema";

/** Conditions on an HTTP request; all set fields must match. */
export const HttpMatchRequest = object({
  authority: StringMatch,
  gateways: array(string()),
  headers: map(StringMatch),
  ignoreUriCase: boolean(),
  method: StringMatch,
  name: string(),
  port: uint32(),
  queryParams: map(StringMatch),
  scheme: StringMatch,
  sourceLabels: map(string()),
  sourceNamespace: string(),
  statPrefix: string(),
  uri: StringMatch,
  withoutHeaders: map(StringMatch),
});
/** @see HttpMatchRequest */
export type HttpMatchRequest = Infer<typeof HttpMatchRequest>;

/** A weighted HTTP destination. */
export const HttpRouteDestination = object({
  destination: req(Destination),
  headers: Headers,
  weight: int32(),
});
/** @see HttpRouteDestination */
export type HttpRouteDestination = Infer<typeof HttpRouteDestination>;

/** A weighted TCP/TLS destination. */
export const RouteDestination = object({ destination: req(Destination), weight: int32() });
/** @see RouteDestination */
export type RouteDestination = Infer<typeof RouteDestination>;

/** An HTTP redirect response. */
export const HttpRedirect = object(
  {
    authority: string(),
    derivePort: enumOf(["FROM_PROTOCOL_DEFAULT", "FROM_REQUEST_PORT"]),
    port: uint32(),
    prefixRewrite: string(),
    redirectCode: uint32(),
    scheme: string(),
    uri: string(),
  },
  { oneOf: [["port", "derivePort"]] },
);
/** @see HttpRedirect */
export type HttpRedirect = Infer<typeof HttpRedirect>;

/** A fixed response returned without forwarding. */
export const HttpDirectResponse = object({
  body: object(
    { bytes: string({ format: "byte" }), string: string() },
    { oneOf: [["string", "bytes"]] },
  ),
  status: req(uint32()),
});

/** Faults injected into matching requests. */
export const HttpFaultInjection = object({
  abort: object(
    { grpcStatus: string(), http2Error: string(), httpStatus: int32(), percentage: Percent },
    { oneOf: [["httpStatus", "grpcStatus", "http2Error"]] },
  ),
  delay: object(
    {
      exponentialDelay: duration(),
      fixedDelay: duration(),
      percent: int32({ deprecated: true }),
      percentage: Percent,
    },
    { oneOf: [["fixedDelay", "exponentialDelay"]] },
  ),
});

/** A mirror target with its share of traffic. */
export const HttpMirrorPolicy = object({ destination: req(Destination), percentage: Percent });

/** Retry policy. */
export const HttpRetry = object({
  attempts: int32(),
  backoff: duration(),
  perTryTimeout: duration(),
  retryIgnorePreviousHosts: boolean(),
  retryOn: string(),
  retryRemoteLocalities: boolean(),
});
/** @see HttpRetry */
export type HttpRetry = Infer<typeof HttpRetry>;

/** URI and authority rewrites. */
export const HttpRewrite = object({
  authority: string(),
  uri: string(),
  uriRegexRewrite: object({ match: string(), rewrite: string() }),
});

/** Cross-origin resource sharing policy. */
export const CorsPolicy = object({
  allowCredentials: boolean(),
  allowHeaders: array(string()),
  allowMethods: array(string()),
  allowOrigin: array(string(), { deprecated: true }),
  allowOrigins: array(StringMatch),
  exposeHeaders: array(string()),
  maxAge: duration(),
  unmatchedPreflights: enumOf(["UNSPECIFIED", "FORWARD", "IGNORE"]),
});

/** One HTTP routing rule. */
export const HttpRoute = object({
  corsPolicy: CorsPolicy,
  delegate: object({ name: string(), namespace: string() }),
  directResponse: HttpDirectResponse,
  fault: HttpFaultInjection,
  headers: Headers,
  match: array(HttpMatchRequest),
  mirror: Destination,
  mirror_percent: uint32({ deprecated: true }),
  mirrorPercent: uint32({ deprecated: true }),
  mirrorPercentage: Percent,
  mirrors: array(HttpMirrorPolicy),
  name: string(),
  redirect: HttpRedirect,
  retries: HttpRetry,
  rewrite: HttpRewrite,
  route: array(HttpRouteDestination),
  timeout: duration(),
});
/** @see HttpRoute */
export type HttpRoute = Infer<typeof HttpRoute>;

/** Conditions on a TLS connection (SNI routing). */
export const TlsMatchAttributes = object({
  destinationSubnets: array(string()),
  gateways: array(string()),
  port: uint32(),
  sniHosts: req(array(string())),
  sourceLabels: map(string()),
  sourceNamespace: string(),
});

/** Conditions on a TCP connection. */
export const L4MatchAttributes = object({
  destinationSubnets: array(string()),
  gateways: array(string()),
  port: uint32(),
  sourceLabels: map(string()),
  sourceNamespace: string(),
  sourceSubnet: string(),
});

/** One TLS routing rule. */
export const TlsRoute = object({
  match: req(array(TlsMatchAttributes)),
  route: array(RouteDestination),
});
/** @see TlsRoute */
export type TlsRoute = Infer<typeof TlsRoute>;

/** One TCP routing rule. */
export const TcpRoute = object({ match: array(L4MatchAttributes), route: array(RouteDestination) });
/** @see TcpRoute */
export type TcpRoute = Infer<typeof TcpRoute>;

/** The VirtualService spec. */
export const VirtualServiceSpec = object(
  {
    exportTo: array(string(), {
      description: "Namespaces to which this virtual service is exported.",
    }),
    gateways: array(string(), {
      description: "Gateways and sidecars that should apply these routes.",
    }),
    hosts: array(string(), {
      description: "The destination hosts to which traffic is being sent.",
    }),
    http: array(HttpRoute, { description: "An ordered list of route rules for HTTP traffic." }),
    tcp: array(TcpRoute, { description: "An ordered list of route rules for opaque TCP traffic." }),
    tls: array(TlsRoute, {
      description: "An ordered list of route rules for TLS and HTTPS traffic.",
    }),
  },
  {
    description:
      "Configuration affecting label/content routing, sni routing, etc. See https://istio.io/docs/reference/config/networking/virtual-service.html",
  },
);
/** @see VirtualServiceSpec */
export type VirtualServiceSpec = Infer<typeof VirtualServiceSpec>;
