import { claimedNamespace } from "../../../xds/server/caller";

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
