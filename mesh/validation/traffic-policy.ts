/**
 * DestinationRule traffic policies (top level, per subset, per port).
 * Rules: Istio's validateTrafficPolicy, validateOutlierDetection, validatePortTrafficPolicies.
 * https://istio.io/latest/docs/reference/config/networking/destination-rule/#TrafficPolicy
 */
import type { OutlierDetection, TrafficPolicy } from "../../mesh/api/traffic-policy";
import { checkClientTls } from "./client-tls";
import { checkConnectionPool } from "./connection-pool";
import { checkDurationField } from "./context";
import { at, idx, type Report } from "./diagnostic";
import { checkFqdn } from "./hosts";
import { isIP } from "./ip";
import { checkLoadBalancer } from "./load-balancer";
import { checkPort } from "./ports";

function checkPercent(report: Report, path: string, value: number | undefined): void {
  if (value !== undefined && (value < 0 || value > 100))
    report.error(path, `percentage ${value} is not in range 0..100`);
}

/** Checks outlier detection. */
export function checkOutlierDetection(
  report: Report,
  path: string,
  od: OutlierDetection | undefined,
): void {
  if (od === undefined) return;
  checkDurationField(report, at(path, "baseEjectionTime"), od.baseEjectionTime);
  checkDurationField(report, at(path, "interval"), od.interval);
  if (od.consecutiveErrors !== undefined && od.consecutiveErrors !== 0) {
    report.warn(
      at(path, "consecutiveErrors"),
      "outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead",
    );
  }
  if (!od.splitExternalLocalOriginErrors && (od.consecutiveLocalOriginFailures ?? 0) > 0) {
    report.error(
      at(path, "consecutiveLocalOriginFailures"),
      "outlier detection consecutive local origin failures is specified, but split external local origin errors is set to false",
    );
  }
  checkPercent(report, at(path, "maxEjectionPercent"), od.maxEjectionPercent);
  checkPercent(report, at(path, "minHealthPercent"), od.minHealthPercent);
}

/** Checks a traffic policy of an object in `namespace`. */
export function checkTrafficPolicy(
  report: Report,
  path: string,
  namespace: string,
  tp: TrafficPolicy | undefined,
): void {
  if (tp === undefined) return;
  // protojson reads an empty list as unset, so `portLevelSettings: []` alone is an empty policy.
  if (Object.values(tp).every(v => Array.isArray(v) && v.length === 0)) {
    report.error(path, "traffic policy must have at least one field");
    return;
  }
  if (tp.tunnel && tp.proxyProtocol) {
    report.error(path, "tunnel and proxyProtocol must not be set together");
    return;
  }
  checkOutlierDetection(report, at(path, "outlierDetection"), tp.outlierDetection);
  checkConnectionPool(report, at(path, "connectionPool"), tp.connectionPool);
  checkLoadBalancer(report, at(path, "loadBalancer"), tp.loadBalancer, tp.outlierDetection);
  checkClientTls(report, at(path, "tls"), namespace, tp.tls);
  for (const [i, pl] of (tp.portLevelSettings ?? []).entries()) {
    const p = idx(at(path, "portLevelSettings"), i);
    if (pl.port === undefined)
      report.error(at(p, "port"), "portTrafficPolicy must have valid port");
    if (!pl.outlierDetection && !pl.connectionPool && !pl.loadBalancer && !pl.tls) {
      report.error(p, "port traffic policy must have at least one field");
      continue;
    }
    checkOutlierDetection(report, at(p, "outlierDetection"), pl.outlierDetection);
    checkConnectionPool(report, at(p, "connectionPool"), pl.connectionPool);
    checkLoadBalancer(report, at(p, "loadBalancer"), pl.loadBalancer, pl.outlierDetection);
    checkClientTls(report, at(p, "tls"), namespace, pl.tls);
  }
  const tunnel = tp.tunnel;
  if (tunnel) {
    const p = at(path, "tunnel");
    if (tunnel.protocol && tunnel.protocol !== "CONNECT" && tunnel.protocol !== "POST") {
      report.error(at(p, "protocol"), 'tunnel protocol must be "CONNECT" or "POST"');
    }
    const fqdn = checkFqdn(tunnel.targetHost);
    if (fqdn && !isIP(tunnel.targetHost)) {
      report.error(
        at(p, "targetHost"),
        `tunnel target host must be valid FQDN or IP address: ${fqdn}; ${tunnel.targetHost} is not a valid IP`,
      );
    }
    const port = checkPort(tunnel.targetPort);
    if (port) report.error(at(p, "targetPort"), `tunnel target port is invalid: ${port}`);
  }
  if (tp.retryBudget)
    checkDurationField(
      report,
      at(path, "retryBudget.budgetInterval"),
      tp.retryBudget.budgetInterval,
    );
}
