/**
 * ServiceEntry validation: hosts, addresses, ports, and what each resolution mode allows.
 * Rules: Istio's ValidateServiceEntry and the CRD's CEL rules.
 * https://istio.io/latest/docs/reference/config/networking/service-entry/
 */
import type { ServiceEntrySpec } from "../../mesh/api/service-entry";
import type { Context, ValidateOptions } from "./context";
import { at, idx, type Report, type ValidationResult } from "./diagnostic";
import { checkExportTo } from "./export-to";
import { checkFqdn, checkPartialWildcard, checkWildcardDomain, isWildcarded } from "./hosts";
import { checkIPOrCidr, isIP } from "./ip";
import { checkLabels, checkSelector } from "./labels";
import { runValidator } from "./pipeline";
import {
  checkEndpointPortKey,
  checkPort,
  checkPortName,
  checkProtocol,
  isHttp,
  isTcp,
  isTls,
  parseProtocol,
} from "./ports";
import { checkWorkloadEndpoint } from "./workload-entry";

const AUTO_ALLOCATE_LABEL = "networking.istio.io/enable-autoallocate-ip";
const USE_WAYPOINT_LABEL = "istio.io/use-waypoint";

function checkPorts(report: Report, spec: ServiceEntrySpec, autoAllocate: boolean): Set<string> {
  const names = new Set<string>();
  const numbers = new Set<number>();
  (spec.ports ?? []).forEach((port, i) => {
    const p = idx("spec.ports", i);
    if (names.has(port.name))
      report.error(
        at(p, "name"),
        `service entry port name ${JSON.stringify(port.name)} already defined`,
      );
    if (numbers.has(port.number))
      report.error(at(p, "number"), `service entry port ${port.number} already defined`);
    names.add(port.name);
    numbers.add(port.number);
    if (port.targetPort !== undefined && port.targetPort !== 0)
      report.check(at(p, "targetPort"), checkPort(port.targetPort));
    if (
      (spec.addresses ?? []).length === 0 &&
      !autoAllocate &&
      (!port.protocol || port.protocol === "TCP")
    ) {
      report.warn(
        p,
        "addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled",
      );
    }
    report.check(at(p, "name"), checkPortName(port.name));
    report.check(at(p, "protocol"), checkProtocol(port.protocol));
    report.check(at(p, "number"), checkPort(port.number));
  });
  return names;
}

function checkDnsResolution(
  report: Report,
  spec: ServiceEntrySpec,
  resolution: string,
  servicePorts: Set<string>,
): void {
  const endpoints = spec.endpoints ?? [];
  if (endpoints.length === 0) {
    // Without endpoints the proxy resolves the hosts themselves, so they must be real names.
    for (const [i, h] of spec.hosts.entries()) {
      const err = checkFqdn(h);
      if (err) {
        report.error(
          idx("spec.hosts", i),
          `hosts must be FQDN or contain only prefix wildcards if no endpoints are provided for resolution mode ${resolution}, ${err}`,
        );
        break;
      }
    }
  }
  if (resolution === "DNS_ROUND_ROBIN" && endpoints.length > 1) {
    report.error(
      "spec.endpoints",
      `there must only be 0 or 1 endpoint for resolution mode ${resolution}`,
    );
  }
  endpoints.forEach((ep, i) => {
    const p = idx("spec.endpoints", i);
    const addr = ep.address ?? "";
    if (!isIP(addr) && checkFqdn(addr))
      report.error(
        at(p, "address"),
        `endpoint address ${JSON.stringify(addr)} is not a valid FQDN or an IP address`,
      );
    checkLabels(report, at(p, "labels"), ep.labels);
    for (const [name, port] of Object.entries(ep.ports ?? {})) {
      const pp = idx(at(p, "ports"), name);
      if (!servicePorts.has(name))
        report.error(pp, `endpoint port ${port} is not defined by the service entry`);
      if (report.check(pp, checkPortName(name))) report.check(pp, checkEndpointPortKey(name));
      report.check(pp, checkPort(port));
    }
  });
  if (
    (spec.addresses ?? []).length > 0 &&
    spec.hosts.length > 1 &&
    (spec.ports ?? []).some(p => isTcp(parseProtocol(p.protocol)))
  ) {
    report.warn(
      "spec.hosts",
      "service entry can not have more than one host specified simultaneously with address and tcp port",
    );
  }
}

