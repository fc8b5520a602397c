/**
 * Route destinations, their weights, and gateway references of VirtualService rules.
 * Rules: Istio's validateDestination, validateHTTPRouteDestinations, validateGatewayNames.
 * https://istio.io/latest/docs/reference/config/networking/virtual-service/#Destination
 */
import type { Destination, HeaderOperations, Headers } from "../../mesh/api/common";
import { at, idx, type Report } from "./diagnostic";
import { checkHeaderOperationName, checkHeaderValue, checkRequestHeaderSet } from "./headers";
import { checkFqdn, checkWildcardDomain, isDns1123Label } from "./hosts";
import { checkPort } from "./ports";

/** A subset name is a DNS-1123 label. */
export function checkSubsetName(name: string): string | undefined {
  if (name === "") return "subset name cannot be empty";
  return isDns1123Label(name) ? undefined : `subset name is invalid: ${name}`;
}

/** Checks one destination: a host (not `*`), a subset name and a port. */
export function checkDestination(report: Report, path: string, d: Destination | undefined): void {
  if (d === undefined) return;
  if (d.host === "*") report.error(at(path, "host"), `invalid destination host ${d.host}`);
  else report.check(at(path, "host"), checkWildcardDomain(d.host));
  if (d.subset !== undefined) report.check(at(path, "subset"), checkSubsetName(d.subset));
  if (d.port !== undefined) report.check(at(path, "port.number"), checkPort(d.port.number ?? 0));
}

/**
 * Checks weights of a destination list: none negative, not all zero when there are several.
 * Weights need not sum to 100 (Envoy splits in proportion), but a sum other than 100 is most
 * often a typo, so it is a warning.
 */
export function checkWeights(
  report: Report,
  path: string,
  routes: readonly { weight?: number }[],
): void {
  let total = 0;
  let anySet = false;
  routes.forEach((r, i) => {
    if (r.weight !== undefined) anySet = true;
    if ((r.weight ?? 0) < 0) report.error(at(idx(path, i), "weight"), `weight ${r.weight} < 0`);
    total += r.weight ?? 0;
  });
  if (routes.length > 1 && total === 0) report.error(path, "total destination weight = 0");
  else if (routes.length > 1 && anySet && total !== 100) {
    report.warn(
      path,
      `weights sum to ${total}, not 100: traffic is split in proportion to the weights`,
    );
  }
}

function checkOps(
  report: Report,
  path: string,
  ops: HeaderOperations | undefined,
  request: boolean,
): void {
  if (!ops) return;
  const setName = request ? checkRequestHeaderSet : checkHeaderOperationName;
  for (const field of ["add", "set"] as const) {
    for (const [name, value] of Object.entries(ops[field] ?? {})) {
      const p = idx(at(path, field), name);
      report.check(p, setName(name) ?? checkHeaderValue(value));
    }
  }
  (ops.remove ?? []).forEach((name, i) =>
    report.check(idx(at(path, "remove"), i), checkHeaderOperationName(name)),
  );
}

/** Checks request and response header manipulations. */
export function checkHeaderManipulation(
  report: Report,
  path: string,
  headers: Headers | undefined,
): void {
  checkOps(report, at(path, "request"), headers?.request, true);
  checkOps(report, at(path, "response"), headers?.response, false);
}

/**
 * Checks references to gateways: `namespace/name`, a bare name, `mesh`, or the legacy
 * `name.namespace` form (warned).
 */
export function checkGatewayNames(
  report: Report,
  path: string,
  names: readonly string[] | undefined,
): void {
  (names ?? []).forEach((name, i) => {
    const p = idx(path, i);
    const slash = name.indexOf("/");
    if (slash < 0) {
      if (name.includes(".")) {
        const [gw, ns] = name.split(".");
        report.warn(
          p,
          `using legacy gatewayName format ${JSON.stringify(name)}; prefer the <namespace>/<name> format: ${JSON.stringify(`${ns}/${gw}`)}`,
        );
      }
      report.check(p, checkFqdn(name));
      return;
    }
    const ns = name.slice(0, slash);
    const gw = name.slice(slash + 1);
    if (ns === "" || gw === "")
      report.error(p, "config namespace and gateway name cannot be empty");
    if (!isDns1123Label(ns)) report.error(p, `invalid value for namespace: ${JSON.stringify(ns)}`);
    if (!isDns1123Label(gw))
      report.error(p, `invalid value for gateway name: ${JSON.stringify(gw)}`);
  });
}
