/**
 * One HTTP route of a VirtualService: what it does (route, redirect, direct response, delegate)
 * and the policies around it. Rules: Istio's validateHTTPRoute and its helpers
 * (pkg/config/validation/virtualservice.go, validation.go).
 * https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPRoute
 */
import type { HttpRoute } from "../../mesh/api/virtual-service";
import { checkDurationField } from "./context";
import { at, idx, type Report } from "./diagnostic";
import { checkDestination, checkHeaderManipulation, checkWeights } from "./destinations";
import { isAuthorityHeader } from "./headers";
import { checkHttpMatches } from "./http-match";
import { checkCors, checkFault, checkHttpStatus } from "./http-policies";
import { checkPort } from "./ports";
import { checkRegex } from "./regex";
import { checkRetries } from "./retries";

const KB = 1024;
const MB = 1024 * KB;

/** What kind of route this is: a delegate root, inside a delegate, or standalone. */
type RouteType = "root" | "delegate" | "independent";

function checkConflicts(report: Report, path: string, r: HttpRoute, type: RouteType): void {
  if (type === "root") {
    // A route that delegates may only carry matching and delegation.
    if (r.redirect) report.error(path, `root HTTP route ${r.name ?? ""} must not specify redirect`);
    if (r.route) report.error(path, `root HTTP route ${r.name ?? ""} must not specify route`);
    return;
  }
  if (type === "delegate" && r.delegate)
    report.error(at(path, "delegate"), "delegate HTTP route cannot contain delegate");
  const routes = r.route ?? [];
  if (r.redirect) {
    if (routes.length > 0) report.error(path, "HTTP route cannot contain both route and redirect");
    if (r.fault) report.error(path, "HTTP route cannot contain both fault and redirect");
    if (r.rewrite) report.error(path, "HTTP route rule cannot contain both rewrite and redirect");
    if (r.directResponse)
      report.error(path, "HTTP route rule cannot contain both direct_response and redirect");
  } else if (r.directResponse) {
    if (routes.length > 0)
      report.error(path, "HTTP route cannot contain both route and direct_response");
    if (r.fault) report.error(path, "HTTP route cannot contain both fault and direct_response");
    if (r.rewrite)
      report.error(path, "HTTP route rule cannot contain both rewrite and direct_response");
  } else if (routes.length === 0) {
    report.error(path, "HTTP route, redirect or direct_response is required");
  }
  if (r.mirror && (r.mirrors ?? []).length > 0)
    report.error(path, "HTTP route cannot contain both mirror and mirrors");
}

function checkRedirect(report: Report, path: string, r: HttpRoute): void {
  const redirect = r.redirect;
  if (!redirect) return;
  if (redirect.uri && redirect.prefixRewrite) {
    report.error(path, "redirect may only specify one of uri or prefix_rewrite");
    return;
  }
  if (
    redirect.prefixRewrite &&
    (r.match ?? []).some(m => m.uri !== undefined && m.uri.prefix === undefined)
  ) {
    report.error(
      at(path, "prefixRewrite"),
      "redirect prefix_rewrite requires all URI matches to use prefix match type",
    );
    return;
  }
  const hasPort = redirect.port !== undefined || redirect.derivePort !== undefined;
  if (
    !redirect.uri &&
    !redirect.prefixRewrite &&
    !redirect.authority &&
    !hasPort &&
    !redirect.scheme
  ) {
    report.error(path, "redirect must specify URI, authority, scheme, or port");
    return;
  }
  const code = redirect.redirectCode ?? 0;
  if (code !== 0 && (code < 300 || code > 399)) {
    report.error(at(path, "redirectCode"), `${code} is not a valid redirect code, must be 3xx`);
    return;
  }
  if (redirect.scheme && redirect.scheme !== "http" && redirect.scheme !== "https") {
    report.error(at(path, "scheme"), 'invalid redirect scheme, must be "http" or "https"');
    return;
  }
  if ((redirect.port ?? 0) > 0) report.check(at(path, "port"), checkPort(redirect.port ?? 0));
}

function checkDirectResponse(report: Report, path: string, dr: HttpRoute["directResponse"]): void {
  if (!dr) return;
  const body = dr.body;
  if (body) {
    const b64 = body.bytes ?? "";
    const size =
      body.string !== undefined
        ? new TextEncoder().encode(body.string).length
        : Math.floor((b64.replace(/=+$/, "").length * 3) / 4);
    // Bodies are pushed to every proxy in every update.
    if (size > MB)
      report.error(
        at(path, "body"),
        "large direct_responses may impact control plane performance, must be less than 1MB",
      );
    else if (size > 100 * KB)
      report.warn(at(path, "body"), "large direct_responses may impact control plane performance");
  }
  checkHttpStatus(report, at(path, "status"), dr.status);
}

