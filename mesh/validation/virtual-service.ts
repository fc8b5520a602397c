/**
 * VirtualService validation. Rules: Istio's ValidateVirtualService and helpers.
 * https://istio.io/latest/docs/reference/config/networking/virtual-service/
 */
import type { TlsRoute, VirtualServiceSpec } from "../../mesh/api/virtual-service";
import type { ValidateOptions } from "./context";
import type { Context } from "./context";
import { at, idx, type Report, type ValidationResult } from "./diagnostic";
import { checkDestination, checkGatewayNames, checkWeights } from "./destinations";
import { checkExportTo } from "./export-to";
import { isJwtClaimRoute } from "./headers";
import { checkWildcardDomain, hostsMatch, hostSubsetOf } from "./hosts";
import { checkHttpRoute } from "./http-route";
import { checkIPOrCidr, isIP } from "./ip";
import { checkLabels } from "./labels";
import { runValidator } from "./pipeline";
import { checkPort } from "./ports";
import { checkHttpReachability, checkReachability } from "./route-reachability";

const MESH = "mesh";

/**
 * A host of a VirtualService bound to gateways; TLS SNI hosts may also be the names Istio
 * generates for AUTO_PASSTHROUGH (`outbound_.80_._.reviews.default.svc.cluster.local`).
 */
function checkGatewayBoundHost(sni: boolean, host: string): string | undefined {
  if (sni && host.startsWith("outbound_") && host.length <= 255) {
    const parts = host.split("_");
    const format = "outbound_.<port>_._.<hostname>";
    if (parts.length < 4) return `domain name ${host} invalid, should follow '${format}' format`;
    const port = (parts[1] ?? "").replace(/^\.+|\.+$/g, "");
    const name = (parts[3] ?? "").replace(/^\.+|\.+$/g, "");
    if (!/[0-9]/.test(port))
      return `domain name ${JSON.stringify(host)} invalid (label ${JSON.stringify(port)} invalid). should follow ${format} format`;
    if (!/[a-zA-Z]/.test(name))
      return `domain name ${JSON.stringify(host)} invalid (label ${JSON.stringify(name)} invalid). should follow ${format} format`;
    return undefined;
  }
  return checkWildcardDomain(host);
}

function checkTlsRoute(
  report: Report,
  path: string,
  route: TlsRoute,
  spec: VirtualServiceSpec,
  toGateway: boolean,
): void {
  if (route.match.length === 0)
    report.error(at(path, "match"), "TLS route must have at least one match condition");
  route.match.forEach((m, i) => {
    const p = idx(at(path, "match"), i);
    if (m.sniHosts.length === 0)
      report.error(at(p, "sniHosts"), "TLS match must have at least one SNI host");
    m.sniHosts.forEach((sni, j) => {
      const sp = idx(at(p, "sniHosts"), j);
      const err = toGateway ? checkGatewayBoundHost(true, sni) : checkWildcardDomain(sni);
      if (err) {
        if (isIP(sni))
          report.warn(
            sp,
            `using an IP address (${JSON.stringify(sni)}) goes against SNI spec and most clients do not support this`,
          );
        else report.error(sp, err);
        return;
      }
      // The SNI must be one of the names this VirtualService is for.
      if (!(spec.hosts ?? []).some(h => hostSubsetOf(sni, h))) {
        report.error(
          sp,
          `SNI host ${JSON.stringify(sni)} is not a compatible subset of any of the virtual service hosts: [${(spec.hosts ?? []).join(", ")}]`,
        );
      }
    });
    (m.destinationSubnets ?? []).forEach((s, j) =>
      report.check(idx(at(p, "destinationSubnets"), j), checkIPOrCidr(s)),
    );
    if (m.port) report.check(at(p, "port"), checkPort(m.port));
    checkLabels(report, at(p, "sourceLabels"), m.sourceLabels);
    checkGatewayNames(report, at(p, "gateways"), m.gateways);
  });
  const routes = route.route ?? [];
  if (routes.length === 0) report.error(at(path, "route"), "TLS route is required");
  routes.forEach((d, i) =>
    checkDestination(report, at(idx(at(path, "route"), i), "destination"), d.destination),
  );
  checkWeights(report, at(path, "route"), routes);
}

