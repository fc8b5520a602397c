import {
  endpointsOf,
  hostAddressOf,
  HOST_ADDRESS_ANNOTATION,
  servicesForHost,
  storeOf,
  type KubePod,
  type StoreObject,
} from "../../../mesh/store";

const pod = (annotation?: string): KubePod => ({
  kind: "Pod",
  metadata: {
    name: "reviews-v1-abc",
    namespace: "shop",
    labels: { app: "reviews" },
    ...(annotation === undefined ? {} : { annotations: { [HOST_ADDRESS_ANNOTATION]: annotation } }),
  },
  spec: { serviceAccountName: "reviews" },
  status: { podIP: "10.244.0.7", phase: "Running" },
});

const objects = (annotation?: string): StoreObject[] => [
  {
    kind: "Service",
    metadata: { name: "reviews", namespace: "shop" },
    spec: { selector: { app: "reviews" }, ports: [{ name: "grpc", port: 9080 }] },
  } as StoreObject,
  {
    kind: "EndpointSlice",
    metadata: {
      name: "reviews-x1",
      namespace: "shop",
      labels: { "kubernetes.io/service-name": "reviews" },
    },
    ports: [{ name: "grpc", port: 9080 }],
    endpoints: [
      {
        addresses: ["10.244.0.7"],
        conditions: { ready: true },
        targetRef: { kind: "Pod", name: "reviews-v1-abc" },
      },
    ],
  } as StoreObject,
  pod(annotation),
];

const addresses = (hostAddresses: boolean, annotation?: string) => {
  const s = storeOf(objects(annotation), { hostAddresses });
  const svc = servicesForHost(s, "reviews.shop.svc.cluster.local")[0]!;
  return endpointsOf(s, svc, svc.ports[0]!).map(e => `${e.address}:${e.port}`);
};

describe("a pod's host address", () => {
  it.each([
    ["127.0.0.51", "127.0.0.51"],
    [" 127.1.2.3 ", "127.1.2.3"],
    ["10.0.0.1", undefined],
    ["127.0.0.256", undefined],
    ["127.0.0.1:9080", undefined],
    ["localhost", undefined],
    ["", undefined],
  ])("annotation %j is read as %j", (value, want) => {
    expect(hostAddressOf(pod(value))).toBe(want);
  });

  it("replaces the pod IP in the Service's endpoints when the store is asked to", () => {
    expect(addresses(true, "127.0.0.51")).toEqual(["127.0.0.51:9080"]);
  });

  it("is ignored by a store that was not asked (a control plane in a cluster)", () => {
    expect(addresses(false, "127.0.0.51")).toEqual(["10.244.0.7:9080"]);
  });

  it("never leads off the machine: a non-loopback annotation keeps the pod IP", () => {
    expect(addresses(true, "192.0.2.1")).toEqual(["10.244.0.7:9080"]);
    expect(addresses(true)).toEqual(["10.244.0.7:9080"]);
  });
});
