/**
 * RBAC `CidrRange`s from AuthorizationPolicy ipBlocks, as Istio's AddrStrToCidrRange writes them
 * (Go's net/netip): bare addresses are host ranges, addresses are not masked, IPv6 is RFC 5952.
 */
import { cidrRange, formatIPv6 } from "../../../../xds/compile/security/rbac-cidr";

describe("cidrRange", () => {
  it.each([
    ["a bare IPv4 address is a /32", "10.0.0.1", "10.0.0.1", 32],
    ["an IPv4 CIDR keeps its length", "10.0.0.0/8", "10.0.0.0", 8],
    ["the address is not masked", "192.168.1.7/24", "192.168.1.7", 24],
    ["a bare IPv6 address is a /128", "2001:db8::1", "2001:db8::1", 128],
    ["IPv6 is printed in RFC 5952 form", "2001:0DB8:0000:0000::/32", "2001:db8::", 32],
  ])("%s", (_, value, prefix, bits) => {
    expect(cidrRange(value)).toEqual({
      ok: true,
      value: { address_prefix: prefix, prefix_len: { value: bits } },
    });
  });

  it.each(["not-an-ip", "10.0.0.0/33", "10.0.0.256"])("refuses %s", value => {
    const r = cidrRange(value);
    expect(r.ok).toBe(false);
  });
});

describe("formatIPv6", () => {
  it.each([
    ["leading zeros dropped, lowercase", "2001:0DB8:0:0:0:0:0:0001", "2001:db8::1"],
    ["the longest zero run is ::", "2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"],
    ["the first run on a tie", "2001:0:0:1:0:0:1:1", "2001::1:0:0:1:1"],
    ["a single zero group is not shortened", "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
    ["all zeros", "0:0:0:0:0:0:0:0", "::"],
    ["IPv4-mapped keeps its dotted tail", "::ffff:c000:0280", "::ffff:192.0.2.128"],
    ["an embedded IPv4 tail elsewhere becomes hex", "64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
  ])("%s: %s → %s", (_, input, want) => {
    expect(formatIPv6(input)).toBe(want);
  });
});