function checkDynamicDns(report: Report, spec: ServiceEntrySpec, ctx: Context): void {
  const r = "DYNAMIC_DNS";
  spec.hosts.forEach((h, i) => {
    if (!isWildcarded(h))
      report.error(idx("spec.hosts", i), `host must be wildcarded for resolution mode ${r}`);
  });
  if ((spec.addresses ?? []).length > 0) {
    report.error(
      "spec.addresses",
      `addresses cannot be set for resolution type ${r}. HTTP route domains will only be generated from the hosts field values`,
    );
  }
  if ((spec.endpoints ?? []).length > 0) {
    report.error(
      "spec.endpoints",
      `endpoints cannot be set for resolution type ${r}. Destination IP address determined from hosts field values`,
    );
  }
  (spec.ports ?? []).forEach((port, i) => {
    const proto = parseProtocol(port.protocol);
    // Envoy's dynamic forward proxy needs a host name from the request: HTTP Host or TLS SNI.
    if (proto !== "HTTP" && proto !== "TLS" && proto !== "GRPC" && proto !== "HTTP2") {
      report.error(
        at(idx("spec.ports", i), "protocol"),
        `only HTTP, TLS, GRPC, and HTTP2 protocols are supported for resolution type ${r}`,
      );
    }
  });
  // An omitted location is MESH_EXTERNAL (the enum's zero value in Istio's proto), which
  // DYNAMIC_DNS supports; the schema already refuses values other than the two locations.
  const waypoint = ctx.metadata.labels?.[USE_WAYPOINT_LABEL];
  if (spec.location === "MESH_INTERNAL" && waypoint && waypoint.toLowerCase() !== "none") {
    report.error(
      "spec.location",
      `location MESH_INTERNAL with resolution type ${r} is not supported when using waypoints`,
    );
  }
}

/** The semantic rules of a ServiceEntry spec. */
export function checkServiceEntrySpec(spec: ServiceEntrySpec, ctx: Context): void {
  const { report } = ctx;
  const resolution = spec.resolution ?? "NONE";
  checkSelector(
    report,
    "spec.workloadSelector",
    "labels",
    spec.workloadSelector,
    "service entry: workload selector specified without labels, will be applied to all services in namespace",
  );
  if (spec.workloadSelector !== undefined && spec.endpoints !== undefined) {
    report.error("spec", "only one of WorkloadSelector or Endpoints is allowed in Service Entry");
  }
  if (spec.hosts.length === 0)
    report.error("spec.hosts", "service entry must have at least one host");
  spec.hosts.forEach((h, i) => {
    const p = idx("spec.hosts", i);
    if (h === "*") {
      report.error(p, `invalid host ${h}`);
      return;
    }
    report.check(p, checkWildcardDomain(h));
    const partial = checkPartialWildcard(h);
    if (partial && resolution !== "DYNAMIC_DNS") report.warn(p, partial);
  });
  let cidr = false;
  (spec.addresses ?? []).forEach((a, i) => {
    cidr ||= a.includes("/");
    report.check(idx("spec.addresses", i), checkIPOrCidr(a));
  });
  if (cidr && resolution !== "NONE" && resolution !== "STATIC") {
    report.error(
      "spec.addresses",
      "CIDR addresses are allowed only for NONE/STATIC resolution types",
    );
  }
  const labels = ctx.metadata.labels ?? {};
  const autoAllocate = labels[AUTO_ALLOCATE_LABEL] !== "false";
  const servicePorts = checkPorts(report, spec, autoAllocate);
  switch (resolution) {
    case "NONE":
      if ((spec.endpoints ?? []).length > 0)
        report.error("spec.endpoints", "no endpoints should be provided for resolution type none");
      // The CRD's CEL rule tests presence (`!has(self.endpoints)`), so `endpoints: []` is refused.
      else if (spec.endpoints !== undefined)
        report.error("spec.endpoints", "NONE mode cannot set endpoints");
      if (spec.workloadSelector !== undefined)
        report.warn(
          "spec.workloadSelector",
          "workloadSelector should not be set when resolution mode is NONE",
        );
      break;
    case "STATIC":
      (spec.endpoints ?? []).forEach((ep, i) =>
        checkWorkloadEndpoint(report, idx("spec.endpoints", i), ep, {
          servicePorts,
          allowFqdn: false,
        }),
      );
      break;
    case "DNS":
    case "DNS_ROUND_ROBIN":
      checkDnsResolution(report, spec, resolution, servicePorts);
      break;
    case "DYNAMIC_DNS":
      checkDynamicDns(report, spec, ctx);
      break;
  }
  // Plain TCP cannot tell hosts apart (no Host header, no SNI), so several hosts need HTTP or TLS.
  if (resolution !== "NONE" && spec.hosts.length > 1) {
    const opaque = (spec.ports ?? []).findIndex(p => {
      const proto = parseProtocol(p.protocol);
      return !isHttp(proto) && !isTls(proto);
    });
    if (opaque >= 0)
      report.error(
        idx("spec.ports", opaque),
        "multiple hosts provided with non-HTTP, non-TLS ports",
      );
  }
  checkExportTo(report, "spec.exportTo", ctx.namespace, spec.exportTo, { allowNone: true });
}

/** Validates a ServiceEntry object. */
export function validateServiceEntry(obj: unknown, options?: ValidateOptions): ValidationResult {
  return runValidator("ServiceEntry", checkServiceEntrySpec, obj, options);
}
