import {
  notAnInjectedPod,
  withValidationMatchConditions,
} from "../../../mesh/admission/validation-match-conditions";

// The expression itself is evaluated by the real API server in
// test/integration/admission.test.ts; here, how it is attached to a webhook.
describe("the validating webhook's matchConditions", () => {
  it("adds the injected-pod condition to a webhook without conditions", () => {
    const webhook: { name: string; matchConditions?: { name: string; expression: string }[] } = {
      name: "w",
    };
    expect(withValidationMatchConditions(webhook)).toEqual({
      name: "w",
      matchConditions: [notAnInjectedPod],
    });
  });

  it("keeps other conditions and replaces its own, so a second run changes nothing", () => {
    const other = { name: "someone-else", expression: "true" };
    const stale = { name: notAnInjectedPod.name, expression: "false" };
    const once = withValidationMatchConditions({ matchConditions: [other, stale] });
    expect(once.matchConditions).toEqual([other, notAnInjectedPod]);
    expect(withValidationMatchConditions(once)).toEqual(once);
  });

  it("reads the annotations the injector and the mesh-required rule read", () => {
    for (const key of ["'sidecar.istio.io/status'", "'sidecar.istio.io/inject'", "hostNetwork"])
      expect(notAnInjectedPod.expression).toContain(key);
  });
});
