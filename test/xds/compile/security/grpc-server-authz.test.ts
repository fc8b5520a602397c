/** AuthorizationPolicies as the RBAC HTTP filters of a proxyless gRPC server listener. */
import type { StoreObject } from "../../../../mesh/store";
import { cfg, echo, MESHED, serverChain, type Json } from "../grpc-echo";

describe("proxyless gRPC server listener: RBAC filters", () => {
  const deny = (ns: string, selector?: Json) =>
    cfg("AuthorizationPolicy", "deny", ns, {
      ...(selector ? { selector: { matchLabels: selector } } : {}),
      action: "DENY",
      rules: [{ to: [{ operation: { paths: ["/x.Y/Z"] } }] }],
    });
  const allow = cfg("AuthorizationPolicy", "allow", "default", {
    rules: [{ from: [{ source: { principals: ["cluster.local/ns/default/sa/client"] } }] }],
  });
  const filters = (policies: StoreObject[]) =>
    serverChain([
      ...echo([{ labels: MESHED }]),
      ...policies,
    ]).filters[0].typed_config.http_filters.map((f: Json) => f.name);

  it.each([
    ["no policy", [], []],
    [
      "DENY then ALLOW, router last",
      [allow, deny("default")],
      ["envoy.filters.http.rbac.DENY", "envoy.filters.http.rbac"],
    ],
    [
      "a root-namespace policy applies mesh-wide",
      [deny("istio-system")],
      ["envoy.filters.http.rbac.DENY"],
    ],
    ["another namespace's policy does not", [deny("other")], []],
    ["a selector not matching the workload does not", [deny("default", { app: "other" })], []],
    [
      "a selector matching it does",
      [deny("default", { app: "echo" })],
      ["envoy.filters.http.rbac.DENY"],
    ],
  ])("%s", (_, policies, want) => {
    expect(filters(policies as StoreObject[])).toEqual([...want, "envoy.filters.http.router"]);
  });

  it("matches the principal as the SPIFFE URI of the peer certificate", () => {
    const chain = serverChain([...echo([{ labels: MESHED }]), allow]);
    expect(JSON.stringify(chain.filters[0].typed_config.http_filters[0])).toContain(
      "spiffe://cluster.local/ns/default/sa/client",
    );
  });
});
