/**
 * `envoy.config.core.v3.CidrRange` from an address or CIDR string, as Istio's
 * `AddrStrToCidrRange` builds it with Go's `net/netip`: a bare address is a /32 (or /128), the
 * address is kept as written (not masked) and IPv6 is printed in RFC 5952 form.
 */
import { cidrProblem } from "../../../mesh/authz/attributes";
import { isIPv4 } from "../../../mesh/validation/ip";
import type { CidrRange } from "../shared/envoy";

/** The range, or an error naming the value when it is neither an address nor a CIDR. */
export function cidrRange(
  value: string,
): { ok: true; value: CidrRange } | { ok: false; error: string } {
  const problem = cidrProblem(value);
  if (problem !== undefined) return { ok: false, error: problem };
  const slash = value.indexOf("/");
  const addr = slash < 0 ? value : value.slice(0, slash);
  const v4 = isIPv4(addr);
  const bits = slash < 0 ? (v4 ? 32 : 128) : Number(value.slice(slash + 1));
  return {
    ok: true,
    value: { address_prefix: v4 ? addr : formatIPv6(addr), prefix_len: { value: bits } },
  };
}

/** Parses a valid IPv6 text form (an embedded IPv4 tail allowed) into 8 groups. */
function ipv6Groups(addr: string): number[] {
  let text = addr;
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    // `a:b::1.2.3.4` is `a:b::102:304`: rewrite the dotted tail as two hex groups.
    const [o0 = 0, o1 = 0, o2 = 0, o3 = 0] = tail.split(".").map(Number);
    text = `${text.slice(0, lastColon + 1)}${((o0 << 8) | o1).toString(16)}:${((o2 << 8) | o3).toString(16)}`;
  }
  const parse = (h: string): number[] => (h === "" ? [] : h.split(":").map(p => parseInt(p, 16)));
  const halves = text.split("::");
  const left = parse(halves[0] ?? "");
  if (halves.length === 1) return left;
  const right = parse(halves[1] ?? "");
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * RFC 5952 text: lowercase, no leading zeros, the longest run (of two or more) of zero groups
 * as `::`, the first such run on a tie. IPv4-mapped addresses keep their dotted tail, as Go does.
 */
export function formatIPv6(addr: string): string {
  const g = ipv6Groups(addr);
  const mapped = g.slice(0, 5).every(x => x === 0) && g[5] === 0xffff;
  if (mapped)
    return `::ffff:${(g[6] ?? 0) >> 8}.${(g[6] ?? 0) & 255}.${(g[7] ?? 0) >> 8}.${(g[7] ?? 0) & 255}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map(x => x.toString(16)).join(":");
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
