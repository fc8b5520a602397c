/**
 * DiscoveryRequest decoding: the node parts the compiler reads (id, metadata, locality) survive
 * protobuf, and a node without a locality has none.
 */
import { messageType } from "../../../xds/encode/proto-root";
import { decodeSotwRequest } from "../../../xds/server/messages";
import { jsonToStruct } from "../../../xds/status/struct-json";

const encode = (node: Record<string, unknown>) => {
  const type = messageType("envoy.service.discovery.v3.DiscoveryRequest");
  return type
    .encode(
      type.fromObject({ node, type_url: "type.googleapis.com/envoy.config.listener.v3.Listener" }),
    )
    .finish();
};

describe("decodeSotwRequest: the node", () => {
  it("carries id, metadata and locality", () => {
    const request = decodeSotwRequest(
      encode({
        id: "sidecar~10.0.0.1~a.default~default.svc.cluster.local",
        metadata: jsonToStruct({ NAMESPACE: "default", LABELS: { app: "a" } }),
        locality: { region: "us-east1", zone: "us-east1-b" },
      }),
    );
    expect(request.node).toMatchObject({
      id: "sidecar~10.0.0.1~a.default~default.svc.cluster.local",
      metadata: { NAMESPACE: "default", LABELS: { app: "a" } },
      locality: { region: "us-east1", zone: "us-east1-b", sub_zone: undefined },
    });
  });

  it("has no locality when the node sends none or an empty one", () => {
    expect(decodeSotwRequest(encode({ id: "x" })).node?.locality).toBeUndefined();
    expect(decodeSotwRequest(encode({ id: "x", locality: {} })).node?.locality).toBeUndefined();
  });
});
