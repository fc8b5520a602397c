import type { ProxyReport, ResourceReport } from "../../../xds/status/client-status";
import {
  configTable,
  nackedResources,
  proxyConfigJson,
} from "../../../xds/status/proxy-config-view";
import { decodeResourceToJson, encodeResource } from "../../../xds/encode/encode-resource";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import {
  clientListener,
  edsCluster,
  endpoints,
  rootCaSecret,
  serverListener,
  serverRoute,
  weightedRoute,
} from "../../harness/xds-resources";

const T = "type.googleapis.com/";
const SHORT: Record<string, string> = {
  "envoy.config.cluster.v3.Cluster": "CDS",
  "envoy.config.endpoint.v3.ClusterLoadAssignment": "EDS",
  "envoy.config.listener.v3.Listener": "LDS",
  "envoy.config.route.v3.RouteConfiguration": "RDS",
  "envoy.extensions.transport_sockets.tls.v3.Secret": "SDS",
};

/** A resource as `rig` decodes it from CSDS: encoded, then decoded to JSON. */
function held(object: ResourceObject, state: ResourceReport["state"] = "SYNCED"): ResourceReport {
  const encoded = encodeResource(object);
  if (!encoded.ok) throw new Error(encoded.errors.join("\n"));
  const { typeUrl, name, version, value } = encoded.value;
  return {
    type: SHORT[typeUrl.slice(T.length)]!,
    typeUrl,
    name,
    version,
    state,
    config: decodeResourceToJson(typeUrl, value),
    nack: state === "ERROR" ? { version: "v9", detail: "weights sum to 0" } : undefined,
  };
}

const TCP_LISTENER: ResourceObject = {
  "@type": `${T}envoy.config.listener.v3.Listener`,
  name: "0.0.0.0_3306",
  address: { socket_address: { address: "0.0.0.0", port_value: 3306 } },
  filter_chains: [
    {
      filters: [
        {
          name: "envoy.filters.network.tcp_proxy",
          typed_config: {
            "@type": `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`,
            stat_prefix: "mysql",
            cluster: "outbound|3306||mysql.db.svc.cluster.local",
          },
        },
      ],
    },
  ],
};

const REPORT: ProxyReport = {
  nodeId: "sidecar~10.0.0.1~client.default~default.svc.cluster.local",
  cluster: "client.default",
  userAgent: "envoy",
  metadata: {},
  types: {},
  resources: [
    held(edsCluster("outbound|9080|v1|reviews.default.svc.cluster.local")),
    held(edsCluster("inbound|9080||")),
    held(edsCluster("echo-a")),
    {
      type: "CDS",
      typeUrl: `${T}envoy.config.cluster.v3.Cluster`,
      name: "gone",
      version: "",
      state: "NOT SENT",
    },
    held(endpoints("echo-a", [9001, 9002])),
    held(clientListener("echo.default.svc.cluster.local:80", "echo-route")),
    held(serverListener(8080, "inbound-route")),
    held(TCP_LISTENER),
    held(
      weightedRoute("echo-route", "echo.default.svc.cluster.local:80", {
        "echo-a": 80,
        "echo-b": 20,
      }),
      "ERROR",
    ),
    held(serverRoute("inbound-route")),
    held(rootCaSecret("ROOTCA", "not a certificate")),
  ],
};

describe("proxy-config view", () => {
  it.each([
    [
      "clusters",
      ["SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "STATE"],
      [
        ["echo-a", "-", "-", "-", "EDS", "SYNCED"],
        ["gone", "-", "-", "-", "-", "NOT SENT"],
        ["-", "9080", "-", "inbound", "EDS", "SYNCED"],
        ["reviews.default.svc.cluster.local", "9080", "v1", "outbound", "EDS", "SYNCED"],
      ],
    ],
    [
      "endpoints",
      ["ENDPOINT", "HEALTH", "CLUSTER", "STATE"],
      [
        ["127.0.0.1:9001", "HEALTHY", "echo-a", "SYNCED"],
        ["127.0.0.1:9002", "HEALTHY", "echo-a", "SYNCED"],
      ],
    ],
    [
      "listeners",
      ["NAME", "ADDRESS", "PORT", "TYPE", "DESTINATION", "STATE"],
      [
        [
          "0.0.0.0_3306",
          "0.0.0.0",
          "3306",
          "TCP",
          "Cluster: outbound|3306||mysql.db.svc.cluster.local",
          "SYNCED",
        ],
        ["echo.default.svc.cluster.local:80", "-", "-", "API", "Route: echo-route", "SYNCED"],
        [
          "xds.istio.io/grpc/lds/inbound/127.0.0.1:8080",
          "127.0.0.1",
          "8080",
          "TCP",
          "Route: inbound-route",
          "SYNCED",
        ],
      ],
    ],
    [
      "routes",
      ["NAME", "VHOST NAME", "DOMAINS", "MATCH", "DESTINATION", "STATE"],
      [
        [
          "echo-route",
          "echo.default.svc.cluster.local:80",
          "echo.default.svc.cluster.local:80",
          "/*",
          "echo-a 80, echo-b 20",
          "ERROR",
        ],
        ["inbound-route", "inbound", "*", "/*", "(handled locally)", "SYNCED"],
      ],
    ],
    ["secrets", ["RESOURCE NAME", "TYPE", "STATE", "NOT AFTER"], [["ROOTCA", "CA", "SYNCED", "-"]]],
  ] as const)("%s table", (kind, headers, rows) => {
    expect(configTable(REPORT, kind)).toEqual({ headers, rows });
  });

  it("finds the NACKed resources of the shown kinds only", () => {
    expect(nackedResources(REPORT, ["routes"]).map(r => r.name)).toEqual(["echo-route"]);
    expect(nackedResources(REPORT, ["clusters", "listeners"])).toEqual([]);
  });

  it("-o json carries the shown kinds in full", () => {
    const json = proxyConfigJson(REPORT, ["routes"]) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual([
      "name",
      "nodeId",
      "cluster",
      "userAgent",
      "connection",
      "routes",
    ]);
    expect(json.name).toBe("client.default");
    expect(json.routes).toEqual([
      expect.objectContaining({
        name: "echo-route",
        state: "ERROR",
        nack: { version: "v9", detail: "weights sum to 0" },
        config: expect.objectContaining({
          "@type": `${T}envoy.config.route.v3.RouteConfiguration`,
        }),
      }),
      expect.objectContaining({ name: "inbound-route" }),
    ]);
  });
});