function checkRewrite(report: Report, path: string, r: HttpRoute): void {
  const rw = r.rewrite;
  if (rw) {
    if (rw.uri && rw.uriRegexRewrite)
      report.error(path, "rewrite may only contain one of URI or UriRegexRewrite");
    else if (!rw.uri && !rw.uriRegexRewrite && !rw.authority) {
      report.error(
        path,
        "rewrite must specify at least one of URI, UriRegexRewrite, or authority. Only one of URI or UriRegexRewrite may be specified",
      );
    } else if (rw.uriRegexRewrite) {
      const p = at(path, "uriRegexRewrite");
      if (!rw.uriRegexRewrite.match || !rw.uriRegexRewrite.rewrite) {
        report.error(p, "UriRegexRewrite requires both Rewrite and Match fields to be specified");
      } else report.check(at(p, "match"), checkRegex(rw.uriRegexRewrite.match));
    }
  }
  // The authority may be rewritten in one place only.
  let current = rw?.authority ?? "";
  for (const field of ["set", "add"] as const) {
    for (const [k, v] of Object.entries(r.headers?.request?.[field] ?? {})) {
      if (!isAuthorityHeader(k)) continue;
      if (current !== "") {
        report.error(
          path,
          `authority header cannot be set multiple times: have ${JSON.stringify(current)}, attempting to set ${JSON.stringify(v)}`,
        );
        return;
      }
      current = v;
    }
  }
}

/** Checks one HTTP route; `inDelegate` is true for routes of a delegate VirtualService (no hosts). */
export function checkHttpRoute(
  report: Report,
  path: string,
  r: HttpRoute,
  inDelegate: boolean,
): void {
  const type: RouteType = inDelegate ? "delegate" : r.delegate ? "root" : "independent";
  checkConflicts(report, path, r, type);
  checkHttpMatches(report, at(path, "match"), r.match);
  checkHeaderManipulation(report, at(path, "headers"), r.headers);
  checkCors(report, at(path, "corsPolicy"), r.corsPolicy);
  checkFault(report, at(path, "fault"), r.fault);
  for (const field of ["mirrorPercent", "mirror_percent"] as const) {
    const value = r[field];
    if (value === undefined) continue;
    if (value > 100)
      report.error(
        at(path, field),
        `mirror_percent must have a max value of 100 (it has ${value})`,
      );
    report.warn(
      at(path, field),
      'using deprecated setting "mirrorPercent", use "mirrorPercentage" instead',
    );
  }
  const mp = r.mirrorPercentage?.value;
  if (mp !== undefined && mp > 100)
    report.error(
      at(path, "mirrorPercentage"),
      `mirror_percentage must have a max value of 100 (it has ${mp})`,
    );
  if (mp !== undefined && mp < 0)
    report.error(
      at(path, "mirrorPercentage"),
      `mirror_percentage must have a min value of 0 (it has ${mp})`,
    );
  checkDestination(report, at(path, "mirror"), r.mirror);
  (r.mirrors ?? []).forEach((m, i) => {
    const p = idx(at(path, "mirrors"), i);
    checkDestination(report, at(p, "destination"), m.destination);
    const v = m.percentage?.value;
    if (v !== undefined && v > 100)
      report.error(
        at(p, "percentage"),
        `mirror percentage must have a max value of 100 (it has ${v})`,
      );
    if (v !== undefined && v < 0)
      report.error(
        at(p, "percentage"),
        `mirror percentage must have a min value of 0 (it has ${v})`,
      );
  });
  checkRedirect(report, at(path, "redirect"), r);
  checkDirectResponse(report, at(path, "directResponse"), r.directResponse);
  checkRetries(report, at(path, "retries"), r.retries);
  checkRewrite(report, at(path, "rewrite"), r);
  const routes = r.route ?? [];
  routes.forEach((d, i) => {
    const p = idx(at(path, "route"), i);
    checkHeaderManipulation(report, at(p, "headers"), d.headers);
    checkDestination(report, at(p, "destination"), d.destination);
  });
  checkWeights(report, at(path, "route"), routes);
  checkDurationField(report, at(path, "timeout"), r.timeout);
}
