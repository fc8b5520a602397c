import { PeerAuthentication } from "../../capabilities/peer-authentication";
import { meshRuntime } from "../../control-plane/instance";
import { KINDS } from "../../mesh/api/kinds";
import { getIn } from "../../mesh/store";

// The capability is a table of contents: the three security kinds are watched into the mesh
// store on change and on delete, under the CRDs' real plurals.
describe("peer-authentication capability", () => {
  const watches = PeerAuthentication.bindings.filter(b => b.isWatch);

  it("watches PeerAuthentication, RequestAuthentication and AuthorizationPolicy, on change and on delete", () => {
    const watched = watches.map(b => `${b.kind.group}/${b.kind.version} ${b.kind.kind} ${b.event}`);
    const kinds = ["AuthorizationPolicy", "PeerAuthentication", "RequestAuthentication"];
    expect(watched.sort()).toEqual(
      kinds.flatMap(k => [
        `security.istio.io/v1 ${k} CREATEORUPDATE`,
        `security.istio.io/v1 ${k} DELETE`,
      ]),
    );
    expect(PeerAuthentication.bindings.filter(b => !b.isWatch)).toEqual([]);
  });

  it("names each watched resource by the CRD's plural", () => {
    for (const b of watches)
      expect([b.kind.kind, b.kind.plural]).toEqual([
        b.kind.kind,
        KINDS[b.kind.kind as keyof typeof KINDS].plural,
      ]);
    expect(watches.map(b => b.kind.plural)).toContain("authorizationpolicies");
  });

  it("folds a watched policy into the mesh store, and its deletion out of it", async () => {
    const binding = (event: string) =>
      watches.find(b => b.kind.kind === "AuthorizationPolicy" && b.event === event)!;
    const policy = {
      apiVersion: "security.istio.io/v1",
      metadata: { name: "deny-admin", namespace: "shop" },
      spec: { action: "DENY", rules: [{ to: [{ operation: { paths: ["/admin"] } }] }] },
    };
    try {
      // The payload carries no kind: the binding's kind is what routes it in the store.
      await binding("CREATEORUPDATE").watchCallback!(policy as never, "ADDED" as never);
      expect(getIn(meshRuntime.store.config.AuthorizationPolicy, "shop/deny-admin")?.spec).toEqual(
        policy.spec,
      );
      await binding("DELETE").watchCallback!(policy as never, "DELETED" as never);
      expect(
        getIn(meshRuntime.store.config.AuthorizationPolicy, "shop/deny-admin"),
      ).toBeUndefined();
    } finally {
      meshRuntime.stop();
    }
  });
});
