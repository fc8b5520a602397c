import { EgressRule, type EgressRuleProps } from "../../constructs";
import { meshProblems, synth, synthError, testChart } from "./synth";

describe("EgressRule", () => {
  it("registers an external TLS host on 443 by default", () => {
    const chart = testChart();
    new EgressRule(chart, "egress", { name: "api", host: "api.example.com" });
    const out = synth(chart);
    expect(out).toEqual([
      {
        apiVersion: "networking.istio.io/v1",
        kind: "ServiceEntry",
        metadata: { name: "api" },
        spec: {
          hosts: ["api.example.com"],
          location: "MESH_EXTERNAL",
          ports: [{ name: "tls", number: 443, protocol: "TLS" }],
          resolution: "DNS",
        },
      },
    ]);
    expect(meshProblems(out)).toEqual([]);
  });

  it("originates TLS: HTTP on 80 goes out as TLS to 443 with the host as SNI", () => {
    const chart = testChart();
    new EgressRule(chart, "egress", {
      name: "google",
      host: "www.googleapis.com",
      tlsOrigination: true,
    });
    const out = synth(chart);
    expect(out.map(m => m.spec)).toEqual([
      {
        hosts: ["www.googleapis.com"],
        location: "MESH_EXTERNAL",
        ports: [{ name: "http", number: 80, protocol: "HTTP", targetPort: 443 }],
        resolution: "DNS",
      },
      {
        host: "www.googleapis.com",
        trafficPolicy: {
          portLevelSettings: [
            { port: { number: 80 }, tls: { mode: "SIMPLE", sni: "www.googleapis.com" } },
          ],
        },
      },
    ]);
    expect(meshProblems(out)).toEqual([]);
  });

  it("takes a wildcard host with resolution NONE", () => {
    const chart = testChart();
    new EgressRule(chart, "egress", { host: "*.example.com" });
    expect((synth(chart)[0]!.spec as { resolution: string }).resolution).toBe("NONE");
  });

  it.each<[string, EgressRuleProps, string]>([
    ["a short name", { host: "api" }, 'test/egress: props.host: "api" is not a FQDN'],
    [
      "a bad label",
      { host: "api_.example.com" },
      'test/egress: props.host: domain name "api_.example.com" invalid',
    ],
    [
      "a wildcard resolved by DNS",
      { host: "*.example.com", resolution: "DNS" },
      "test/egress: props.resolution: a wildcard host needs NONE, not DNS",
    ],
    [
      "a wildcard with TLS origination",
      { host: "*.example.com", tlsOrigination: true },
      "test/egress: props.tlsOrigination: needs a host, not a wildcard",
    ],
    [
      "no ports",
      { host: "a.example.com", ports: [] },
      "test/egress: props.ports: needs at least one port",
    ],
    [
      "a bad port",
      { host: "a.example.com", ports: [{ number: 0, protocol: "TLS" }] },
      "test/egress: props.ports[0].number: 0 must be an integer from 1 to 65535",
    ],
  ])("refuses %s", (_, props, message) => {
    expect(() => new EgressRule(testChart(), "egress", props)).toThrow(message);
  });

  it("fails synth naming the path and prop when the validators refuse a port", () => {
    const chart = testChart();
    new EgressRule(chart, "egress", {
      name: "e",
      host: "a.example.com",
      ports: [{ number: 80, protocol: "BOGUS" }],
    });
    expect(synthError(chart)).toContain(
      "[test/egress] props.ports: ServiceEntry default/e: spec.ports[0].protocol: unsupported protocol: BOGUS",
    );
  });
});
