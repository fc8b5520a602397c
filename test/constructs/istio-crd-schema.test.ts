import { checkAgainstIstio } from "./istio-crd-schema";

const vs = (spec: unknown) => ({
  apiVersion: "networking.istio.io/v1",
  kind: "VirtualService",
  metadata: { name: "r" },
  spec,
});

describe("the Istio CRD schema check used by the construct tests", () => {
  it("accepts a valid object", () => {
    expect(
      checkAgainstIstio(
        vs({ hosts: ["r"], http: [{ route: [{ destination: { host: "r" }, weight: 100 }] }] }),
      ).errors,
    ).toEqual([]);
  });

  it.each<[string, Record<string, unknown>, string]>([
    ["an unknown field", vs({ hostz: ["r"] }), "VirtualService.spec.hostz: unknown field"],
    ["a wrong type", vs({ hosts: "r" }), "VirtualService.spec.hosts: expected array, got string"],
    [
      "a missing required field",
      vs({ http: [{ route: [{ weight: 1 }] }] }),
      "VirtualService.spec.http[0].route[0].destination: required",
    ],
    [
      "two members of a oneOf",
      vs({ http: [{ match: [{ uri: { exact: "/", prefix: "/" } }] }] }),
      "VirtualService.spec.http[0].match[0].uri: must match exactly one oneOf branch",
    ],
    [
      "a value outside an enum",
      {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        spec: { mtls: { mode: "SOMETIMES" } },
      },
      'PeerAuthentication.spec.mtls.mode: "SOMETIMES" not in enum',
    ],
    [
      "a version Istio does not serve",
      { apiVersion: "networking.istio.io/v2", kind: "Gateway", spec: {} },
      "Istio serves no Gateway in networking.istio.io/v2",
    ],
    [
      "an int32 overflow",
      vs({ http: [{ route: [{ destination: { host: "r" }, weight: 2 ** 31 }] }] }),
      "is not an int32",
    ],
  ])("refuses %s", (_, manifest, message) => {
    expect(checkAgainstIstio(manifest).errors.join("\n")).toContain(message);
  });

  it("counts the CEL rules it does not evaluate", () => {
    const out = checkAgainstIstio(
      vs({ http: [{ timeout: "1s", route: [{ destination: { host: "r" } }] }] }),
    );
    expect(out.skippedCel).toBeGreaterThan(0);
  });
});
