/**
 * EnvoyFilter validation: patch shapes and matches. Rules: Istio's ValidateEnvoyFilter and the
 * CRD's CEL rules. Istio also decodes each patch value against Envoy's protos; Rigging checks
 * that in the xDS layer, where the protos live, not here.
 * https://istio.io/latest/docs/reference/config/networking/envoy-filter/
 */
import type { EnvoyFilterSpec } from "../../mesh/api/envoy-filter";
import type { Context, ValidateOptions } from "./context";
import { at, idx, type ValidationResult } from "./diagnostic";
import { checkSelector } from "./labels";
import { runValidator } from "./pipeline";
import { checkPort } from "./ports";
import { checkPolicyTargets } from "./policy-target";
import { checkRegex } from "./regex";

const HCM = "envoy.filters.network.http_connection_manager";
const MAX_PROXY_VERSION = 1024;
// Filter names Envoy renamed; the old ones still match but are deprecated.
const DEPRECATED_FILTER_NAMES: Record<string, string> = {
  "envoy.http_connection_manager": HCM,
  "envoy.router": "envoy.filters.http.router",
  "envoy.cors": "envoy.filters.http.cors",
  "envoy.fault": "envoy.filters.http.fault",
  "envoy.lua": "envoy.filters.http.lua",
  "envoy.ext_authz": "envoy.filters.http.ext_authz",
  "envoy.tcp_proxy": "envoy.filters.network.tcp_proxy",
  "envoy.listener.tls_inspector": "envoy.filters.listener.tls_inspector",
  "envoy.listener.original_dst": "envoy.filters.listener.original_dst",
  "envoy.listener.http_inspector": "envoy.filters.listener.http_inspector",
};
const LISTENER_CLASS = new Set(["LISTENER", "FILTER_CHAIN", "NETWORK_FILTER", "HTTP_FILTER"]);
const ROUTE_CLASS = new Set(["ROUTE_CONFIGURATION", "VIRTUAL_HOST", "HTTP_ROUTE"]);

/** The semantic rules of an EnvoyFilter spec. */
export function checkEnvoyFilterSpec(spec: EnvoyFilterSpec, ctx: Context): void {
  const { report } = ctx;
  report.warn(
    "spec",
    "EnvoyFilter exposes internal implementation details that may change at any time. Prefer other APIs if possible, and exercise extreme caution, especially around upgrades.",
  );
  if (spec.workloadSelector && (spec.targetRefs ?? []).length > 0)
    report.error("spec", "only one of targetRefs or workloadSelector can be set");
  checkSelector(
    report,
    "spec.workloadSelector",
    "labels",
    spec.workloadSelector,
    "Envoy filter: workload selector specified without labels, will be applied to all services in namespace",
  );
  if ((spec.targetRefs ?? []).length > 0)
    checkPolicyTargets(report, { targetRefs: spec.targetRefs });
  (spec.configPatches ?? []).forEach((cp, i) => {
    const p = idx("spec.configPatches", i);
    const match = cp.match;
    const waypointContext = match?.context === "WAYPOINT";
    if (match && waypointContext !== (match.waypoint !== undefined)) {
      report.error(at(p, "match"), "only support waypointMatch when context is WAYPOINT");
    }
    if (match?.waypoint?.portNumber !== undefined)
      report.check(at(p, "match.waypoint.portNumber"), checkPort(match.waypoint.portNumber));
    // Waypoint patches are applied by the waypoint's own rules.
    if (waypointContext) return;
    if (cp.applyTo === undefined || cp.applyTo === "INVALID")
      return report.error(at(p, "applyTo"), "Envoy filter: missing applyTo");
    if (cp.patch === undefined) return report.error(at(p, "patch"), "Envoy filter: missing patch");
    const op = cp.patch.operation;
    if (op === undefined || op === "INVALID")
      return report.error(at(p, "patch.operation"), "Envoy filter: missing patch operation");
    if (op !== "REMOVE" && cp.patch.value === undefined) {
      return report.error(
        at(p, "patch.value"),
        "Envoy filter: missing patch value for non-remove operation",
      );
    }
    const version = match?.proxy?.proxyVersion;
    if (version) {
      if (version.length > MAX_PROXY_VERSION) {
        report.warn(
          at(p, "match.proxy.proxyVersion"),
          `Envoy filter: proxyVersion match exceeds ${MAX_PROXY_VERSION} characters and will be ignored`,
        );
      } else {
        const err = checkRegex(version);
        if (err)
          return report.error(
            at(p, "match.proxy.proxyVersion"),
            `Envoy filter: invalid regex for proxy version, [${err}]`,
          );
      }
    }
    const object = match?.listener ?? match?.routeConfiguration ?? match?.cluster;
    if (LISTENER_CLASS.has(cp.applyTo) && object) {
      if (!match?.listener)
        return report.error(
          at(p, "match"),
          "Envoy filter: applyTo for listener class objects cannot have non listener match",
        );
      const filter = match.listener.filterChain?.filter;
      if (filter) {
        const fp = at(p, "match.listener.filterChain.filter");
        if (cp.applyTo === "LISTENER" || cp.applyTo === "FILTER_CHAIN") {
          report.warn(fp, `Envoy filter: filter match has no effect when used with ${cp.applyTo}`);
        }
        if (!filter.name)
          return report.error(at(fp, "name"), "Envoy filter: filter match has no name to match on");
        if (filter.subFilter) {
          if (cp.applyTo !== "HTTP_FILTER")
            return report.error(
              at(fp, "subFilter"),
              "Envoy filter: subfilter match can be used with applyTo HTTP_FILTER only",
            );
          if (filter.name !== HCM && filter.name !== "envoy.http_connection_manager") {
            return report.error(
              at(fp, "subFilter"),
              `Envoy filter: subfilter match requires filter match with ${HCM}`,
            );
          }
          if (!filter.subFilter.name)
            return report.error(
              at(fp, "subFilter.name"),
              "Envoy filter: subfilter match has no name to match on",
            );
        }
        for (const [field, name] of [
          ["name", filter.name],
          ["subFilter.name", filter.subFilter?.name],
        ] as const) {
          const replacement =
            name !== undefined && Object.hasOwn(DEPRECATED_FILTER_NAMES, name)
              ? DEPRECATED_FILTER_NAMES[name]
              : undefined;
          if (replacement)
            report.warn(
              at(fp, field),
              `using deprecated filter name ${JSON.stringify(name)}; use ${JSON.stringify(replacement)} instead`,
            );
        }
      }
    } else if (ROUTE_CLASS.has(cp.applyTo) && object && !match?.routeConfiguration) {
      report.error(
        at(p, "match"),
        "Envoy filter: applyTo for http route class objects cannot have non route configuration match",
      );
    } else if (cp.applyTo === "CLUSTER" && object && !match?.cluster) {
      report.error(
        at(p, "match"),
        "Envoy filter: applyTo for cluster class objects cannot have non cluster match",
      );
    }
  });
}

/** Validates an EnvoyFilter object. */
export function validateEnvoyFilter(obj: unknown, options?: ValidateOptions): ValidationResult {
  return runValidator("EnvoyFilter", checkEnvoyFilterSpec, obj, options);
}