function checkTcpRoute(
  report: Report,
  path: string,
  route: NonNullable<VirtualServiceSpec["tcp"]>[number],
): void {
  (route.match ?? []).forEach((m, i) => {
    const p = idx(at(path, "match"), i);
    (m.destinationSubnets ?? []).forEach((s, j) =>
      report.check(idx(at(p, "destinationSubnets"), j), checkIPOrCidr(s)),
    );
    if (m.port) report.check(at(p, "port"), checkPort(m.port));
    checkLabels(report, at(p, "sourceLabels"), m.sourceLabels);
    checkGatewayNames(report, at(p, "gateways"), m.gateways);
  });
  const routes = route.route ?? [];
  if (routes.length === 0) report.error(at(path, "route"), "TCP route is required");
  routes.forEach((d, i) =>
    checkDestination(report, at(idx(at(path, "route"), i), "destination"), d.destination),
  );
  checkWeights(report, at(path, "route"), routes);
}

function checkHosts(
  report: Report,
  spec: VirtualServiceSpec,
  toGateway: boolean,
  toMesh: boolean,
): void {
  const hosts = spec.hosts ?? [];
  const sni = (spec.tls ?? []).some(t => t.match.some(m => m.sniHosts.length > 0));
  let allValid = true;
  hosts.forEach((h, i) => {
    const p = idx("spec.hosts", i);
    const err = toGateway ? checkGatewayBoundHost(sni, h) : checkWildcardDomain(h);
    if (err && !isIP(h)) {
      report.error(p, err);
      allValid = false;
    } else if (!err && toMesh && h === "*") {
      report.error(
        p,
        "wildcard host * is not allowed for virtual services bound to the mesh gateway",
      );
      allValid = false;
    }
  });
  if (!allValid) return;
  // `*.foo.com` and `*.com` overlap just like literal duplicates.
  for (let i = 0; i < hosts.length; i++) {
    for (let j = i + 1; j < hosts.length; j++) {
      const a = hosts[i] as string;
      const b = hosts[j] as string;
      if (hostsMatch(a, b))
        report.error("spec.hosts", `duplicate hosts in virtual service: ${a} & ${b}`);
    }
  }
}

/** The semantic rules of a VirtualService spec. */
export function checkVirtualServiceSpec(spec: VirtualServiceSpec, ctx: Context): void {
  const { report } = ctx;
  const hosts = spec.hosts ?? [];
  const gateways = spec.gateways ?? [];
  const isDelegate = hosts.length === 0;
  if (isDelegate) {
    // A VirtualService without hosts is a delegate: only HTTP routes, attached from a root.
    if (gateways.length > 0)
      report.error("spec.gateways", "delegate virtual service must have no gateways specified");
    if ((spec.tls ?? []).length > 0)
      report.error("spec.tls", "delegate virtual service must have no tls route specified");
    if ((spec.tcp ?? []).length > 0)
      report.error("spec.tcp", "delegate virtual service must have no tcp route specified");
  }
  const toGateway = gateways.length > 0 && !gateways.includes(MESH);
  const toMesh = !toGateway;
  checkGatewayNames(report, "spec.gateways", gateways);
  if (!toGateway) {
    // JWT claims are only known after a gateway authenticates the request.
    (spec.http ?? []).forEach((r, i) =>
      (r.match ?? []).forEach((m, j) => {
        for (const field of ["headers", "withoutHeaders"] as const) {
          for (const key of Object.keys(m[field] ?? {})) {
            if (isJwtClaimRoute(key)) {
              report.error(
                idx(at(idx(at(idx("spec.http", i), "match"), j), field), key),
                `JWT claim based routing (key: ${key}) is only supported for gateway, found no gateways: [${gateways.join(" ")}]`,
              );
            }
          }
        }
      }),
    );
  }
  checkHosts(report, spec, toGateway, toMesh);
  if (
    (spec.http ?? []).length === 0 &&
    (spec.tcp ?? []).length === 0 &&
    (spec.tls ?? []).length === 0
  ) {
    report.error("spec", "http, tcp or tls must be provided in virtual service");
  }
  (spec.http ?? []).forEach((r, i) => checkHttpRoute(report, idx("spec.http", i), r, isDelegate));
  (spec.tls ?? []).forEach((r, i) => checkTlsRoute(report, idx("spec.tls", i), r, spec, toGateway));
  (spec.tcp ?? []).forEach((r, i) => checkTcpRoute(report, idx("spec.tcp", i), r));
  checkExportTo(report, "spec.exportTo", ctx.namespace, spec.exportTo);
  checkHttpReachability(report, "spec.http", spec.http ?? []);
  checkReachability(report, "spec.tcp", spec.tcp ?? [], false);
  checkReachability(report, "spec.tls", spec.tls ?? [], false);
}

/** Validates a VirtualService object. */
export function validateVirtualService(obj: unknown, options?: ValidateOptions): ValidationResult {
  return runValidator("VirtualService", checkVirtualServiceSpec, obj, options);
}
