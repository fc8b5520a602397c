/**
 * HTTP match requests of a VirtualService. Rules: Istio's validateHTTPRouteMatchRequest and
 * validateStringMatch.
 * https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPMatchRequest
 */
import type { StringMatch } from "../../mesh/api/common";
import type { HttpMatchRequest } from "../../mesh/api/virtual-service";
import { at, idx, type Report } from "./diagnostic";
import { checkGatewayNames } from "./destinations";
import { checkMatchHeaderName } from "./headers";
import { isDns1123Label } from "./hosts";
import { checkLabels } from "./labels";
import { checkPort } from "./ports";
import { checkRegex } from "./regex";

/** A regex match must be a non-empty RE2 expression. */
export function checkStringMatchRegex(
  report: Report,
  path: string,
  sm: StringMatch | undefined,
): void {
  if (sm?.regex === undefined) return;
  if (sm.regex === "") report.error(at(path, "regex"), "regex string match should not be empty");
  else report.check(at(path, "regex"), checkRegex(sm.regex));
}

/**
 * A string match: a prefix match may not be empty (Envoy refuses it for anything but the URI),
 * a regex must compile.
 */
export function checkStringMatch(report: Report, path: string, sm: StringMatch | undefined): void {
  if (sm?.prefix === "")
    report.error(at(path, "prefix"), "prefix string match should not be empty");
  checkStringMatchRegex(report, path, sm);
}

/** Checks the match requests of one HTTP route. */
export function checkHttpMatches(
  report: Report,
  path: string,
  matches: readonly HttpMatchRequest[] | undefined,
): void {
  (matches ?? []).forEach((m, i) => {
    const p = idx(path, i);
    for (const [name, sm] of Object.entries(m.headers ?? {})) {
      const h = idx(at(p, "headers"), name);
      report.check(h, checkMatchHeaderName(name));
      checkStringMatch(report, h, sm);
    }
    for (const [name, sm] of Object.entries(m.withoutHeaders ?? {})) {
      const h = idx(at(p, "withoutHeaders"), name);
      report.check(h, checkMatchHeaderName(name));
      // `*` here means "header present", not a regex.
      if (sm.regex !== "*") checkStringMatch(report, h, sm);
    }
    // The URI may be matched with an empty prefix (everything); scheme, method, authority not.
    checkStringMatchRegex(report, at(p, "uri"), m.uri);
    checkStringMatch(report, at(p, "scheme"), m.scheme);
    checkStringMatch(report, at(p, "method"), m.method);
    checkStringMatch(report, at(p, "authority"), m.authority);
    for (const [name, sm] of Object.entries(m.queryParams ?? {}))
      checkStringMatch(report, idx(at(p, "queryParams"), name), sm);
    if (m.port !== undefined && m.port !== 0) report.check(at(p, "port"), checkPort(m.port));
    checkLabels(report, at(p, "sourceLabels"), m.sourceLabels);
    checkGatewayNames(report, at(p, "gateways"), m.gateways);
    if (m.sourceNamespace && !isDns1123Label(m.sourceNamespace)) {
      report.error(
        at(p, "sourceNamespace"),
        `sourceNamespace match ${m.sourceNamespace} is invalid`,
      );
    }
  });
}
