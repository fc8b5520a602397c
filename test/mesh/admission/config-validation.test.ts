import { admitConfig, CONFIG_KIND_VERSIONS } from "../../../mesh/admission/config-validation";

describe("admitConfig", () => {
  const vs = (http: unknown[], namespace?: string) => ({
    apiVersion: "networking.istio.io/v1beta1",
    kind: "VirtualService",
    metadata: { name: "reviews", ...(namespace ? { namespace } : {}) },
    spec: { hosts: ["reviews"], http },
  });

  it("denies with every error joined, each naming object, path and rule", () => {
    const verdict = admitConfig(
      {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: "r", namespace: "shop" },
        spec: { host: "", subsets: [{ name: "v1" }, { name: "v1" }] },
      },
      "shop",
    );
    expect(verdict.action).toBe("deny");
    const parts = verdict.action === "deny" ? verdict.message.split("; ") : [];
    expect(parts.length).toBeGreaterThanOrEqual(2);
    for (const p of parts) expect(p).toMatch(/^DestinationRule shop\/r: spec\.[\w.[\]]+: /);
  });

  it("admits with warnings, naming the request's namespace when the object has none", () => {
    const verdict = admitConfig(
      vs([
        { route: [{ destination: { host: "reviews" } }] },
        { match: [{ uri: { prefix: "/a" } }], route: [{ destination: { host: "reviews" } }] },
      ]),
      "shop",
    );
    expect(verdict).toEqual({
      action: "allow",
      warnings: [
        "VirtualService shop/reviews: spec.http[1]: virtualService rule #1 not used (route without matches defined before)",
      ],
    });
  });

  it("admits a clean object without warnings", () => {
    expect(admitConfig(vs([{ route: [{ destination: { host: "reviews" } }] }], "shop"))).toEqual({
      action: "allow",
      warnings: [],
    });
  });

  it.each([null, 42, "x", [], {}, { apiVersion: "v1", kind: "ConfigMap" }])(
    "denies %j rather than throwing",
    obj => {
      expect(admitConfig(obj).action).toBe("deny");
    },
  );

  it("lists every served version with the CRD plural", () => {
    // Networking (3 versions, EnvoyFilter 1), security (2 each), Telemetry (v1, v1alpha1).
    expect(CONFIG_KIND_VERSIONS.length).toBe(8 * 3 - 2 + 3 * 2 + 2);
    expect(CONFIG_KIND_VERSIONS).toContainEqual({
      group: "telemetry.istio.io",
      version: "v1alpha1",
      kind: "Telemetry",
      plural: "telemetries",
    });
    expect(CONFIG_KIND_VERSIONS).toContainEqual({
      group: "networking.istio.io",
      version: "v1alpha3",
      kind: "ServiceEntry",
      plural: "serviceentries",
    });
  });
});
