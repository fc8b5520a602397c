/**
 * Whether an address lies in a CIDR block, for evaluating `ipBlocks`, `remoteIpBlocks`,
 * `source.ip`, `remote.ip` and `destination.ip` the way Envoy's `CidrRange` matchers do.
 */
import { isIPv4, isIPv6 } from "../validation/ip";

/** The address as a 32- or 128-bit integer with its width, or undefined if not an address. */
export function ipBits(ip: string): { value: bigint; width: 32 | 128 } | undefined {
  if (isIPv4(ip)) {
    const value = ip.split(".").reduce((acc, o) => (acc << 8n) | BigInt(Number(o)), 0n);
    return { value, width: 32 };
  }
  const addr = ip.split("%")[0] ?? "";
  if (!isIPv6(addr)) return undefined;
  let text = addr;
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = ipBits(tail)?.value ?? 0n;
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const parse = (h: string): bigint[] => (h === "" ? [] : h.split(":").map(p => BigInt(`0x${p}`)));
  const [head = "", rest] = text.split("::");
  const left = parse(head);
  const right = rest === undefined ? [] : parse(rest);
  const groups = [...left, ...Array<bigint>(8 - left.length - right.length).fill(0n), ...right];
  return { value: groups.reduce((acc, g) => (acc << 16n) | g, 0n), width: 128 };
}

/**
 * Whether `ip` is inside `cidr` (an address alone is a /32 or /128). Families never mix:
 * an IPv4 peer does not match an IPv6 block. Unparseable input matches nothing.
 */
export function ipInCidr(ip: string, cidr: string): boolean {
  const slash = cidr.indexOf("/");
  const net = ipBits(slash < 0 ? cidr : cidr.slice(0, slash));
  const addr = ipBits(ip);
  if (!net || !addr || net.width !== addr.width) return false;
  const bits = slash < 0 ? net.width : Number(cidr.slice(slash + 1));
  const shift = BigInt(net.width - bits);
  return net.value >> shift === addr.value >> shift;
}
