/**
 * What proxyless gRPC listeners carry for PeerAuthentication and AuthorizationPolicy,
 * one case per row, asserted on resources decoded from their bytes.
 */
import type { StoreObject } from "../../../mesh/store";
import { cfg, echo, MESHED, mesh, serverChain, type Json } from "./grpc-echo";

describe("proxyless gRPC server listener: mTLS per PeerAuthentication", () => {
  it.each([
    ["no policy (PERMISSIVE), workload with certificates", [], MESHED, true],
    ["no policy (PERMISSIVE), workload without certificates", [], {}, false],
    ["mesh STRICT", [mesh("STRICT")], {}, true],
    ["mesh DISABLE", [mesh("DISABLE")], MESHED, false],
    [
      "namespace DISABLE over mesh STRICT",
      [mesh("STRICT"), cfg("PeerAuthentication", "ns", "default", { mtls: { mode: "DISABLE" } })],
      MESHED,
      false,
    ],
    [
      "port-level STRICT over workload DISABLE",
      [
        cfg("PeerAuthentication", "w", "default", {
          selector: { matchLabels: { app: "echo" } },
          mtls: { mode: "DISABLE" },
          portLevelMtls: { 8080: { mode: "STRICT" } },
        }),
      ],
      {},
      true,
    ],
  ])("%s", (_, policies, labels, tls) => {
    const chain = serverChain([...echo([{ labels }]), ...(policies as StoreObject[])], {
      app: "echo",
      ...labels,
    });
    expect(chain.name).toBe(tls ? "inbound-mtls|8080" : "inbound-plaintext|8080");
    if (!tls) return expect(chain.transport_socket).toBeUndefined();
    expect(chain.transport_socket).toEqual({
      name: "envoy.transport_sockets.tls",
      typed_config: {
        "@type":
          "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
        common_tls_context: {
          tls_certificate_provider_instance: {
            instance_name: "default",
            certificate_name: "default",
          },
          validation_context: {
            ca_certificate_provider_instance: {
              instance_name: "default",
              certificate_name: "ROOTCA",
            },
          },
        },
        require_client_certificate: { value: true },
      },
    });
  });
});

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
