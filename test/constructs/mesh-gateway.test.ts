import * as kplus from "cdk8s-plus-27";
import { MeshGateway, type MeshGatewayProps } from "../../constructs";
import {
  defaultInjectionValues,
  defaultMeshSettings,
  injectPod,
  kubeInjectObject,
  type Pod,
} from "../../mesh/inject";
import { meshProblems, synth, synthError, testChart, type Manifest } from "./synth";

type Tree = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const byKind = (out: Manifest[], kind: string) => out.find(m => m.kind === kind) as Tree;

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

  describe("with deployment", () => {
    it("emits the gateway's ServiceAccount, Deployment and LoadBalancer Service, selected by the Gateway", () => {
      const chart = testChart("edge");
      const gw = new MeshGateway(chart, "gw", { name: "ingress", deployment: {} });
      const out = synth(chart);
      expect(out.map(m => m.kind)).toEqual(["ServiceAccount", "Deployment", "Service", "Gateway"]);
      const deployment = byKind(out, "Deployment");
      const pod = deployment.spec.template;
      expect(deployment.metadata.name).toBe("ingress");
      expect(deployment.spec.replicas).toBe(1);
      expect(pod.metadata.annotations).toEqual({ "inject.istio.io/templates": "gateway" });
      expect(pod.metadata.labels).toMatchObject({
        istio: "ingress",
        app: "ingress",
        "sidecar.istio.io/inject": "true",
      });
      expect(pod.spec.serviceAccountName).toBe("ingress");
      expect(pod.spec.containers).toHaveLength(1);
      expect(pod.spec.containers[0]).toMatchObject({
        name: "istio-proxy",
        image: "auto",
        imagePullPolicy: "IfNotPresent",
        ports: [{ containerPort: 15090, name: "http-envoy-prom", protocol: "TCP" }],
      });
      // The Gateway selects exactly these pods, and so does the Service.
      const gateway = byKind(out, "Gateway");
      expect(gateway.spec.selector).toEqual({ istio: "ingress" });
      expect(pod.metadata.labels).toMatchObject(gateway.spec.selector);
      const service = byKind(out, "Service");
      expect(service.metadata.name).toBe("ingress");
      expect(service.spec.type).toBe("LoadBalancer");
      expect(pod.metadata.labels).toMatchObject(service.spec.selector);
      expect(service.spec.ports).toEqual([
        { name: "status-port", port: 15021, targetPort: 15021 },
        { name: "http", port: 80, targetPort: 80 },
      ]);
      expect(byKind(out, "ServiceAccount").metadata.name).toBe("ingress");
      expect(gw.deployment?.name).toBe("ingress");
      expect(gw.service?.name).toBe("ingress");
      expect(meshProblems(out)).toEqual([]);
    });

    it("exposes every server's port: HTTPS and the redirecting HTTP", () => {
      const chart = testChart();
      new MeshGateway(chart, "gw", {
        name: "shop",
        hosts: ["shop.example.com"],
        tls: { credential: "shop-cert", port: 8443 },
        httpPort: 8080,
        deployment: {},
      });
      expect(byKind(synth(chart), "Service").spec.ports).toEqual([
        { name: "status-port", port: 15021, targetPort: 15021 },
        { name: "https", port: 8443, targetPort: 8443 },
        { name: "http", port: 8080, targetPort: 8080 },
      ]);
    });

    it("takes replicas, a name, the Service type and ports, resources and the selector", () => {
      const chart = testChart();
      new MeshGateway(chart, "gw", {
        name: "public",
        selector: { gateway: "public" },
        deployment: {
          name: "public-gw",
          replicas: 3,
          serviceType: kplus.ServiceType.NODE_PORT,
          servicePorts: [{ name: "http", port: 80, targetPort: 8080, nodePort: 30080 }],
          resources: { cpu: { request: kplus.Cpu.millis(100) } },
        },
      });
      const out = synth(chart);
      const deployment = byKind(out, "Deployment");
      expect(deployment.metadata.name).toBe("public-gw");
      expect(deployment.spec.replicas).toBe(3);
      expect(deployment.spec.template.metadata.labels).toMatchObject({
        gateway: "public",
        istio: "public-gw",
      });
      expect(deployment.spec.template.spec.containers[0].resources).toEqual({
        requests: { cpu: "100m" },
      });
      expect(byKind(out, "Gateway").spec.selector).toEqual({ gateway: "public" });
      const service = byKind(out, "Service");
      expect(service.spec.type).toBe("NodePort");
      expect(service.spec.ports).toEqual([
        { name: "http", port: 80, targetPort: 8080, nodePort: 30080 },
      ]);
    });

    it.each<[string, MeshGatewayProps, string]>([
      [
        "no name",
        { deployment: {} },
        "test/gw: props.deployment.name: needed when the gateway has no name",
      ],
      [
        "a bad name",
        { deployment: { name: "Edge_GW" } },
        'test/gw: props.deployment.name: "Edge_GW" is not a DNS-1123 label',
      ],
      [
        "negative replicas",
        { name: "edge", deployment: { replicas: -1 } },
        "test/gw: props.deployment.replicas: -1 must be an integer from 0 to 10000",
      ],
      [
        "no Service port",
        { name: "edge", deployment: { servicePorts: [] } },
        "test/gw: props.deployment.servicePorts: needs at least one port",
      ],
      [
        "a bad Service port",
        { name: "edge", deployment: { servicePorts: [{ port: 0 }] } },
        "test/gw: props.deployment.servicePorts[0].port: 0 must be an integer from 1 to 65535",
      ],
      [
        "a server on the status port",
        { name: "edge", httpPort: 15021, deployment: {} },
        "test/gw: props.httpPort: 15021 is the gateway's status port on the gateway pod",
      ],
    ])("refuses %s", (_, props, message) => {
      expect(() => new MeshGateway(testChart(), "gw", props)).toThrow(message);
    });

    it("becomes an Envoy gateway pod when run through the injector", () => {
      const chart = testChart("edge");
      new MeshGateway(chart, "gw", { name: "ingress", deployment: {} });
      const deployment = byKind(synth(chart), "Deployment");
      const mesh = defaultMeshSettings();
      const values = defaultInjectionValues();
      const proxyImage = `${values.global.hub}/proxyv2:${values.global.tag}`;

      // The webhook: a pod of the Deployment in a namespace with no injection label.
      const pod: Pod = {
        metadata: { ...deployment.spec.template.metadata, name: "ingress-abc", namespace: "edge" },
        spec: deployment.spec.template.spec,
      };
      const r = injectPod(pod, { metadata: { name: "edge" } }, mesh, values);
      if (!r.ok) throw new Error(r.errors.join("\n"));
      expect(r.value.decision.inject).toBe(true);
      const injected = r.value.pod;
      expect(injected.spec.containers.map(c => c.name)).toEqual(["istio-proxy"]);
      expect(injected.spec.initContainers).toBeUndefined();
      const proxy = injected.spec.containers[0]!;
      expect(proxy.image).toBe(proxyImage);
      expect(proxy.args?.slice(0, 2)).toEqual(["proxy", "router"]);
      expect(proxy.imagePullPolicy).toBe("IfNotPresent");
      expect(proxy.env?.find(e => e.name === "CA_ADDR")?.value).toBe(mesh.discoveryAddress);
      expect(injected.spec.securityContext).toMatchObject({
        sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }],
      });
      expect(injected.spec.volumes?.map(v => v.name)).toContain("istio-token");

      // kube-inject of the whole Deployment gives the same pod template.
      const k = kubeInjectObject(deployment, mesh, values);
      if (!k.ok) throw new Error(k.errors.join("\n"));
      const template = (k.value.object as Tree).spec.template;
      expect(template.spec.containers[0].image).toBe(proxyImage);
      expect(template.spec.containers[0].args.slice(0, 2)).toEqual(["proxy", "router"]);
    });
  });
});
