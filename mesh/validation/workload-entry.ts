/**
 * WorkloadEntry validation, and the endpoint rules ServiceEntry shares. Rules: Istio's
 * validateWorkloadEntry. https://istio.io/latest/docs/reference/config/networking/workload-entry/
 */
import type { WorkloadEntrySpec } from "../../mesh/api/workload-entry";
import type { Context, ValidateOptions } from "./context";
import { at, idx, type Report, type ValidationResult } from "./diagnostic";
import { checkFqdn } from "./hosts";
import { isIP } from "./ip";
import { checkLabels } from "./labels";
import { runValidator } from "./pipeline";
import { checkEndpointPortKey, checkPort, checkPortName } from "./ports";
import { checkUnixAddress, UNIX_PREFIX } from "./unix";

/** How strict {@link checkWorkloadEndpoint} is about the address and ports. */
export interface EndpointOptions {
  /** Names of the owning ServiceEntry's ports; endpoint ports must use them. */
  readonly servicePorts?: ReadonlySet<string>;
  /** DNS names are allowed as addresses (WorkloadEntry, DNS ServiceEntry), not for STATIC. */
  readonly allowFqdn: boolean;
}

/** Checks a workload endpoint: address (IP, FQDN or unix socket), ports, labels. */
export function checkWorkloadEndpoint(
  report: Report,
  path: string,
  we: WorkloadEntrySpec,
  opts: EndpointOptions,
): void {
  const addr = we.address ?? "";
  if (addr === "") {
    if (!we.network) {
      report.error(at(path, "address"), "address is required");
      return;
    }
    // Reachable only through the network's gateway.
    report.warn(at(path, "address"), `address is unset with network ${JSON.stringify(we.network)}`);
  }
  const unix = addr.startsWith(UNIX_PREFIX);
  if (unix) {
    report.check(at(path, "address"), checkUnixAddress(addr.slice(UNIX_PREFIX.length)));
    // The CRD's CEL rule tests presence (`!has(self.ports)`), so even `ports: {}` is refused.
    if (we.ports !== undefined && we.ports !== null)
      report.error(at(path, "ports"), `unix endpoint ${addr} must not include ports`);
  } else if (addr !== "" && !isIP(addr)) {
    if (!opts.allowFqdn)
      report.error(
        at(path, "address"),
        `endpoint address ${JSON.stringify(addr)} is not a valid IP address`,
      );
    else if (checkFqdn(addr))
      report.error(
        at(path, "address"),
        `endpoint address ${JSON.stringify(addr)} is not a valid FQDN or an IP address`,
      );
  }
  for (const [name, port] of Object.entries(we.ports ?? {})) {
    const p = idx(at(path, "ports"), name);
    if (opts.servicePorts && !opts.servicePorts.has(name))
      report.error(p, `endpoint port ${port} is not defined by the service entry`);
    // The CRD refuses a 63-character name that Istio's own check (a DNS label) allows.
    if (report.check(p, checkPortName(name))) report.check(p, checkEndpointPortKey(name));
    report.check(p, checkPort(port));
  }
  checkLabels(report, at(path, "labels"), we.labels);
  if (unix && opts.servicePorts && opts.servicePorts.size !== 1) {
    report.error(path, "exactly 1 service port required for unix endpoints");
  }
}

/** The semantic rules of a WorkloadEntry spec. */
export function checkWorkloadEntrySpec(spec: WorkloadEntrySpec, ctx: Context): void {
  checkWorkloadEndpoint(ctx.report, "spec", spec, { allowFqdn: true });
}

/** Validates a WorkloadEntry object. */
export function validateWorkloadEntry(obj: unknown, options?: ValidateOptions): ValidationResult {
  return runValidator("WorkloadEntry", checkWorkloadEntrySpec, obj, options);
}
