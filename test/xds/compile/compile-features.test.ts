/**
 * Compiler table tests for the proxyless gRPC server listener, asserting the Envoy resources as decoded from
 * their protobuf bytes (so a dropped or misspelled field fails the assertion, not just the
 * encoder check).
 */
import type { StoreObject } from "../../../mesh/store";
import { grpcNode, named } from "./fixtures";
import { build, dec } from "./reviews-entry";

describe("proxyless gRPC resources", () => {
  it("a server listener for each port the workload serves, under Istio's template", () => {
    const svc = {
      kind: "Service",
      metadata: { name: "reviews", namespace: "default" },
      spec: {
        selector: { app: "reviews" },
        ports: [{ name: "grpc", port: 9080, targetPort: 8080 }],
      },
    } as StoreObject;
    const r = build([svc], grpcNode("127.0.0.7", "reviews-abc", "default", { app: "reviews" }));
    const listener = dec(named(r.listeners, "xds.istio.io/grpc/lds/inbound/127.0.0.7:8080"));
    expect(listener.address.socket_address).toEqual({ address: "127.0.0.7", port_value: 8080 });
  });
});
