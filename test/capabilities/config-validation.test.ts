import { ConfigValidation } from "../../capabilities/config-validation";
import { installsCrds } from "../../capabilities/istio-crds";
import { KIND_NAMES, KINDS } from "../../mesh/api/kinds";

// The capability is a table of contents: every served version of every Istio kind, validated on
// create and update.
describe("config-validation capability", () => {
  const bindings = ConfigValidation.bindings.map(b => ({
    gvk: `${b.kind.group}/${b.kind.version}/${b.kind.kind}`,
    plural: b.kind.plural,
    event: b.event,
    validate: b.isValidate === true && b.isMutate !== true,
  }));

  it("validates every served version of every kind on create and update", () => {
    const expected = KIND_NAMES.flatMap(k =>
      KINDS[k].versions.map(v => `${KINDS[k].group}/${v}/${k}`),
    ).sort();
    expect(bindings.map(b => b.gvk).sort()).toEqual(expected);
    expect(expected).toContain("networking.istio.io/v1beta1/VirtualService");
    expect(expected).toContain("security.istio.io/v1beta1/AuthorizationPolicy");
    for (const b of bindings)
      expect([b.gvk, b.event, b.validate]).toEqual([b.gvk, "CREATEORUPDATE", true]);
  });

  it("names each webhook rule's resource by the CRD's plural, not Pepr's kind + s", () => {
    const policy = bindings.find(b => b.gvk === "security.istio.io/v1/AuthorizationPolicy");
    expect(policy?.plural).toBe("authorizationpolicies");
  });
});

describe("installsCrds", () => {
  it.each([
    [{ PEPR_WATCH_MODE: "true" }, true],
    [{ PEPR_MODE: "dev" }, true],
    [{ PEPR_WATCH_MODE: "false" }, false],
    [{ PEPR_MODE: "build", PEPR_WATCH_MODE: "true" }, false],
    [{}, false],
  ])("%j → %s", (env, expected) => {
    expect(installsCrds(env as NodeJS.ProcessEnv)).toBe(expected);
  });
});
