/** Istio's names of gateway route configs and the domains of their virtual hosts. */
import type { GatewayServer } from "../../../../xds/compile/gateway/gateway-model";
import { gatewayDomains, gatewayRouteName } from "../../../../xds/compile/gateway/gateway-routes";

const server = (kind: GatewayServer["kind"], port: number, portName: string): GatewayServer =>
  ({
    gateway: "istio-system/gw",
    gatewayName: "gw",
    gatewayNamespace: "istio-system",
    spec: {
      port: { number: port, name: portName, protocol: kind === "https" ? "HTTPS" : "HTTP" },
      hosts: ["*"],
    },
    index: 0,
    kind,
    port,
    hosts: [{ namespace: "*", host: "*" }],
  }) as GatewayServer;

describe("gatewayRouteName", () => {
  it("plaintext HTTP servers of a port share http.<port>", () => {
    expect(gatewayRouteName(server("http", 8080, "http"))).toBe("http.8080");
  });

  it("a terminated HTTPS server has its own https.<port>.<portName>.<gateway>.<namespace>", () => {
    expect(gatewayRouteName(server("https", 443, "https-web"))).toBe(
      "https.443.https-web.gw.istio-system",
    );
  });
});

describe("gatewayDomains", () => {
  it.each(["web.example.com", "*.example.com", "*"])(
    "%s: the host alone, no host:port form (ports are ignored in host matching)",
    host => {
      expect(gatewayDomains(host)).toEqual([host]);
    },
  );
});
