/**
 * TrafficPolicy: resilience settings for calls to one service — timeouts and retries (a
 * VirtualService), connection limits and outlier ejection, i.e. circuit breaking (a
 * DestinationRule). Istio applies one VirtualService per host, so do not combine this with a
 * Canary or MeshGateway route for the same host when `timeout` or `retries` are set.
 */
import type { Duration } from "cdk8s";
import { Construct } from "constructs";
import {
  DestinationRule,
  type DestinationRuleSpecTrafficPolicy,
} from "./generated/destination-rule";
import { VirtualService } from "./generated/virtual-service";
import { protoDuration } from "./lib/durations";
import { checkProp, intInRange } from "./lib/errors";
import { hostOf, portOf, type Backend } from "./lib/hosts";
import { validateWithMesh, type ProducedObject } from "./lib/mesh-validation";

/** How failed requests are retried. */
export interface RetryPolicy {
  /** Attempts after the first one. */
  readonly attempts: number;
  /**
   * Timeout of each attempt.
   * @default - the route timeout
   */
  readonly perTryTimeout?: Duration;
  /**
   * Envoy's retry conditions (`5xx,connect-failure,…`).
   * @default "connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes"
   */
  readonly retryOn?: string;
}

/** Connection limits: requests beyond them fail fast instead of piling up. */
export interface CircuitBreaker {
  /**
   * Most TCP connections to the service, per proxy.
   * @default - Envoy's default (2^32-1)
   */
  readonly maxConnections?: number;
  /**
   * Most requests waiting for a connection.
   * @default - Envoy's default
   */
  readonly maxPendingRequests?: number;
  /**
   * Most requests in flight (HTTP/2) to the service.
   * @default - Envoy's default
   */
  readonly maxRequests?: number;
  /**
   * Most concurrent retries.
   * @default - Envoy's default
   */
  readonly maxRetries?: number;
}

/** Ejection of endpoints that keep failing. */
export interface OutlierPolicy {
  /**
   * Consecutive 5xx responses before an endpoint is ejected.
   * @default 5
   */
  readonly consecutive5xxErrors?: number;
  /**
   * Time between ejection sweeps.
   * @default 10s
   */
  readonly interval?: Duration;
  /**
   * Minimum ejection time (grows with each ejection).
   * @default 30s
   */
  readonly baseEjectionTime?: Duration;
  /**
   * Most endpoints ejected at once, in percent.
   * @default 10
   */
  readonly maxEjectionPercent?: number;
}

/** Props of {@link TrafficPolicy}. */
export interface TrafficPolicyProps {
  /** The service the policy applies to: a cdk8s-plus Service or Deployment, or a host name. */
  readonly service: Backend;
  /**
   * Timeout of a request, retries included.
   * @default - none (Istio's default)
   */
  readonly timeout?: Duration;
  /**
   * Retries of failed requests.
   * @default - Istio's default (2 attempts)
   */
  readonly retries?: RetryPolicy;
  /**
   * Connection limits.
   * @default - Envoy's defaults
   */
  readonly circuitBreaker?: CircuitBreaker;
  /**
   * Ejection of failing endpoints.
   * @default - no outlier detection
   */
  readonly outlierDetection?: OutlierPolicy;
  /**
   * Name of the DestinationRule and VirtualService.
   * @default - names cdk8s generates
   */
  readonly name?: string;
}

/** Timeouts, retries and circuit breaking for one service. */
export class TrafficPolicy extends Construct {
  /** The DestinationRule, when `circuitBreaker` or `outlierDetection` is set. */
  public readonly destinationRule?: DestinationRule;
  /** The VirtualService, when `timeout` or `retries` is set. */
  public readonly virtualService?: VirtualService;

  /** @see TrafficPolicyProps */
  public constructor(scope: Construct, id: string, props: TrafficPolicyProps) {
    super(scope, id);
    if (!props.timeout && !props.retries && !props.circuitBreaker && !props.outlierDetection) {
      checkProp(
        this,
        "service",
        "needs at least one of timeout, retries, circuitBreaker, outlierDetection",
      );
    }
    const host = hostOf(props.service);
    const metadata = props.name !== undefined ? { name: props.name } : {};
    const policy = this.trafficPolicy(props);
    if (policy)
      this.destinationRule = new DestinationRule(this, "Policy", {
        metadata,
        spec: { host, trafficPolicy: policy },
      });
    if (props.timeout || props.retries) {
      if (props.retries)
        checkProp(this, "retries.attempts", intInRange(props.retries.attempts, 0, 1000));
      const port = portOf(props.service);
      const retries = props.retries && {
        attempts: props.retries.attempts,
        ...(props.retries.perTryTimeout
          ? { perTryTimeout: protoDuration(props.retries.perTryTimeout) }
          : {}),
        ...(props.retries.retryOn !== undefined ? { retryOn: props.retries.retryOn } : {}),
      };
      this.virtualService = new VirtualService(this, "Routes", {
        metadata,
        spec: {
          hosts: [host],
          http: [
            {
              route: [
                {
                  destination: { host, ...(port !== undefined ? { port: { number: port } } : {}) },
                },
              ],
              ...(props.timeout ? { timeout: protoDuration(props.timeout) } : {}),
              ...(retries ? { retries } : {}),
            },
          ],
        },
      });
    }
    const { destinationRule: dr, virtualService: vs } = this;
    validateWithMesh(this, () => {
      const out: ProducedObject[] = [];
      if (dr)
        out.push({
          object: dr,
          props: [
            ["spec.trafficPolicy.connectionPool", "circuitBreaker"],
            ["spec.trafficPolicy.outlierDetection", "outlierDetection"],
            ["spec.host", "service"],
          ],
        });
      if (vs)
        out.push({
          object: vs,
          props: [
            ["spec.http[0].retries", "retries"],
            ["spec.http[0].timeout", "timeout"],
            ["spec", "service"],
          ],
        });
      return out;
    });
  }

  private trafficPolicy(props: TrafficPolicyProps): DestinationRuleSpecTrafficPolicy | undefined {
    const cb = props.circuitBreaker;
    const od = props.outlierDetection;
    if (!cb && !od) return undefined;
    const count = (prop: string, v: number | undefined) => {
      if (v !== undefined) checkProp(this, prop, intInRange(v, 1, 2 ** 31 - 1));
      return v;
    };
    const http = cb && {
      http1MaxPendingRequests: count("circuitBreaker.maxPendingRequests", cb.maxPendingRequests),
      http2MaxRequests: count("circuitBreaker.maxRequests", cb.maxRequests),
      maxRetries: count("circuitBreaker.maxRetries", cb.maxRetries),
    };
    const tcp =
      cb?.maxConnections !== undefined
        ? { maxConnections: count("circuitBreaker.maxConnections", cb.maxConnections) }
        : undefined;
    if (od?.maxEjectionPercent !== undefined)
      checkProp(
        this,
        "outlierDetection.maxEjectionPercent",
        intInRange(od.maxEjectionPercent, 0, 100),
      );
    return {
      ...(cb ? { connectionPool: { http, ...(tcp ? { tcp } : {}) } } : {}),
      ...(od
        ? {
            outlierDetection: {
              consecutive5xxErrors: od.consecutive5xxErrors ?? 5,
              interval: od.interval ? protoDuration(od.interval) : "10s",
              baseEjectionTime: od.baseEjectionTime ? protoDuration(od.baseEjectionTime) : "30s",
              maxEjectionPercent: od.maxEjectionPercent ?? 10,
            },
          }
        : {}),
    };
  }
}
