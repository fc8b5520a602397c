/**
 * Sidecar route configurations: the virtual hosts each port's route config gets for the
 * services and mesh VirtualServices on it, asserted on decoded RouteConfigurations.
 */
import { named, sidecarNode } from "../fixtures";
import { bookinfoLike, build, cfg, dec, type Json } from "../reviews-entry";
import type { StoreObject } from "../../../../mesh/store";
import { build as buildWeb, SIDECAR } from "../web-service";

describe("Envoy sidecar route configurations", () => {
  it("a mesh VirtualService's hosts that name no service on a port get virtual hosts as in istiod", () => {
    const web: StoreObject = {
      kind: "Service",
      metadata: { name: "web", namespace: "default" },
      spec: {
        clusterIP: "10.96.0.12",
        selector: { app: "web" },
        ports: [{ name: "http", port: 80 }],
      },
    } as StoreObject;
    const r = build(
      [
        ...bookinfoLike,
        web,
        // Names no port-80 service: on route 80 under its own host (istiod's port-80 rule).
        cfg("VirtualService", "reviews", {
          hosts: ["reviews"],
          http: [{ route: [{ destination: { host: "reviews" } }] }],
        }),
        // Names a port-80 service and an external host: the host joins route 80.
        cfg("VirtualService", "web", {
          hosts: ["web", "web.example.com"],
          http: [{ route: [{ destination: { host: "web" } }] }],
        }),
        // Its only route is for port 9080: nothing on route 80.
        cfg("VirtualService", "other", {
          hosts: ["other.example.com"],
          http: [{ match: [{ port: 9080 }], route: [{ destination: { host: "reviews" } }] }],
        }),
      ],
      sidecarNode("10.1.2.3", "client-abc", "default", { app: "client" }),
    );
    const rc80 = dec(named(r.routes, "80"));
    expect(rc80.virtual_hosts.map((v: Json) => [v.name, v.domains])).toEqual([
      ["reviews.default.svc.cluster.local:80", ["reviews.default.svc.cluster.local"]],
      [
        "web.default.svc.cluster.local:80",
        expect.arrayContaining(["web.default.svc.cluster.local"]),
      ],
      ["web.example.com:80", ["web.example.com"]],
      ["allow_any", ["*"]],
    ]);
    // As istiod: the destination is looked up among the services on the route's port, so a
    // service without port 80 is routed on 80 (a cluster neither control plane sends).
    expect(rc80.virtual_hosts[0].routes[0].route.cluster).toBe(
      "outbound|80||reviews.default.svc.cluster.local",
    );
    expect(dec(named(r.routes, "9080")).virtual_hosts[0].routes[0].route.cluster).toBe(
      "outbound|9080||reviews.default.svc.cluster.local",
    );
    const rc9080 = dec(named(r.routes, "9080"));
    expect(rc9080.virtual_hosts.map((v: Json) => v.name)).toEqual([
      "reviews.default.svc.cluster.local:9080",
      "allow_any",
    ]);
  });
});

describe("istiod's route and listener defaults", () => {
  const r = buildWeb(SIDECAR);
  const rc = dec(named(r.routes, "80"));
  const web = (rc.virtual_hosts as Json[]).find(v => v.name === "web.default.svc.cluster.local:80");

  it("virtual host domains as Istio 1.31 lists them: no :port forms, the absolute FQDN", () => {
    expect(web!.domains).toEqual([
      "web.default.svc.cluster.local",
      "web.default.svc.cluster.local.",
      "web",
      "web.default.svc",
      "web.default",
      "10.96.0.10",
    ]);
  });

  it("direct responses up to 1 MiB", () => {
    expect(rc.max_direct_response_body_size_bytes).toEqual({ value: 1048576 });
  });
});
