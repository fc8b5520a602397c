import { diffValues, nameClass, pathClass } from "./compare";
import {
  authorizationPolicyCorpus,
  benchmarkCorpus,
  gatewayTlsCorpus,
  peerAuthenticationCorpus,
  renderBenchmarkTemplate,
} from "./corpora";
import { edsNamesOf, istioNodeId, routeNamesOf } from "./dump";
import { normalise } from "./normalise";

describe("xDS diff suite parts", () => {
  it("renders Istio's benchmark templates (range/until, div, mod, whitespace trimming)", () => {
    const text = [
      "head",
      "---",
      "{{- range $i := until .Services }}",
      "name: s-{{$i}}",
      "ip: 240.{{div $i 2 }}.{{mod $i 2 }}",
      "---",
      "{{- end }}",
    ].join("\n");
    expect(renderBenchmarkTemplate(text, { Services: 3 })).toBe(
      "head\n---\nname: s-0\nip: 240.0.0\n---\nname: s-1\nip: 240.0.1\n---\nname: s-2\nip: 240.1.0\n---",
    );
    expect(() => renderBenchmarkTemplate("{{ .Nope }}", {})).toThrow("cannot evaluate");
  });

  it.each([
    ["outbound|9080|v1|reviews.default.svc.cluster.local", "outbound|*"],
    ["inbound|9080||", "inbound|*"],
    ["9080", "<port>"],
    ["0.0.0.0_9080", "0.0.0.0_*"],
    ["10.96.0.1_443", "<ip>_*"],
    ["http.8080", "http.*"],
    ["virtualInbound", "virtualInbound"],
  ])("classes the name %s as %s", (name, cls) => expect(nameClass(name)).toBe(cls));

  it("diffs named lists by name and reports one-sided fields and values", () => {
    const a = { f: [{ name: "x", v: 1 }, { name: "y" }], only: 1, same: [1, 2] };
    const b = { f: [{ name: "y" }, { name: "x", v: 2 }], same: [1, 2], extra: true };
    expect(diffValues(a, b)).toEqual([
      { path: "f[name=x].v", kind: "value", istiod: 1, rigging: 2 },
      { path: "f[order]", kind: "value", istiod: ["x", "y"], rigging: ["y", "x"] },
      { path: "only", kind: "istiod-only", istiod: 1 },
      { path: "extra", kind: "rigging-only", rigging: true },
    ]);
    expect(pathClass("filter_chains[3].filters[0].name")).toBe("filter_chains[].filters[].name");
    expect(pathClass("virtual_hosts[name=a:80].routes[name=r].x")).toBe(
      "virtual_hosts[name=*].routes[name=*].x",
    );
  });

  it("drops Istio's telemetry filters, config back-references and stat names, but keeps the mTLS endpoint match", () => {
    const listener = {
      name: "l",
      stat_prefix: "x",
      metadata: { filter_metadata: { istio: { config: "/apis/..." } } },
      filter_chains: [
        {
          filters: [
            { name: "istio.metadata_exchange" },
            { name: "envoy.filters.network.tcp_proxy", typed_config: { stat_prefix: "c" } },
          ],
        },
      ],
    };
    expect(normalise("LDS", listener)).toEqual({
      name: "l",
      filter_chains: [{ filters: [{ name: "envoy.filters.network.tcp_proxy", typed_config: {} }] }],
    });
    const tlsMode = { "envoy.transport_socket_match": { tlsMode: "istio" } };
    const endpoint = { metadata: { filter_metadata: { ...tlsMode, istio: { workload: "w" } } } };
    expect(normalise("EDS", endpoint)).toEqual({ metadata: { filter_metadata: tlsMode } });
  });

  it("names proxies as Istio does and finds what EDS and RDS to ask for", () => {
    const p = {
      kind: "sidecar" as const,
      ip: "10.0.0.5",
      podName: "a-1",
      namespace: "ns",
      labels: {},
      serviceAccount: "a",
    };
    expect(istioNodeId(p)).toBe("sidecar~10.0.0.5~a-1.ns~ns.svc.cluster.local");
    expect(
      edsNamesOf([
        { name: "c1", type: "EDS", eds_cluster_config: { service_name: "s1" } },
        { name: "c2", type: "EDS" },
        { name: "c3", type: "STATIC" },
      ]),
    ).toEqual(["c2", "s1"]);
    expect(
      routeNamesOf([
        { filter_chains: [{ filters: [{ typed_config: { rds: { route_config_name: "80" } } }] }] },
      ]),
    ).toEqual(["80"]);
  });
  it("builds the PeerAuthentication, AuthorizationPolicy and gateway TLS corpora from Istio's files", () => {
    const authz = authorizationPolicyCorpus();
    const policies = authz.files.flatMap(f => f.docs).filter(d => d.kind === "AuthorizationPolicy");
    expect(policies.length).toBeGreaterThan(20);
    const meta = policies.map(d => d.metadata as { name: string; namespace: string });
    expect(new Set(meta.map(m => m.name)).size).toBe(meta.length);
    expect(meta.every(m => m.namespace === "authz" && m.name.length <= 63)).toBe(true);
    expect(authz.files.some(f => f.file.includes("custom-"))).toBe(false);
    const pa = peerAuthenticationCorpus();
    expect(pa.proxies.map(p => p.label)).toEqual([
      "pa-strict (sidecar)",
      "pa-permissive (sidecar)",
      "pa-port (sidecar)",
      "pa-disable (sidecar)",
    ]);
    const gw = gatewayTlsCorpus();
    const secret = gw.files[0]!.docs[0]!;
    expect(Object.keys(secret.data as object).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
    const modes = gw.files
      .flatMap(f => f.docs)
      .filter(d => d.kind === "Gateway")
      .flatMap(d =>
        (d.spec as { servers: { tls: { mode: string } }[] }).servers.map(s => s.tls.mode),
      );
    expect(modes).toEqual(["SIMPLE", "MUTUAL", "PASSTHROUGH"]);
    expect(benchmarkCorpus("strict.yaml").files[0]!.docs.map(d => d.kind)).toEqual([
      "ServiceEntry",
      "PeerAuthentication",
    ]);
  });
});
