/**
 * Sidecar validation: ingress and egress listeners, egress hosts, outbound traffic policy.
 * Rules: Istio's ValidateSidecar and helpers.
 * https://istio.io/latest/docs/reference/config/networking/sidecar/
 */
import type {
  IstioEgressListener,
  IstioIngressListener,
  SidecarSpec,
} from "../../mesh/api/sidecar";
import { checkConnectionPool } from "./connection-pool";
import type { Context, ValidateOptions } from "./context";
import { at, idx, type Report, type ValidationResult } from "./diagnostic";
import { checkDestination } from "./destinations";
import { checkFqdn, checkNamespacedHost } from "./hosts";
import { isIP } from "./ip";
import { checkSelector } from "./labels";
import { runValidator } from "./pipeline";
import { checkPort, checkPortName, checkProtocol, isHttp, isTls, parseProtocol } from "./ports";
import { checkServerTls } from "./server-tls";
import { checkUnixAddress, UNIX_PREFIX } from "./unix";

function checkBind(report: Report, path: string, bind: string | undefined): void {
  if (bind && !isIP(bind)) report.error(path, `${bind} is not a valid IP`);
}

function checkDefaultEndpoint(report: Report, path: string, endpoint: string): void {
  if (endpoint.startsWith(UNIX_PREFIX)) {
    report.check(path, checkUnixAddress(endpoint.slice(UNIX_PREFIX.length)));
    return;
  }
  // host:port, with IPv6 hosts in brackets.
  const m = /^(?:\[([^\]]*)\]|([^:[\]]*)):([^:]*)$/.exec(endpoint);
  if (!m) {
    report.error(path, `address ${endpoint}: missing port in address`);
    return;
  }
  const host = m[1] ?? m[2] ?? "";
  if (host !== "" && !["127.0.0.1", "0.0.0.0", "::1", "::"].includes(host)) {
    report.error(
      path,
      "sidecar: defaultEndpoint must be of form 127.0.0.1:<port>,0.0.0.0:<port>,[::1]:port,[::]:port,unix://filepath or unset",
    );
  }
  const port = m[3] ?? "";
  if (!/^[+-]?\d+$/.test(port))
    report.error(path, `sidecar: defaultEndpoint port (${port}) is not a number`);
  else report.check(path, checkPort(Number(port)));
}

function checkIngress(
  report: Report,
  path: string,
  l: IstioIngressListener,
  ports: Set<number>,
): void {
  const port = l.port;
  const pp = at(path, "port");
  if ((port.targetPort ?? 0) > 0)
    report.error(at(pp, "targetPort"), "targetPort has no impact on Sidecars");
  if (port.name) report.check(at(pp, "name"), checkPortName(port.name));
  report.check(at(pp, "protocol"), checkProtocol(port.protocol));
  report.check(at(pp, "number"), checkPort(port.number ?? 0));
  checkBind(report, at(path, "bind"), l.bind);
  if (ports.has(port.number ?? 0))
    report.error(at(pp, "number"), "sidecar: ports on IP bound listeners must be unique");
  ports.add(port.number ?? 0);
  if (l.defaultEndpoint)
    checkDefaultEndpoint(report, at(path, "defaultEndpoint"), l.defaultEndpoint);
  const tls = l.tls;
  if (tls) {
    const tp = at(path, "tls");
    if ((tls.subjectAltNames ?? []).length > 0)
      report.error(tp, "sidecar: subjectAltNames is not supported in ingress tls");
    if (tls.httpsRedirect) report.error(tp, "sidecar: httpsRedirect is not supported");
    if (tls.credentialName) report.error(tp, "sidecar: credentialName is not currently supported");
    if ((tls.credentialNames ?? []).length > 0)
      report.error(tp, "sidecar: credentialNames is not currently supported");
    if ((tls.tlsCertificates ?? []).length > 0)
      report.error(tp, "sidecar: tls_certificates is not currently supported");
    if (tls.mode === "ISTIO_MUTUAL" || tls.mode === "AUTO_PASSTHROUGH") {
      report.error(
        tp,
        `configuration is invalid: cannot set mode to ${tls.mode} in sidecar ingress tls`,
      );
    }
    if (!isTls(parseProtocol(port.protocol)))
      report.error(tp, "server cannot have TLS settings for non HTTPS/TLS ports");
    checkServerTls(report, tp, tls);
  }
  checkConnectionPool(report, at(path, "connectionPool"), l.connectionPool);
  if (l.connectionPool?.http && !isHttp(parseProtocol(port.protocol))) {
    report.warn(
      at(path, "connectionPool.http"),
      `sidecar: HTTP connection pool settings are configured for port ${port.number ?? 0} (${JSON.stringify(port.name ?? "")}) but its protocol is not HTTP (${port.protocol ?? ""}); only TCP settings will apply`,
    );
  }
}

