import {
  requestAuthenticationsFor,
  requestPrincipalOf,
  type RequestAuthenticationInput,
} from "../../../mesh/authn/request-authentication";

const ra = (
  extra: Partial<RequestAuthenticationInput["spec"]> = {},
  ns = "foo",
): RequestAuthenticationInput => ({
  namespace: ns,
  name: "jwt",
  spec: { jwtRules: [], ...extra },
});

describe("RequestAuthentication for a workload", () => {
  it("selects by namespace, root namespace and selector; targetRef policies are not for workloads", () => {
    const w = { namespace: "foo", labels: { app: "a" } };
    const all = [
      ra({}, "foo"),
      ra({}, "istio-system"),
      ra({}, "bar"),
      ra({ selector: { matchLabels: { app: "a" } } }),
      ra({ selector: { matchLabels: { app: "b" } } }),
      ra({ targetRefs: [{ kind: "Gateway", name: "gw" }] }),
    ];
    expect(
      requestAuthenticationsFor(all, w).map(p => [p.namespace, p.spec.selector?.matchLabels?.app]),
    ).toEqual([
      ["foo", undefined],
      ["istio-system", undefined],
      ["foo", "a"],
    ]);
  });

  it("requestPrincipals are iss/sub", () => {
    expect(requestPrincipalOf({ iss: "https://accounts.example.com", sub: "alice" })).toBe(
      "https://accounts.example.com/alice",
    );
  });
});
