import { parseFetchDenyList } from "../../../mesh/authn";

describe("parseFetchDenyList", () => {
  const list = parseFetchDenyList([
    "10.0.0.0/8",
    "169.254.169.254",
    "fd00::/8",
    "metadata.google.internal",
    "*.corp.example",
  ]);
  if (!list.ok) throw new Error(list.errors.join("; "));

  it.each([
    ["10.1.2.3", "10.0.0.0/8"],
    ["::ffff:10.1.2.3", "10.0.0.0/8"],
    ["169.254.169.254", "169.254.169.254"],
    ["169.254.169.253", undefined],
    ["fd12::1", "fd00::/8"],
    ["fe80::1", undefined],
    ["127.0.0.1", undefined],
    ["not-an-address", undefined],
  ])("address %s → %s", (address, entry) => {
    expect(list.value.blockedAddress(address)).toBe(entry);
  });

  it.each([
    ["metadata.google.internal", "metadata.google.internal"],
    ["METADATA.google.internal.", "metadata.google.internal"],
    ["a.b.corp.example", "*.corp.example"],
    ["corp.example", undefined],
    ["issuer.example", undefined],
  ])("host %s → %s", (host, entry) => {
    expect(list.value.blockedHost(host)).toBe(entry);
  });

  it("is empty (blocks nothing) by default", () => {
    const empty = parseFetchDenyList([]);
    expect(empty.ok && empty.value.blockedAddress("169.254.169.254")).toBeUndefined();
    expect(empty.ok && empty.value.blockedHost("metadata.google.internal")).toBeUndefined();
  });

  it("names every malformed entry", () => {
    expect(
      parseFetchDenyList(["10.0.0.0/33", "::/129", "1.2.3.4/8/1", "a b", "10.0.0.0/x"]),
    ).toEqual({
      ok: false,
      errors: [
        'deny-list entry "10.0.0.0/33": prefix length must be 0..32',
        'deny-list entry "::/129": prefix length must be 0..128',
        'deny-list entry "1.2.3.4/8/1": prefix length must be 0..32',
        'deny-list entry "a b": not a CIDR, an IP address or a host name',
        'deny-list entry "10.0.0.0/x": prefix length must be 0..32',
      ],
    });
  });
});
