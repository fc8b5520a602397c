/**
 * Cluster load assignments: each endpoint's health as istiod reports it, decoded from the
 * encoded ClusterLoadAssignment.
 */
import type { StoreObject } from "../../../../mesh/store";
import { istioObject, named } from "../fixtures";
import { build, dec, SIDECAR, WEB, type Json } from "../web-service";

describe("endpoint health as istiod reports it", () => {
  const STATIC = istioObject("ServiceEntry", "db", "default", {
    hosts: ["db.internal"],
    ports: [{ number: 5432, name: "tcp", protocol: "TCP" }],
    resolution: "STATIC",
    location: "MESH_INTERNAL",
    endpoints: [{ address: "10.0.0.21" }, { address: "10.0.0.22" }],
  });
  const SLICE = {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: "web-abc",
      namespace: "default",
      labels: { "kubernetes.io/service-name": "web" },
    },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: [
      { addresses: ["10.0.0.31"], conditions: { ready: true } },
      { addresses: ["10.0.0.32"], conditions: { ready: false } },
    ],
  } as unknown as StoreObject;
  const healthOf = (objects: StoreObject[], clusterName: string) => {
    const r = build(SIDECAR, objects);
    const cla = dec(named(r.endpoints, clusterName));
    return (cla.endpoints as Json[]).flatMap(l =>
      (l.lb_endpoints as Json[]).map(
        e => `${e.endpoint.address.socket_address.address} ${e.health_status ?? "UNKNOWN"}`,
      ),
    );
  };

  it("a ServiceEntry's own endpoints have no readiness to report: UNKNOWN, balanced to as HEALTHY", () => {
    expect(healthOf([STATIC], "outbound|5432||db.internal")).toEqual([
      "10.0.0.21 UNKNOWN",
      "10.0.0.22 UNKNOWN",
    ]);
  });

  it("a Service's endpoints say what their readiness says", () => {
    expect(healthOf([WEB, SLICE], "outbound|80||web.default.svc.cluster.local")).toEqual([
      "10.0.0.31 HEALTHY",
      "10.0.0.32 UNHEALTHY",
    ]);
  });
});
