/**
 * What a proxy sees (buildScope): services hidden by exportTo or a Sidecar resource, and which
 * namespace's DestinationRule applies, asserted on the resources compiled for the proxy.
 */
import { build, cfg, HOST, SE } from "./reviews-entry";

describe("proxyless gRPC visibility", () => {
  it.each([
    [
      "exportTo '.' hides a service from other namespaces",
      [SE("ratings", "prod", { exportTo: ["."] })],
      false,
    ],
    ["exportTo 'default' shows it", [SE("ratings", "prod", { exportTo: ["default"] })], true],
    [
      "a namespace Sidecar without the host hides it",
      [
        SE("ratings", "prod"),
        cfg("Sidecar", "default", { egress: [{ hosts: ["./*", "istio-system/*"] }] }),
      ],
      false,
    ],
    [
      "a Sidecar selecting other workloads does not",
      [
        SE("ratings", "prod"),
        cfg("Sidecar", "other", {
          workloadSelector: { labels: { app: "other" } },
          egress: [{ hosts: ["./*"] }],
        }),
      ],
      true,
    ],
    [
      "a root-namespace Sidecar applies when the namespace has none",
      [
        SE("ratings", "prod"),
        cfg("Sidecar", "default", { egress: [{ hosts: ["./*"] }] }, "istio-system"),
      ],
      false,
    ],
  ])("%s", (_label, objects, visible) => {
    const names = build([SE("reviews"), ...objects]).listeners.map(l => l.name);
    expect(names.includes("ratings.prod.svc.cluster.local:9080")).toBe(visible);
    expect(names).toContain(`${HOST}:9080`);
  });

  it("the proxy's own namespace's DestinationRule wins over the service namespace's", () => {
    const objects = [
      SE("ratings", "prod"),
      cfg(
        "DestinationRule",
        "ratings",
        { host: "ratings.prod.svc.cluster.local", subsets: [{ name: "prod-rule" }] },
        "prod",
      ),
      cfg("DestinationRule", "ratings", {
        host: "ratings.prod.svc.cluster.local",
        subsets: [{ name: "client-rule" }],
      }),
    ];
    const names = build(objects).clusters.map(c => c.name);
    expect(names).toContain("outbound|9080|client-rule|ratings.prod.svc.cluster.local");
    expect(names).not.toContain("outbound|9080|prod-rule|ratings.prod.svc.cluster.local");
  });
});
