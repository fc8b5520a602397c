/**
 * Refuses the malformed injection annotations Istio refuses, with Istio's wording
 * (`invalid value '<v>' for annotation '<name>': <why>`), prefixed by the pod and field path.
 * Rules: https://github.com/istio/istio/blob/master/pkg/kube/inject/validate.go
 */
import { A } from "./annotations";
import { validateProxyConfigAnnotation } from "./proxy-config";
import { parseQuantity } from "./quantity";

type Check = (value: string) => string | undefined;

/** Parses a uint16 port the way Go's `strconv.ParseUint(s, 10, 16)` does. */
export function parsePort(text: string): number | string {
  const s = text.trim();
  if (!/^[0-9]+$/.test(s))
    return `failed parsing port '${text}': strconv.ParseUint: parsing "${s}": invalid syntax`;
  const n = Number(s);
  if (n > 65535)
    return `failed parsing port '${text}': strconv.ParseUint: parsing "${s}": value out of range`;
  return n;
}

function portList(param: string, ports: string): string | undefined {
  const trimmed = ports.trim();
  if (trimmed === "") return undefined;
  for (const p of trimmed.split(",")) {
    const r = parsePort(p);
    if (typeof r === "string") return `${param} invalid: failed parsing port '${p}': ${r}`;
  }
  return undefined;
}

/** Go's `netip.ParsePrefix`: an IPv4 or IPv6 address, a slash, and a prefix length in range. */
function validPrefix(cidr: string): boolean {
  const slash = cidr.indexOf("/");
  if (slash < 0) return false;
  const addr = cidr.slice(0, slash);
  const bits = cidr.slice(slash + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(bits)) return false;
  const v4 = addr.split(".");
  if (v4.length === 4 && !addr.includes(":")) {
    const ok = v4.every(o => /^(0|[1-9][0-9]{0,2})$/.test(o) && Number(o) <= 255);
    return ok && Number(bits) <= 32;
  }
  if (!addr.includes(":") || addr.includes("%")) return false;
  const groups = addr.split("::");
  if (groups.length > 2) return false;
  const hex = groups.flatMap(g => (g === "" ? [] : g.split(":")));
  if (!hex.every(h => /^[0-9a-fA-F]{1,4}$/.test(h))) return false;
  if (groups.length === 1 ? hex.length !== 8 : hex.length > 7) return false;
  return Number(bits) <= 128;
}

function cidrList(cidrs: string): string | undefined {
  if (cidrs.length === 0) return undefined;
  for (const cidr of cidrs.split(",")) {
    if (!validPrefix(cidr))
      return `failed parsing cidr '${cidr}': netip.ParsePrefix("${cidr}"): invalid`;
  }
  return undefined;
}

function interfaces(list: string): string | undefined {
  if (list.length === 0) return undefined;
  for (const raw of list.split(",")) {
    const name = raw.trim();
    if (name.length === 0) return "empty interface name";
    if (name.length > 15) return `interface name "${name}" too long (max 15 chars)`;
    if (!/^[a-zA-Z][a-zA-Z0-9_.-]*$/.test(name)) {
      return `interface name "${name}" contains invalid characters`;
    }
  }
  return undefined;
}

const uint32: Check = v =>
  /^[0-9]+$/.test(v) && Number(v) <= 4294967295
    ? undefined
    : `strconv.ParseUint: parsing "${v}": invalid syntax`;

const quantity: Check = v => {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(v)) return "value contains control characters";
  const q = parseQuantity(v);
  return typeof q === "string" ? q : undefined;
};

/** Go's `strconv.ParseBool`. */
export function parseBool(v: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
  return undefined;
}

/** The annotations Istio validates before injecting, each with its check. */
export const ANNOTATION_CHECKS: Readonly<Record<string, Check>> = {
  [A.interceptionMode]: v =>
    ["REDIRECT", "TPROXY", "NONE"].includes(v)
      ? undefined
      : `interceptionMode invalid, use REDIRECT,TPROXY,NONE: ${v}`,
  [A.statusPort]: v => {
    const r = parsePort(v);
    return typeof r === "string" ? `excludeInboundPorts invalid: ${r}` : undefined;
  },
  [A.readinessInitialDelay]: uint32,
  [A.readinessPeriod]: uint32,
  [A.readinessFailureThreshold]: uint32,
  [A.includeOutboundIPRanges]: v => {
    const e = v === "*" ? undefined : cidrList(v);
    return e && `includeIPRanges invalid: ${e}`;
  },
  [A.excludeOutboundIPRanges]: v => {
    const e = cidrList(v);
    return e && `excludeIPRanges invalid: ${e}`;
  },
  [A.includeInboundPorts]: v => (v === "*" ? undefined : portList("includeInboundPorts", v)),
  [A.excludeInboundPorts]: v => portList("excludeInboundPorts", v),
  [A.excludeOutboundPorts]: v => portList("excludeOutboundPorts", v),
  [A.excludeInterfaces]: interfaces,
  [A.kubevirtInterfaces]: interfaces,
  [A.rerouteVirtualInterfaces]: interfaces,
  [A.mergeMetrics]: v =>
    parseBool(v) === undefined ? `strconv.ParseBool: parsing "${v}": invalid syntax` : undefined,
  [A.proxyConfig]: validateProxyConfigAnnotation,
  [A.proxyCPU]: quantity,
  [A.proxyMemory]: quantity,
  [A.proxyCPULimit]: quantity,
  [A.proxyMemoryLimit]: quantity,
};

/**
 * Every invalid injection annotation on a pod, as messages naming the pod, the field path and the
 * rule; empty when all are valid. Istio refuses the pod when any is invalid.
 */
export function validateAnnotations(podRef: string, annotations: Record<string, string>): string[] {
  const errors: string[] = [];
  for (const name of Object.keys(annotations).sort()) {
    const check = ANNOTATION_CHECKS[name];
    const value = annotations[name] ?? "";
    const why = check?.(value);
    if (why !== undefined) {
      errors.push(
        `${podRef}: metadata.annotations["${name}"]: invalid value '${value}' for annotation '${name}': ${why}`,
      );
    }
  }
  return errors;
}
