/**
 * xDS server metrics on an injected prom-client registry (the module's `/metrics` registry in
 * production, a fresh one per test).
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** The metrics the xDS server updates. */
export interface XdsMetrics {
  /** Open xDS streams. */
  readonly connectedProxies: Gauge;
  /** Responses sent, by short type name (CDS, EDS, LDS, RDS, SDS). */
  readonly pushes: Counter<"type">;
  /** Seconds from the event that made a response due (snapshot or request) to writing it. */
  readonly pushLatency: Histogram<"type">;
  /** Seconds from that event to the proxy's ACK: how long a change takes to be applied. */
  readonly convergence: Histogram<"type">;
  /** NACKs received, by type. */
  readonly nacks: Counter<"type">;
  /** Requests that were not valid xDS (no node, unknown type), by reason. */
  readonly rejectedRequests: Counter<"reason">;
}

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Creates the xDS metrics and registers them on `registry`. */
export function createXdsMetrics(registry: Registry): XdsMetrics {
  const registers = [registry];
  return {
    connectedProxies: new Gauge({
      name: "rigging_xds_connected_proxies",
      help: "Open xDS streams",
      registers,
    }),
    pushes: new Counter({
      name: "rigging_xds_pushes_total",
      help: "xDS responses sent, by type",
      labelNames: ["type"],
      registers,
    }),
    pushLatency: new Histogram({
      name: "rigging_xds_push_latency_seconds",
      help: "Time from a snapshot change or request to the xDS response being written",
      labelNames: ["type"],
      buckets: BUCKETS,
      registers,
    }),
    convergence: new Histogram({
      name: "rigging_xds_convergence_seconds",
      help: "Time from a snapshot change or request to the proxy's ACK",
      labelNames: ["type"],
      buckets: BUCKETS,
      registers,
    }),
    nacks: new Counter({
      name: "rigging_xds_nacks_total",
      help: "xDS responses NACKed by proxies, by type",
      labelNames: ["type"],
      registers,
    }),
    rejectedRequests: new Counter({
      name: "rigging_xds_rejected_requests_total",
      help: "xDS requests that were not valid (missing node, unknown type), by reason",
      labelNames: ["reason"],
      registers,
    }),
  };
}
