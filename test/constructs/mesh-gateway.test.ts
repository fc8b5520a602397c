import * as kplus from "cdk8s-plus-27";
import { MeshGateway, type MeshGatewayProps } from "../../constructs";
import { meshProblems, synth, synthError, testChart } from "./synth";

describe("MeshGateway", () => {
  it("serves plain HTTP on every host by default, with no routes", () => {
    const chart = testChart();
    new MeshGateway(chart, "gw", { name: "edge" });
    expect(synth(chart)).toEqual([
      {
        apiVersion: "networking.istio.io/v1",
        kind: "Gateway",
        metadata: { name: "edge" },
        spec: {
          selector: { istio: "ingressgateway" },
          servers: [{ hosts: ["*"], port: { name: "http", number: 80, protocol: "HTTP" } }],
        },
      },
    ]);
  });

  it("terminates TLS from a Secret, redirects HTTP, and routes to Services and Deployments", () => {
    const chart = testChart("shop");
    const web = new kplus.Service(chart, "web", {
      metadata: { name: "web" },
      ports: [{ port: 8080 }],
    });
    const api = new kplus.Deployment(chart, "api", {
      metadata: { name: "api" },
      containers: [{ image: "api:1", portNumber: 9000 }],
    });
    const cert = new kplus.Secret(chart, "cert", { metadata: { name: "shop-cert" } });
    const gw = new MeshGateway(chart, "gw", {
      name: "shop",
      hosts: ["shop.example.com"],
      tls: { credential: cert, mode: "MUTUAL" },
      routes: [{ pathPrefix: "/api", to: api }],
    });
    gw.addRoute({ to: web });
    const out = synth(chart);
    const istio = out.filter(m => m.apiVersion.includes("istio"));
    expect(istio).toEqual([
      {
        apiVersion: "networking.istio.io/v1",
        kind: "Gateway",
        metadata: { name: "shop", namespace: "shop" },
        spec: {
          selector: { istio: "ingressgateway" },
          servers: [
            {
              hosts: ["shop.example.com"],
              port: { name: "https", number: 443, protocol: "HTTPS" },
              tls: { credentialName: "shop-cert", mode: "MUTUAL" },
            },
            {
              hosts: ["shop.example.com"],
              port: { name: "http", number: 80, protocol: "HTTP" },
              tls: { httpsRedirect: true },
            },
          ],
        },
      },
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "shop-routes", namespace: "shop" },
        spec: {
          gateways: ["shop"],
          hosts: ["shop.example.com"],
          http: [
            {
              match: [{ uri: { prefix: "/api" } }],
              route: [
                {
                  destination: {
                    // The Service `exposeViaService()` made for the Deployment.
                    host: `${(api.node.findChild("Service") as kplus.Service).name}.shop.svc.cluster.local`,
                    port: { number: 9000 },
                  },
                },
              ],
            },
            {
              match: [{ uri: { prefix: "/" } }],
              route: [
                { destination: { host: "web.shop.svc.cluster.local", port: { number: 8080 } } },
              ],
            },
          ],
        },
      },
    ]);
    // The Deployment got exactly one Service, selecting its pods.
    expect(out.filter(m => m.kind === "Service")).toHaveLength(2);
    expect(meshProblems(out)).toEqual([]);
  });

  it("splits a route by weight", () => {
    const chart = testChart();
    new MeshGateway(chart, "gw", {
      routes: [
        {
          split: [
            { to: "a.example.com", weight: 80, port: 80 },
            { to: "b.example.com", weight: 20, port: 80 },
          ],
        },
      ],
    });
    const vs = synth(chart)[1]!;
    expect((vs.spec as { http: unknown[] }).http[0]).toEqual({
      match: [{ uri: { prefix: "/" } }],
      route: [
        { destination: { host: "a.example.com", port: { number: 80 } }, weight: 80 },
        { destination: { host: "b.example.com", port: { number: 80 } }, weight: 20 },
      ],
    });
  });

  it.each<[string, MeshGatewayProps, string]>([
    [
      "a host that is not a FQDN",
      { hosts: ["shop"] },
      'test/gw: props.hosts[0]: "shop" is not a valid FQDN or wildcard: short names (non FQDN) are not allowed',
    ],
    [
      "a partial wildcard",
      { hosts: ["shop*.example.com"] },
      'props.hosts[0]: "shop*.example.com" is not a valid FQDN or wildcard',
    ],
    [
      "a bad label",
      { hosts: ["-bad.example.com"] },
      'test/gw: props.hosts[0]: "-bad.example.com" is not a valid FQDN or wildcard',
    ],
    ["no host", { hosts: [] }, "test/gw: props.hosts: needs at least one host"],
    [
      "weights that do not add up",
      {
        routes: [
          {
            split: [
              { to: "a.b.c", weight: 70 },
              { to: "d.e.f", weight: 20 },
            ],
          },
        ],
      },
      "test/gw: props.routes[0].split: weights add up to 90, must be 100",
    ],
    [
      "a negative weight",
      {
        routes: [
          {
            split: [
              { to: "a.b.c", weight: -10 },
              { to: "d.e.f", weight: 110 },
            ],
          },
        ],
      },
      "test/gw: props.routes[0].split[0].weight: -10 must be an integer from 0 to 100",
    ],
    [
      "both to and split",
      { routes: [{ to: "a.b.c", split: [{ to: "a.b.c", weight: 100 }] }] },
      "test/gw: props.routes[0]: set exactly one of to and split",
    ],
    [
      "a path without /",
      { routes: [{ pathPrefix: "api", to: "a.b.c" }] },
      'test/gw: props.routes[0].pathPrefix: "api" must start with /',
    ],
    ["a redirect without TLS", { httpsRedirect: true }, "test/gw: props.httpsRedirect: needs tls"],
    [
      "a bad port",
      { httpPort: 70000 },
      "test/gw: props.httpPort: 70000 must be an integer from 1 to 65535",
    ],
  ])("refuses %s", (_, props, message) => {
    expect(() => new MeshGateway(testChart(), "gw", props)).toThrow(message);
  });

  it("fails synth, naming the construct path and prop, when Rigging's validators refuse", () => {
    const chart = testChart();
    new MeshGateway(chart, "gw", { name: "edge", routes: [{ to: "not a host" }] });
    expect(synthError(chart)).toContain(
      '[test/gw] props.routes[0]: VirtualService default/edge-routes: spec.http[0].route[0].destination.host: domain name "not a host" invalid',
    );
  });
});
