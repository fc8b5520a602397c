/** The server listeners of a proxyless gRPC workload, named by Istio's template. */
import { storeOf, type StoreObject } from "../../../../mesh/store";
import { compile } from "../../../../xds/compile";
import { checkedSnapshot, decoded, grpcNode, named } from "../fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const dec = (r: Parameters<typeof decoded>[0]): Json => decoded(r);

/** Compiles for `node`; every resource passes the encoder check, every reference resolves. */
function build(objects: StoreObject[], node: ReturnType<typeof grpcNode>) {
  const result = compile(storeOf(objects), node);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  checkedSnapshot(result.value);
  return result.value;
}

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