function checkEgressPort(report: Report, path: string, l: IstioEgressListener): void {
  const port = l.port ?? {};
  const pp = at(path, "port");
  if (port.name) report.check(at(pp, "name"), checkPortName(port.name));
  report.check(at(pp, "protocol"), checkProtocol(port.protocol));
  const bind = l.bind ?? "";
  if ((port.number ?? 0) === 0) {
    // Port 0 means a unix domain socket listener.
    if (!bind.startsWith(UNIX_PREFIX))
      report.error(
        at(path, "bind"),
        "sidecar: ports with 0 value must have a unix domain socket bind address",
      );
    else report.check(at(path, "bind"), checkUnixAddress(bind.slice(UNIX_PREFIX.length)));
    if (l.captureMode !== undefined && l.captureMode !== "DEFAULT" && l.captureMode !== "NONE") {
      report.error(
        at(path, "captureMode"),
        "sidecar: captureMode must be DEFAULT/NONE for unix domain socket listeners",
      );
    }
  } else {
    report.check(at(pp, "number"), checkPort(port.number ?? 0));
    checkBind(report, at(path, "bind"), bind);
  }
}

/** Egress hosts: `namespace/dnsName`; duplicates and `*\/*` next to other hosts are warned. */
function checkEgressHosts(
  report: Report,
  path: string,
  hosts: readonly string[],
  namespace: string,
): void {
  if (hosts.length === 0) {
    report.error(path, "sidecar: egress listener must contain at least one host");
    return;
  }
  const byNs = new Map<string, Set<string>>();
  hosts.forEach((host, i) => {
    const p = idx(path, i);
    const slash = host.indexOf("/");
    if (slash >= 0 && !host.startsWith("~")) {
      const ns = host.slice(0, slash) === "." ? namespace : host.slice(0, slash);
      const svc = host.slice(slash + 1);
      const seen = byNs.get(ns) ?? new Set<string>();
      if (svc !== "*" ? seen.has(svc) || seen.has("*") : seen.size > 0)
        report.warn(p, `duplicated egress host: ${host}`);
      seen.add(svc);
      byNs.set(ns, seen);
    }
    for (const rule of checkNamespacedHost(host, false)) report.error(p, rule);
  });
  if (byNs.get("*")?.has("*") && byNs.size !== 1) {
    report.warn(path, "`*/*` host select all resources, no other hosts can be added");
  }
}

function checkOutboundPolicy(
  report: Report,
  path: string,
  tp: SidecarSpec["outboundTrafficPolicy"],
): void {
  if (!tp?.egressProxy) return;
  if (tp.mode !== "ALLOW_ANY") {
    report.error(
      at(path, "egressProxy"),
      "sidecar: egress_proxy must be set only with ALLOW_ANY outbound_traffic_policy mode",
    );
    return;
  }
  report.check(at(path, "egressProxy.host"), checkFqdn(tp.egressProxy.host));
  if (tp.egressProxy.port === undefined) {
    report.error(at(path, "egressProxy.port"), "sidecar: egress_proxy port must be non-nil");
    return;
  }
  checkDestination(report, at(path, "egressProxy"), tp.egressProxy);
}

/** The semantic rules of a Sidecar spec. */
export function checkSidecarSpec(spec: SidecarSpec, ctx: Context): void {
  const { report } = ctx;
  const before = report.errors.length;
  checkSelector(
    report,
    "spec.workloadSelector",
    "labels",
    spec.workloadSelector,
    "sidecar: workload selector specified without labels, will be applied to all services in namespace",
  );
  // Istio stops at a broken selector.
  if (report.errors.length > before) return;
  const ingress = spec.ingress ?? [];
  const egress = spec.egress ?? [];
  if (
    ingress.length === 0 &&
    egress.length === 0 &&
    !spec.outboundTrafficPolicy &&
    !spec.inboundConnectionPool
  ) {
    report.error("spec", "sidecar: empty configuration provided");
    return;
  }
  const ingressPorts = new Set<number>();
  ingress.forEach((l, i) => checkIngress(report, idx("spec.ingress", i), l, ingressPorts));
  checkConnectionPool(report, "spec.inboundConnectionPool", spec.inboundConnectionPool);
  const ports = new Set<number>();
  const sockets = new Set<string>();
  let catchAll = false;
  egress.forEach((l, i) => {
    const p = idx("spec.egress", i);
    if (l.port === undefined) {
      // One catch-all listener (no port) is allowed, and it must come last.
      if (catchAll) {
        report.error(p, "sidecar: egress can have only one listener with empty port");
        return;
      }
      if (i === egress.length - 1) catchAll = true;
      else
        report.error(
          p,
          "sidecar: the egress listener with empty port should be the last listener in the list",
        );
    } else {
      if ((l.port.targetPort ?? 0) > 0)
        report.error(at(p, "port.targetPort"), "targetPort has no impact on Sidecars");
      checkEgressPort(report, p, l);
      const n = l.port.number ?? 0;
      if (n === 0) {
        if (sockets.has(l.bind ?? ""))
          report.error(
            at(p, "bind"),
            "sidecar: unix domain socket values for listeners must be unique",
          );
        sockets.add(l.bind ?? "");
      } else {
        if (ports.has(n))
          report.error(at(p, "port.number"), "sidecar: ports on IP bound listeners must be unique");
        ports.add(n);
      }
    }
    checkEgressHosts(report, at(p, "hosts"), l.hosts, ctx.namespace);
  });
  checkOutboundPolicy(report, "spec.outboundTrafficPolicy", spec.outboundTrafficPolicy);
}

/** Validates a Sidecar object. */
export function validateSidecar(obj: unknown, options?: ValidateOptions): ValidationResult {
  return runValidator("Sidecar", checkSidecarSpec, obj, options);
}
