import { createSnapshot } from "../../../xds/cache/snapshot";
import { TypeUrl } from "../../../xds/encode/type-urls";
import {
  AUTHENTICATED_NAMESPACE_KEY,
  AUTHENTICATED_SERVICE_ACCOUNT_KEY,
  authenticatedCaller,
  claimedNamespace,
  SECRET_ACCESS_KEY,
  visibleToCaller,
} from "../../../xds/server/caller";
import { edsCluster, endpoints, rootCaSecret } from "../../harness/xds-resources";

describe("claimedNamespace", () => {
  it.each([
    [
      {
        id: "router~10.0.0.1~gw.istio-system~istio-system.svc.cluster.local",
        metadata: { NAMESPACE: "a" },
      },
      "a",
    ],
    [{ id: "sidecar~10.0.0.1~reviews-v1-abc.shop~shop.svc.cluster.local", metadata: {} }, "shop"],
    [{ id: "not-an-istio-id", metadata: {} }, undefined],
    [{ id: "sidecar~10.0.0.1~nodot~x", metadata: { NAMESPACE: "" } }, undefined],
  ])("%j → %s", (node, expected) => expect(claimedNamespace(node)).toBe(expected));
});

describe("authenticatedCaller", () => {
  const from = (md: Record<string, string>) => authenticatedCaller(key => md[key]);

  it.each([
    [{}, undefined],
    [
      { [AUTHENTICATED_NAMESPACE_KEY]: "gw", [SECRET_ACCESS_KEY]: "allowed" },
      { namespace: "gw", serviceAccount: undefined, secretsAllowed: true },
    ],
    [
      { [AUTHENTICATED_NAMESPACE_KEY]: "gw", [SECRET_ACCESS_KEY]: "denied" },
      { namespace: "gw", serviceAccount: undefined, secretsAllowed: false },
    ],
    // A port that authenticates but says nothing about Secrets fails closed.
    [
      { [AUTHENTICATED_NAMESPACE_KEY]: "gw", [AUTHENTICATED_SERVICE_ACCOUNT_KEY]: "ingress" },
      { namespace: "gw", serviceAccount: "ingress", secretsAllowed: false },
    ],
    [
      { [AUTHENTICATED_NAMESPACE_KEY]: "gw", [SECRET_ACCESS_KEY]: "ALLOWED" },
      { namespace: "gw", serviceAccount: undefined, secretsAllowed: false },
    ],
  ])("%j → %j", (md, expected) => expect(from(md)).toEqual(expected));
});

describe("visibleToCaller", () => {
  const result = createSnapshot([
    rootCaSecret("kubernetes://gw-cert", "CERT"),
    edsCluster("a"),
    endpoints("a", [9000]),
  ]);
  if (!result.ok) throw new Error(result.errors.join());
  const snapshot = result.value;
  const denied = { namespace: "gw", secretsAllowed: false };

  it("leaves the snapshot alone without a caller, for an allowed one, or with no Secrets", () => {
    expect(visibleToCaller(snapshot, undefined)).toEqual({ snapshot, withheld: 0 });
    expect(visibleToCaller(snapshot, { ...denied, secretsAllowed: true }).snapshot).toBe(snapshot);
    const { snapshot: none } = visibleToCaller(snapshot, denied);
    expect(visibleToCaller(none, denied)).toEqual({ snapshot: none, withheld: 0 });
  });

  it("withholds Secrets from a stream without a caller when the server says `withhold`", () => {
    expect(visibleToCaller(snapshot, undefined, "serve")).toEqual({ snapshot, withheld: 0 });
    const view = visibleToCaller(snapshot, undefined, "withhold");
    expect(view.withheld).toBe(1);
    expect(view.snapshot.resources.get(TypeUrl.secret)?.size).toBe(0);
    // An authenticated caller is judged by its own access, whatever the setting.
    const allowed = { ...denied, secretsAllowed: true };
    expect(visibleToCaller(snapshot, allowed, "withhold").snapshot).toBe(snapshot);
  });

  it("empties the Secret type for a caller that may not list Secrets, keeping the rest", () => {
    const view = visibleToCaller(snapshot, denied);
    expect(view.withheld).toBe(1);
    expect(view.snapshot.resources.get(TypeUrl.secret)?.size).toBe(0);
    expect(view.snapshot.versions.get(TypeUrl.secret)).not.toBe(
      snapshot.versions.get(TypeUrl.secret),
    );
    expect(view.snapshot.resources.get(TypeUrl.cluster)).toBe(
      snapshot.resources.get(TypeUrl.cluster),
    );
    expect(snapshot.resources.get(TypeUrl.secret)?.size).toBe(1);
  });
});
