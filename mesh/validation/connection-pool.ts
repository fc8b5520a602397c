/**
 * Connection pool settings (DestinationRule traffic policies, Sidecar inbound pools).
 * Rules: Istio's validateConnectionPool.
 * https://istio.io/latest/docs/reference/config/networking/destination-rule/#ConnectionPoolSettings
 */
import type { ConnectionPoolSettings } from "../../mesh/api/traffic-policy";
import { checkDurationField } from "./context";
import { at, type Report } from "./diagnostic";
import { parseDuration } from "./durations";

function nonNegative(report: Report, path: string, value: number | undefined, what: string): void {
  if (value !== undefined && value < 0) report.error(path, `${what} must be non-negative`);
}

/** Checks a connection pool; an empty one is refused because it is surely a mistake. */
export function checkConnectionPool(
  report: Report,
  path: string,
  pool: ConnectionPoolSettings | undefined,
): void {
  if (pool === undefined) return;
  if (pool.http === undefined && pool.tcp === undefined) {
    report.error(path, "connection pool must have at least one field");
    return;
  }
  const http = pool.http;
  if (http) {
    const p = at(path, "http");
    nonNegative(
      report,
      at(p, "http1MaxPendingRequests"),
      http.http1MaxPendingRequests,
      "http1 max pending requests",
    );
    nonNegative(report, at(p, "http2MaxRequests"), http.http2MaxRequests, "http2 max requests");
    nonNegative(
      report,
      at(p, "maxRequestsPerConnection"),
      http.maxRequestsPerConnection,
      "max requests per connection",
    );
    nonNegative(report, at(p, "maxRetries"), http.maxRetries, "max retries");
    nonNegative(
      report,
      at(p, "maxConcurrentStreams"),
      http.maxConcurrentStreams,
      "max concurrent streams",
    );
    checkDurationField(report, at(p, "idleTimeout"), http.idleTimeout);
    if (http.h2UpgradePolicy === "UPGRADE" && http.useClientProtocol) {
      report.error(p, "use client protocol must not be true when H2UpgradePolicy is UPGRADE");
    }
    const ka = http.http2KeepAlive;
    if (ka) {
      const k = at(p, "http2KeepAlive");
      if (ka.interval === undefined)
        report.error(at(k, "interval"), "http2 keepalive interval is required");
      else checkDurationField(report, at(k, "interval"), ka.interval);
      if (ka.timeout === undefined)
        report.error(at(k, "timeout"), "http2 keepalive timeout is required");
      else checkDurationField(report, at(k, "timeout"), ka.timeout);
    }
  }
  const tcp = pool.tcp;
  if (tcp) {
    const p = at(path, "tcp");
    nonNegative(report, at(p, "maxConnections"), tcp.maxConnections, "max connections");
    checkDurationField(report, at(p, "connectTimeout"), tcp.connectTimeout);
    checkDurationField(report, at(p, "maxConnectionDuration"), tcp.maxConnectionDuration);
    // 0s disables the idle timeout entirely, so it is allowed here. Istio tests the whole
    // milliseconds (Go's Duration.Milliseconds truncates), so anything under 1ms in size passes.
    const idleNs = tcp.idleTimeout === undefined ? undefined : parseDuration(tcp.idleTimeout);
    if (tcp.idleTimeout !== undefined && (idleNs === undefined || Math.trunc(idleNs / 1e6) !== 0)) {
      checkDurationField(report, at(p, "idleTimeout"), tcp.idleTimeout);
    }
    if (tcp.tcpKeepalive) {
      checkDurationField(report, at(p, "tcpKeepalive.time"), tcp.tcpKeepalive.time);
      checkDurationField(report, at(p, "tcpKeepalive.interval"), tcp.tcpKeepalive.interval);
    }
  }
}
