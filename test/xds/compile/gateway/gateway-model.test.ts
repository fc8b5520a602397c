/**
 * The model gateway listeners and routes are built from: what kind each Gateway server is, the
 * namespaces its hosts admit VirtualServices from, how a VirtualService names a Gateway, and the
 * hosts a bound VirtualService serves on a server (Istio's pickMatchingGatewayHosts).
 */
import type { VirtualService } from "../../../../mesh/api";
import {
  bindsGateway,
  boundVirtualServices,
  intersectHosts,
  parseServerHost,
  resolveGatewayName,
  serverKind,
  type GatewayServer,
  type GatewayServerSpec,
} from "../../../../xds/compile/gateway/gateway-model";

const spec = (protocol: string, mode?: string): GatewayServerSpec =>
  ({
    port: { number: 443, name: "p", protocol },
    hosts: ["*"],
    ...(mode ? { tls: { mode } } : {}),
  }) as GatewayServerSpec;

/** A server of Gateway istio-system/gw whose hosts are written as in `spec.servers[].hosts`. */
const server = (hosts: string[]): GatewayServer => ({
  gateway: "istio-system/gw",
  gatewayName: "gw",
  gatewayNamespace: "istio-system",
  spec: spec("HTTP"),
  index: 0,
  kind: "http",
  port: 80,
  hosts: hosts.map(h => parseServerHost(h, "istio-system")),
});

const vs = (namespace: string, hosts: string[], gateways = ["istio-system/gw"]): VirtualService =>
  ({
    metadata: { name: `vs-${namespace}`, namespace },
    spec: { hosts, gateways },
  }) as VirtualService;

describe("serverKind", () => {
  it.each([
    ["HTTP", undefined, "http"],
    ["HTTP2", undefined, "http"],
    ["GRPC", undefined, "http"],
    ["HTTPS", "SIMPLE", "https"],
    ["HTTPS", "ISTIO_MUTUAL", "https"],
    ["HTTPS", undefined, "passthrough"],
    ["TLS", "PASSTHROUGH", "passthrough"],
    ["TLS", "AUTO_PASSTHROUGH", "auto-passthrough"],
    ["TLS", "MUTUAL", "tls-terminated"],
    ["TCP", undefined, "tcp"],
    ["MONGO", undefined, "tcp"],
    ["UDP", undefined, undefined],
    ["https", "SIMPLE", "https"],
  ])("%s with TLS mode %s is %s", (protocol, mode, want) => {
    expect(serverKind(spec(protocol, mode))).toBe(want);
  });
});

describe("parseServerHost", () => {
  it.each([
    [
      "a bare host admits every namespace",
      "*.example.com",
      { namespace: "*", host: "*.example.com" },
    ],
    [
      "ns/host admits that namespace",
      "prod/web.example.com",
      { namespace: "prod", host: "web.example.com" },
    ],
    [
      "./host is the Gateway's own namespace",
      "./web.example.com",
      { namespace: "istio-system", host: "web.example.com" },
    ],
    ["*/host is any namespace", "*/web.example.com", { namespace: "*", host: "web.example.com" }],
  ])("%s", (_, raw, want) => {
    expect(parseServerHost(raw, "istio-system")).toEqual(want);
  });
});

describe("resolveGatewayName and bindsGateway", () => {
  it.each([
    ["a bare name is in the VirtualService's namespace", "gw", "default/gw"],
    ["namespace/name stays", "istio-system/gw", "istio-system/gw"],
    [
      "the legacy FQDN form names the same Gateway",
      "gw.istio-system.svc.cluster.local",
      "istio-system/gw",
    ],
    ["mesh stays mesh", "mesh", "mesh"],
  ])("%s", (_, ref, want) => {
    expect(resolveGatewayName(ref, "default")).toBe(want);
  });

  it("binds when any reference resolves to the Gateway, and never with no references", () => {
    expect(bindsGateway(["mesh", "gw"], "istio-system", "istio-system/gw")).toBe(true);
    expect(bindsGateway(["gw"], "default", "istio-system/gw")).toBe(false);
    expect(bindsGateway(undefined, "istio-system", "istio-system/gw")).toBe(false);
  });
});

describe("intersectHosts", () => {
  it.each([
    [
      "a wildcard server takes the VirtualService's host",
      ["*"],
      ["web.example.com"],
      ["web.example.com"],
    ],
    [
      "a wildcard VirtualService takes the server's host",
      ["web.example.com"],
      ["*"],
      ["web.example.com"],
    ],
    [
      "the more specific wildcard wins",
      ["*.example.com"],
      ["*.api.example.com"],
      ["*.api.example.com"],
    ],
    ["hosts that do not match give nothing", ["web.example.com"], ["api.example.com"], []],
    ["`*` on both stays `*`", ["*"], ["*"], ["*"]],
    [
      "one host matched by two server hosts is listed once",
      ["*", "*.example.com"],
      ["web.example.com"],
      ["web.example.com"],
    ],
  ])("%s", (_, serverHosts, vsHosts, want) => {
    expect(intersectHosts(server(serverHosts), vs("default", vsHosts))).toEqual(want);
  });

  it("a namespaced server host admits VirtualServices of that namespace only", () => {
    const s = server(["prod/*.example.com"]);
    expect(intersectHosts(s, vs("prod", ["web.example.com"]))).toEqual(["web.example.com"]);
    expect(intersectHosts(s, vs("dev", ["web.example.com"]))).toEqual([]);
  });
});

describe("boundVirtualServices", () => {
  it("keeps the VirtualServices bound to the server's Gateway that serve a host on it", () => {
    const bound = vs("default", ["web.example.com"]);
    const otherGateway = vs("other", ["web.example.com"], ["istio-system/other"]);
    const noHost = vs("nohost", ["api.internal"]);
    const got = boundVirtualServices(server(["*.example.com"]), [bound, otherGateway, noHost]);
    expect(got).toEqual([{ vs: bound, hosts: ["web.example.com"] }]);
  });
});
