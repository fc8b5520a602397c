/**
 * Upstream traffic policy: connection pools, load balancing, outlier detection, TLS, tunnels.
 * https://istio.io/latest/docs/reference/config/networking/destination-rule/#TrafficPolicy
 */
import { PortSelector } from "./common";
import {
  array,
  boolean,
  double,
  duration,
  enumOf,
  int32,
  map,
  object,
  req,
  string,
  uint32,
  uint64,
  type Infer,
} from "./schema";
import { ClientTlsSettings } from "./tls";

/** Connection limits to an upstream (also used by Sidecar inbound pools). */
export const ConnectionPoolSettings = object({
  http: object({
    h2UpgradePolicy: enumOf(["DEFAULT", "DO_NOT_UPGRADE", "UPGRADE"]),
    http1MaxPendingRequests: int32(),
    http2KeepAlive: object({ interval: duration(), timeout: duration() }),
    http2MaxRequests: int32(),
    idleTimeout: duration(),
    maxConcurrentStreams: int32(),
    maxRequestsPerConnection: int32(),
    maxRetries: int32(),
    useClientProtocol: boolean(),
  }),
  tcp: object({
    connectTimeout: duration(),
    idleTimeout: duration(),
    maxConnectionDuration: duration(),
    maxConnections: int32(),
    tcpKeepalive: object({ interval: duration(), probes: uint32(), time: duration() }),
  }),
});
/** @see ConnectionPoolSettings */
export type ConnectionPoolSettings = Infer<typeof ConnectionPoolSettings>;

const Failover = object({ from: string(), to: string() });

/** Locality-weighted load balancing and failover. */
export const LocalityLbSetting = object({
  distribute: array(object({ from: string(), to: map(uint32()) })),
  enabled: boolean(),
  failover: array(Failover),
  failoverPriority: array(string()),
});
/** @see LocalityLbSetting */
export type LocalityLbSetting = Infer<typeof LocalityLbSetting>;

/** Zone-aware load balancing (Envoy's zone aware routing). */
export const ZoneAwareLbSetting = object({
  enabled: boolean(),
  failover: array(Failover),
  failoverPriority: array(string()),
  minClusterSize: uint32({ minimum: 1 }),
});

/** Consistent-hash (session affinity) load balancing. */
export const ConsistentHashLb = object(
  {
    httpCookie: object({
      attributes: array(object({ name: req(string()), value: string() })),
      name: req(string()),
      path: string(),
      ttl: duration(),
    }),
    httpHeaderName: string(),
    httpQueryParameterName: string(),
    maglev: object({ tableSize: uint64() }),
    minimumRingSize: uint64({ deprecated: true }),
    ringHash: object({ minimumRingSize: uint64() }),
    useSourceIp: boolean(),
  },
  {
    oneOf: [
      ["httpHeaderName", "httpCookie", "useSourceIp", "httpQueryParameterName"],
      ["ringHash", "maglev"],
    ],
  },
);

/** Load-balancing policy. */
export const LoadBalancerSettings = object(
  {
    backendUtilization: object({
      errorUtilizationPenaltyPercent: uint32(),
      metricNamesForComputingUtilization: array(string()),
      weightExpirationPeriod: duration(),
      weightStabilizationPeriod: duration(),
      weightUpdatePeriod: duration(),
    }),
    consistentHash: ConsistentHashLb,
    localityLbSetting: LocalityLbSetting,
    simple: enumOf([
      "UNSPECIFIED",
      "LEAST_CONN",
      "RANDOM",
      "PASSTHROUGH",
      "ROUND_ROBIN",
      "LEAST_REQUEST",
    ]),
    warmup: object({
      aggression: double({ minimum: 0 }),
      duration: req(duration()),
      minimumPercent: double({ minimum: 0, maximum: 100 }),
    }),
    warmupDurationSecs: duration({ deprecated: true }),
    zoneAwareLbSetting: ZoneAwareLbSetting,
  },
  { oneOf: [["simple", "consistentHash", "backendUtilization"]] },
);
/** @see LoadBalancerSettings */
export type LoadBalancerSettings = Infer<typeof LoadBalancerSettings>;

/** Ejection of unhealthy hosts. */
export const OutlierDetection = object({
  baseEjectionTime: duration(),
  consecutive5xxErrors: uint32(),
  consecutiveErrors: int32({ deprecated: true }),
  consecutiveGatewayErrors: uint32(),
  consecutiveLocalOriginFailures: uint32(),
  interval: duration(),
  maxEjectionPercent: int32(),
  minHealthPercent: int32(),
  outlierDetectionHttpErrorCodes: array(uint32({ minimum: 100, maximum: 599 })),
  splitExternalLocalOriginErrors: boolean(),
});
/** @see OutlierDetection */
export type OutlierDetection = Infer<typeof OutlierDetection>;

/** A traffic policy for one port of the destination. */
export const PortTrafficPolicy = object({
  connectionPool: ConnectionPoolSettings,
  loadBalancer: LoadBalancerSettings,
  outlierDetection: OutlierDetection,
  port: PortSelector,
  tls: ClientTlsSettings,
});
/** @see PortTrafficPolicy */
export type PortTrafficPolicy = Infer<typeof PortTrafficPolicy>;

/** Policies applied to traffic to a destination (or one subset of it). */
export const TrafficPolicy = object({
  connectionPool: ConnectionPoolSettings,
  loadBalancer: LoadBalancerSettings,
  outlierDetection: OutlierDetection,
  portLevelSettings: array(PortTrafficPolicy, { maxItems: 4096 }),
  proxyProtocol: object({ version: enumOf(["V1", "V2"]) }),
  retryBudget: object({
    budgetInterval: duration(),
    minRetryConcurrency: uint32(),
    percent: double({ minimum: 0, maximum: 100 }),
  }),
  tls: ClientTlsSettings,
  tunnel: object({
    protocol: string({ description: "CONNECT or POST." }),
    targetHost: req(string()),
    targetPort: req(uint32()),
  }),
});
/** @see TrafficPolicy */
export type TrafficPolicy = Infer<typeof TrafficPolicy>;
