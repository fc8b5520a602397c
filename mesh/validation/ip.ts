/**
 * IP address and CIDR syntax, as strict as Go's `net/netip` (which Istio uses): dotted-quad IPv4
 * without leading zeros, RFC 4291 IPv6 text forms, optional IPv6 zone, `addr/bits` prefixes.
 */

const IPV4_OCTET = /^(0|[1-9]\d{0,2})$/;

/** Whether `s` is an IPv4 address in dotted-quad form. */
export function isIPv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 && parts.every(p => IPV4_OCTET.test(p) && Number(p) <= 255);
}

/** Whether `s` is an IPv6 address (an embedded IPv4 tail and a `%zone` are allowed). */
export function isIPv6(s: string): boolean {
  let addr = s;
  const zone = addr.indexOf("%");
  if (zone >= 0) {
    if (zone === addr.length - 1) return false;
    addr = addr.slice(0, zone);
  }
  let groups = 8;
  const lastColon = addr.lastIndexOf(":");
  if (lastColon >= 0 && addr.slice(lastColon + 1).includes(".")) {
    if (!isIPv4(addr.slice(lastColon + 1))) return false;
    addr = `${addr.slice(0, lastColon + 1)}0`;
    groups = 7;
  }
  const halves = addr.split("::");
  if (halves.length > 2) return false;
  const hex = /^[0-9a-fA-F]{1,4}$/;
  const split = (h: string): string[] | undefined => {
    if (h === "") return [];
    const parts = h.split(":");
    return parts.every(p => hex.test(p)) ? parts : undefined;
  };
  const head = split(halves[0] ?? "");
  if (!head) return false;
  if (halves.length === 1) return head.length === groups;
  const tail = split(halves[1] ?? "");
  if (!tail) return false;
  return head.length + tail.length < groups;
}

/** Whether `s` is an IPv4 or IPv6 address. */
export function isIP(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

/** Whether `s` is a CIDR prefix such as `10.0.0.0/8` or `2001:db8::/32`. */
export function isCidr(s: string): boolean {
  const slash = s.indexOf("/");
  if (slash < 0 || s.indexOf("/", slash + 1) >= 0) return false;
  const addr = s.slice(0, slash);
  const bits = s.slice(slash + 1);
  if (!/^(0|[1-9]\d{0,2})$/.test(bits)) return false;
  // Go's ParsePrefix refuses zones in prefixes.
  if (isIPv4(addr)) return Number(bits) <= 32;
  return !addr.includes("%") && isIPv6(addr) && Number(bits) <= 128;
}

/**
 * Istio's ValidateIPSubnet: a CIDR block or a single address.
 * @returns the broken rule, or undefined when `s` is fine
 */
export function checkIPOrCidr(s: string): string | undefined {
  if (s.includes("/")) return isCidr(s) ? undefined : `${s} is not a valid CIDR block`;
  return isIP(s) ? undefined : `${s} is not a valid IP`;
}
