/**
 * The server listeners of a proxyless gRPC workload, named by Istio's template, and the trust
 * domains their RBAC accepts.
 */
import { storeOf, type StoreObject } from "../../../../mesh/store";
import { compile } from "../../../../xds/compile";
import { checkedSnapshot, decoded, grpcNode, named } from "../fixtures";
import {
  ALLOW_CLIENT,
  build as meshBuild,
  F,
  hcmFilters,
  listener,
  principalNames,
  TRUST_DOMAINS,
  WEB,
} from "../mesh-authz";

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

describe("trustDomain and trustDomainAliases", () => {
  it.each(TRUST_DOMAINS)("proxyless gRPC server RBAC: %s", (_, mesh, want) => {
    const pod = {
      kind: "Pod",
      metadata: { name: "web-0", namespace: "default", labels: { app: "web" } },
      status: { podIP: "10.0.0.5" },
    } as unknown as StoreObject;
    const r = meshBuild(
      [WEB, pod, ALLOW_CLIENT],
      grpcNode("10.0.0.5", "web-0", "default", { app: "web" }),
      mesh,
    );
    const l = listener(r, "xds.istio.io/grpc/lds/inbound/10.0.0.5:8080");
    const rbac = hcmFilters(l.filter_chains[0]).find(f => f.name === F.rbac)!;
    expect(principalNames(rbac.typed_config.rules)).toEqual(want);
  });
});
