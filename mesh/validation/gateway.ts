/**
 * Gateway validation. Rules: Istio's ValidateGateway, validateServer, validateServerPort,
 * validateServerBind. https://istio.io/latest/docs/reference/config/networking/gateway/
 */
import type { GatewaySpec, Server } from "../../mesh/api/gateway";
import type { Context, ValidateOptions } from "./context";
import { at, idx, type Report, type ValidationResult } from "./diagnostic";
import { checkNamespacedHost, isDns1123Label } from "./hosts";
import { isIP } from "./ip";
import { runValidator } from "./pipeline";
import { checkPort, isHttp, isTls, parseProtocol } from "./ports";
import { checkServerTls } from "./server-tls";
import { checkUnixAddress, UNIX_PREFIX } from "./unix";

function checkServer(report: Report, path: string, s: Server): void {
  if (s.hosts.length === 0)
    report.error(at(path, "hosts"), "server config must contain at least one host");
  s.hosts.forEach((h, i) => {
    for (const rule of checkNamespacedHost(h, true)) report.error(idx(at(path, "hosts"), i), rule);
  });
  const port = s.port;
  const pp = at(path, "port");
  const before = report.errors.length;
  if (parseProtocol(port.protocol) === "Unsupported") {
    report.error(
      at(pp, "protocol"),
      `invalid protocol ${JSON.stringify(port.protocol)}, supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP`,
    );
  }
  const bind = s.bind ?? "";
  // A gateway listening on a unix socket has port number 0.
  if (port.number > 0 || !bind.startsWith(UNIX_PREFIX))
    report.check(at(pp, "number"), checkPort(port.number));
  if ((port.targetPort ?? 0) > 0)
    report.error(at(pp, "targetPort"), "targetPort has no impact on Gateways");
  if (port.name === "") report.error(at(pp, "name"), "port name must be set");
  const portValid = report.errors.length === before;
  if (bind.startsWith(UNIX_PREFIX)) {
    report.check(at(path, "bind"), checkUnixAddress(bind.slice(UNIX_PREFIX.length)));
    if (port.number !== 0)
      report.error(
        at(path, "bind"),
        `port number must be 0 for unix domain socket: ${port.number}`,
      );
  } else if (bind !== "" && !isIP(bind)) {
    report.error(at(path, "bind"), `${bind} is not a valid IP`);
  }
  checkServerTls(report, at(path, "tls"), s.tls);
  if (!portValid) return;
  const protocol = parseProtocol(port.protocol);
  if (isTls(protocol) && s.tls === undefined) {
    report.error(at(path, "tls"), "server must have TLS settings for HTTPS/TLS protocols");
  } else if (!isTls(protocol) && s.tls !== undefined) {
    if (isHttp(protocol)) {
      // Plain HTTP servers may only carry an httpsRedirect.
      const t = s.tls;
      const passthrough =
        (t.mode ?? "PASSTHROUGH") === "PASSTHROUGH" || t.mode === "AUTO_PASSTHROUGH";
      if (!passthrough || t.caCertificates || t.privateKey || t.serverCertificate) {
        report.error(at(path, "tls"), "server cannot have TLS settings for plain text HTTP ports");
      }
    } else {
      report.error(at(path, "tls"), "server cannot have TLS settings for non HTTPS/TLS ports");
    }
  }
}

/** The semantic rules of a Gateway spec. */
export function checkGatewaySpec(spec: GatewaySpec, ctx: Context): void {
  const { report } = ctx;
  // Gateway names end up in other objects' `namespace/name` references.
  if (!isDns1123Label(ctx.name))
    report.error("metadata.name", `invalid gateway name: ${JSON.stringify(ctx.name)}`);
  const servers = spec.servers ?? [];
  if (servers.length === 0) report.error("spec.servers", "gateway must have at least one server");
  const portNames = new Set<string>();
  servers.forEach((s, i) => {
    const p = idx("spec.servers", i);
    checkServer(report, p, s);
    if (portNames.has(s.port.name))
      report.error(
        at(p, "port.name"),
        `port names in servers must be unique: duplicate name ${s.port.name}`,
      );
    portNames.add(s.port.name);
    if (!isHttp(parseProtocol(s.port.protocol)) && s.tls?.httpsRedirect) {
      report.warn(
        at(p, "tls.httpsRedirect"),
        "tls.httpsRedirect should only be used with http servers",
      );
    }
  });
}

/** Validates a Gateway object. */
export function validateGateway(obj: unknown, options?: ValidateOptions): ValidationResult {
  return runValidator("Gateway", checkGatewaySpec, obj, options);
}
