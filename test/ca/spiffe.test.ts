import { parseSpiffeUri, spiffeUri, validateIdentity } from "../../ca/spiffe";

describe("SPIFFE identities", () => {
  it("builds Istio's form", () => {
    expect(spiffeUri({ trustDomain: "cluster.local", namespace: "a", serviceAccount: "x" })).toBe(
      "spiffe://cluster.local/ns/a/sa/x",
    );
  });

  it.each([
    ["spiffe://cluster.local/ns/a/sa/x", "cluster.local", "a", "x"],
    [
      "spiffe://td-1.example_org/ns/istio-system/sa/istiod.v2",
      "td-1.example_org",
      "istio-system",
      "istiod.v2",
    ],
  ])("parses %s", (uri, trustDomain, namespace, serviceAccount) => {
    expect(parseSpiffeUri(uri)).toEqual({
      ok: true,
      value: { trustDomain, namespace, serviceAccount },
    });
  });

  it.each([
    ["https://cluster.local/ns/a/sa/x", 'must start with "spiffe://"'],
    ["spiffe://cluster.local/ns/a", "path must be /ns/<namespace>/sa/<service-account>"],
    ["spiffe://cluster.local/sa/x/ns/a", "path must be /ns/<namespace>/sa/<service-account>"],
    ["spiffe://cluster.local/ns/a/sa/x/extra", "path must be /ns/<namespace>/sa/<service-account>"],
    ["spiffe:///ns/a/sa/x", 'trust domain "": must be non-empty'],
    ["spiffe://Cluster.Local/ns/a/sa/x", 'trust domain "Cluster.Local"'],
    ["spiffe://cluster.local/ns/A/sa/x", 'namespace "A": must be an RFC 1123 label'],
    ["spiffe://cluster.local/ns/a/sa/..", 'service account "..": must be an RFC 1123 subdomain'],
    ["spiffe://cluster.local/ns//sa/x", 'namespace "": must be an RFC 1123 label'],
    [`spiffe://cluster.local/ns/${"n".repeat(64)}/sa/x`, "≤ 63"],
  ])("refuses %s", (uri, reason) => {
    const r = parseSpiffeUri(uri);
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.errors.join("\n")).toContain(reason);
  });

  it("reports every bad part at once", () => {
    const r = validateIdentity({ trustDomain: "A B", namespace: "-a", serviceAccount: "x_" });
    expect(r.ok ? [] : r.errors).toHaveLength(3);
  });

  it("throws when asked to build an invalid identity (a programmer error)", () => {
    expect(() =>
      spiffeUri({ trustDomain: "cluster.local", namespace: "a/b", serviceAccount: "x" }),
    ).toThrow(/namespace "a\/b"/);
  });
});
