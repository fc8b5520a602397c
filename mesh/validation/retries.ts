/**
 * HTTP retry policies. Rules: Istio's agent.ValidateHTTPRetry; retry conditions are Envoy's
 * (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_filters/router_filter#x-envoy-retry-on).
 */
import type { HttpRetry } from "../../mesh/api/virtual-service";
import { checkDurationField } from "./context";
import { at, type Report } from "./diagnostic";

const RETRY_ON = new Set([
  "5xx",
  "gateway-error",
  "reset",
  "reset-before-request",
  "connect-failure",
  "retriable-4xx",
  "refused-stream",
  "retriable-status-codes",
  "retriable-headers",
  "envoy-ratelimited",
  "http3-post-connect-failure",
  "cancelled",
  "deadline-exceeded",
  "internal",
  "resource-exhausted",
  "unavailable",
]);

// HTTP status codes Go's net/http knows a text for; Istio accepts those as retry conditions.
const KNOWN_STATUS = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304,
  305, 307, 308, 400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415,
  416, 417, 418, 421, 422, 423, 424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505,
  506, 507, 508, 510, 511,
]);

/** Checks a retry policy. */
export function checkRetries(report: Report, path: string, retries: HttpRetry | undefined): void {
  if (!retries) return;
  const attempts = retries.attempts ?? 0;
  if (attempts < 0) report.error(at(path, "attempts"), "attempts cannot be negative");
  if (
    attempts === 0 &&
    (retries.perTryTimeout !== undefined ||
      retries.retryOn ||
      retries.retryRemoteLocalities !== undefined)
  ) {
    report.error(path, "http retry policy configured when attempts are set to 0 (disabled)");
  }
  checkDurationField(report, at(path, "perTryTimeout"), retries.perTryTimeout);
  if (retries.retryOn) {
    for (const policy of retries.retryOn.split(",")) {
      const code = /^[+-]?\d+$/.test(policy) ? Number(policy) : NaN;
      if (!KNOWN_STATUS.has(code) && !RETRY_ON.has(policy)) {
        report.error(
          at(path, "retryOn"),
          `${JSON.stringify(policy)} is not a valid retryOn policy`,
        );
      }
    }
  }
  checkDurationField(report, at(path, "backoff"), retries.backoff);
}
