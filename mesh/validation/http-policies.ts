/**
 * CORS and fault injection policies of a VirtualService HTTP route. Rules: Istio's
 * validateCORSPolicy and validateHTTPFaultInjection.
 * https://istio.io/latest/docs/reference/config/networking/virtual-service/#CorsPolicy
 * https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPFaultInjection
 */
import type { Percent } from "../../mesh/api/common";
import type { HttpRoute } from "../../mesh/api/virtual-service";
import { checkDurationField } from "./context";
import { at, idx, type Report } from "./diagnostic";
import { parseDuration } from "./durations";
import { checkCorsHeaderName } from "./headers";
import { checkStringMatchRegex } from "./http-match";

const CORS_METHODS = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "CONNECT",
  "OPTIONS",
  "TRACE",
  "*",
]);
const GRPC_STATUS = new Set([
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
]);
function checkPercentage(report: Report, path: string, p: Percent | undefined): void {
  const v = p?.value ?? 0;
  if (v < 0 || v > 100 || (v > 0 && v < 0.0001))
    report.error(at(path, "value"), `percentage ${v} is neither 0.0, nor in range [0.0001, 100.0]`);
}

/** An HTTP status in 200..600 (Istio's bound is inclusive of 600 although its message says 599). */
export function checkHttpStatus(report: Report, path: string, status: number): void {
  if (status < 200 || status > 600)
    report.error(path, `HTTP status ${status} is not in range 200-599`);
}

/** Checks a CORS policy. */
export function checkCors(report: Report, path: string, cors: HttpRoute["corsPolicy"]): void {
  if (!cors) return;
  (cors.allowOrigins ?? []).forEach((o, i) => {
    const p = idx(at(path, "allowOrigins"), i);
    const value = o.exact ?? o.prefix ?? o.regex ?? "";
    if (value === "")
      report.error(p, `'${value}' is not a valid match type for CORS allow origins`);
    else checkStringMatchRegex(report, p, o);
  });
  (cors.allowMethods ?? []).forEach((m, i) => {
    if (!CORS_METHODS.has(m))
      report.error(
        idx(at(path, "allowMethods"), i),
        `${JSON.stringify(m)} is not a supported HTTP method`,
      );
  });
  (cors.allowHeaders ?? []).forEach((h, i) =>
    report.check(idx(at(path, "allowHeaders"), i), checkCorsHeaderName(h)),
  );
  (cors.exposeHeaders ?? []).forEach((h, i) =>
    report.check(idx(at(path, "exposeHeaders"), i), checkCorsHeaderName(h)),
  );
  if (cors.maxAge !== undefined) {
    checkDurationField(report, at(path, "maxAge"), cors.maxAge);
    const ns = parseDuration(cors.maxAge);
    // Access-Control-Max-Age is whole seconds.
    if (ns !== undefined && ns >= 1e6 && Math.round(ns) % 1e9 !== 0) {
      report.error(at(path, "maxAge"), "max_age duration is accurate only to seconds precision");
    }
  }
}

/** Checks fault injection (abort and delay). */
export function checkFault(report: Report, path: string, fault: HttpRoute["fault"]): void {
  if (!fault) return;
  if (!fault.abort && !fault.delay)
    report.error(path, "HTTP fault injection must have an abort and/or a delay");
  const abort = fault.abort;
  if (abort) {
    const p = at(path, "abort");
    checkPercentage(report, at(p, "percentage"), abort.percentage);
    if (abort.grpcStatus !== undefined) {
      if (!GRPC_STATUS.has(abort.grpcStatus)) {
        report.error(
          at(p, "grpcStatus"),
          `gRPC status ${JSON.stringify(abort.grpcStatus)} is not supported. See https://github.com/grpc/grpc/blob/master/doc/statuscodes.md for a list of supported codes, for example 'NOT_FOUND'`,
        );
      }
    } else if (abort.http2Error !== undefined) {
      report.error(at(p, "http2Error"), "HTTP/2 abort fault injection not supported yet");
    } else if (abort.httpStatus !== undefined) {
      checkHttpStatus(report, at(p, "httpStatus"), abort.httpStatus);
    } else {
      report.warn(p, "abort configured, but error type not set");
    }
  }
  const delay = fault.delay;
  if (delay) {
    const p = at(path, "delay");
    checkPercentage(report, at(p, "percentage"), delay.percentage);
    checkDurationField(report, at(p, "fixedDelay"), delay.fixedDelay);
    if (delay.exponentialDelay !== undefined) {
      checkDurationField(report, at(p, "exponentialDelay"), delay.exponentialDelay);
      report.error(at(p, "exponentialDelay"), "exponentialDelay not supported yet");
    }
  }
}
