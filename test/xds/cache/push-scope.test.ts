/**
 * destinationHosts: the hosts a proxy's VirtualServices send to, which decide whether a changed
 * DestinationRule reaches the proxy. Planned pushes as a whole are held against full recompiles
 * in test/control-plane/push-scope.test.ts.
 */
import type { StoreObject } from "../../../mesh/store";
import { storeOf } from "../../../mesh/store";
import { destinationHosts } from "../../../xds/cache/push-scope";
import { parseProxy } from "../../../xds/compile";
import { buildScope } from "../../../xds/compile/scope";

const vs = (name: string, ns: string, spec: object) =>
  ({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name, namespace: ns },
    spec,
  }) as unknown as StoreObject;

const service = (name: string, ns: string) =>
  ({
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: { clusterIP: "10.96.0.1", selector: { app: name }, ports: [{ name: "http", port: 80 }] },
  }) as StoreObject;

const proxy = parseProxy({
  id: "sidecar~10.0.0.2~web-1.shop~shop.svc.cluster.local",
  metadata: { NAMESPACE: "shop", LABELS: { app: "web" } },
});

function hostsOf(objects: StoreObject[]): string[] {
  if (!proxy.ok) throw new Error(proxy.errors.join());
  const scope = buildScope(storeOf([service("reviews", "shop"), ...objects]), proxy.value);
  return [...destinationHosts(scope)].sort();
}

const fqdn = (name: string, ns: string) => `${name}.${ns}.svc.cluster.local`;

describe("destinationHosts", () => {
  it.each<[string, StoreObject[], string[]]>([
    [
      "weighted, mirror and mirrors destinations of HTTP, TCP and TLS routes, resolved",
      [
        vs("reviews", "shop", {
          hosts: ["reviews"],
          http: [
            {
              route: [{ destination: { host: "reviews" } }],
              mirror: { host: "shadow" },
              mirrors: [{ destination: { host: "audit.ops.svc.cluster.local" } }],
              // A header called `host` is no destination.
              headers: { request: { set: { host: "decoy" } } },
            },
          ],
          tcp: [{ route: [{ destination: { host: "mongo" } }] }],
          tls: [
            { match: [{ sniHosts: ["reviews"] }], route: [{ destination: { host: "tls-b" } }] },
          ],
        }),
      ],
      [
        fqdn("audit", "ops"),
        fqdn("mongo", "shop"),
        fqdn("reviews", "shop"),
        fqdn("shadow", "shop"),
        fqdn("tls-b", "shop"),
      ],
    ],
    [
      "a delegate's destinations, resolved in the delegate's namespace",
      [
        vs("root", "shop", {
          hosts: ["reviews"],
          http: [{ delegate: { name: "routes", namespace: "team" } }],
        }),
        vs("routes", "team", {
          http: [{ route: [{ destination: { host: "reviews-v2" } }], mirror: { host: "shadow" } }],
        }),
      ],
      [fqdn("reviews-v2", "team"), fqdn("shadow", "team")],
    ],
    [
      "none for a VirtualService bound to a gateway only",
      [
        vs("ingress", "shop", {
          hosts: ["reviews"],
          gateways: ["istio-system/gw"],
          http: [{ route: [{ destination: { host: "reviews" } }] }],
        }),
      ],
      [],
    ],
  ])("%s", (_what, objects, expected) => {
    expect(hostsOf(objects)).toEqual(expected);
  });
});
