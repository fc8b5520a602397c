import { CertIssuance } from "../../capabilities/cert-issuance";

// The capability is a table of contents: it only watches (the CA runs in the watcher), never
// admits, and each watch is narrowed to the objects it concerns.
describe("cert-issuance capability", () => {
  const bindings = CertIssuance.bindings.map(b => ({
    kind: b.kind.kind,
    event: b.event,
    watch: b.isWatch,
    name: b.filters.name,
    namespaces: b.filters.namespaces,
  }));

  it("only watches", () => {
    expect(bindings.every(b => b.watch)).toBe(true);
    expect(bindings).toHaveLength(7);
  });

  it("publishes the root to every namespace as namespaces come and change", () => {
    expect(bindings).toContainEqual({
      kind: "Namespace",
      event: "CREATEORUPDATE",
      watch: true,
      name: "",
      namespaces: [],
    });
  });

  it("follows both CA Secrets in pepr-system, on change and on deletion", () => {
    for (const name of ["cacerts", "rigging-ca"]) {
      for (const event of ["CREATEORUPDATE", "DELETE"]) {
        expect(bindings).toContainEqual({
          kind: "Secret",
          event,
          watch: true,
          name,
          namespaces: ["pepr-system"],
        });
      }
    }
  });

  it("repairs istio-ca-root-cert edited or deleted in any namespace", () => {
    const cms = bindings.filter(b => b.kind === "ConfigMap");
    expect(cms.map(b => [b.event, b.name])).toEqual([
      ["UPDATE", "istio-ca-root-cert"],
      ["DELETE", "istio-ca-root-cert"],
    ]);
  });
});
