/**
 * What a proxy sees (buildScope): services hidden by exportTo or a Sidecar resource, which
 * namespace's DestinationRule applies, the outbound traffic policy in force (its Sidecar's, else
 * the mesh's) and the root namespace whose policies apply mesh-wide, asserted on the resources
 * compiled for the proxy.
 */
import type { StoreObject } from "../../../mesh/store";
import type { CompiledResources, MeshOptions } from "../../../xds/compile";
import { decoded, istioObject, named } from "./fixtures";
import {
  build as meshBuild,
  CLIENT_SIDECAR,
  ECHO,
  F,
  filterNames,
  GATEWAY,
  gatewayFilters,
  gatewayWith,
  inboundChains,
  inboundHttpFilters,
  ISSUER,
  jwks,
  listener,
  routerIn,
  WEB,
  WEB_SIDECAR,
  type Json,
} from "./mesh-authz";
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

describe("outboundTrafficPolicy", () => {
  const sidecarResource = (mode: string, namespace = "default") =>
    istioObject("Sidecar", "default", namespace, { outboundTrafficPolicy: { mode } });
  /** Where virtualOutbound sends unknown destinations, and the HTTP catch-all's answer. */
  function unknownDestinations(r: CompiledResources): [string, string] {
    const chains = listener(r, "virtualOutbound").filter_chains as Json[];
    const catchAll = chains.find(c => c.name === "virtualOutbound-catchall-tcp")!;
    const vhosts = decoded(named(r.routes, "8080")).virtual_hosts as Json[];
    const last = vhosts[vhosts.length - 1]!;
    const answer = last.routes[0].direct_response
      ? `${last.name} ${last.routes[0].direct_response.status}`
      : `${last.name} ${last.routes[0].route.cluster}`;
    return [catchAll.filters[0].typed_config.cluster, answer];
  }
  const OPEN: [string, string] = ["PassthroughCluster", "allow_any PassthroughCluster"];
  const CLOSED: [string, string] = ["BlackHoleCluster", "block_all 502"];

  it.each<[string, MeshOptions, StoreObject[], [string, string]]>([
    ["the default (ALLOW_ANY)", {}, [], OPEN],
    ["mesh REGISTRY_ONLY", { outboundTrafficPolicy: "REGISTRY_ONLY" }, [], CLOSED],
    ["mesh ALLOW_ANY", { outboundTrafficPolicy: "ALLOW_ANY" }, [], OPEN],
    [
      "a Sidecar's ALLOW_ANY overrides the mesh's REGISTRY_ONLY",
      { outboundTrafficPolicy: "REGISTRY_ONLY" },
      [sidecarResource("ALLOW_ANY")],
      OPEN,
    ],
    [
      "a Sidecar's REGISTRY_ONLY overrides the mesh's ALLOW_ANY",
      {},
      [sidecarResource("REGISTRY_ONLY")],
      CLOSED,
    ],
    [
      "a Sidecar without the field leaves the mesh's REGISTRY_ONLY",
      { outboundTrafficPolicy: "REGISTRY_ONLY" },
      [istioObject("Sidecar", "default", "default", { egress: [{ hosts: ["*/*"] }] })],
      CLOSED,
    ],
  ])("%s", (_, mesh, objects, want) => {
    expect(unknownDestinations(meshBuild([...ECHO, ...objects], CLIENT_SIDECAR, mesh))).toEqual(
      want,
    );
  });
});

describe("rootNamespace", () => {
  const denyAll = (namespace: string) =>
    istioObject("AuthorizationPolicy", "deny-all", namespace, { action: "DENY", rules: [{}] });
  const strict = (namespace: string) =>
    istioObject("PeerAuthentication", "default", namespace, { mtls: { mode: "STRICT" } });
  const jwt = (namespace: string) =>
    istioObject("RequestAuthentication", "jwt", namespace, {
      jwtRules: [{ issuer: ISSUER, jwksUri: `${ISSUER}/jwks` }],
    });
  const registryOnly = (namespace: string) =>
    istioObject("Sidecar", "default", namespace, {
      outboundTrafficPolicy: { mode: "REGISTRY_ONLY" },
    });
  const CUSTOM_ROOT = { rootNamespace: "mesh-root" };

  /** What applies to web-0 from policies in `ns` under `mesh`. */
  function applied(ns: string, mesh: MeshOptions) {
    const objects = [WEB, ...ECHO, denyAll(ns), strict(ns), jwt(ns), registryOnly(ns)];
    const r = meshBuild(objects, WEB_SIDECAR, { ...mesh, jwks });
    const http = filterNames(inboundHttpFilters(r));
    const catchAll = (listener(r, "virtualOutbound").filter_chains as Json[]).find(
      c => c.name === "virtualOutbound-catchall-tcp",
    )!;
    return {
      authz: http.includes(F.rbac),
      jwt: http.includes(F.jwt),
      strict: inboundChains(r, "0.0.0.0_8080").length === 1,
      registryOnly: catchAll.filters[0].typed_config.cluster === "BlackHoleCluster",
    };
  }
  const ALL = { authz: true, jwt: true, strict: true, registryOnly: true };
  const NONE = { authz: false, jwt: false, strict: false, registryOnly: false };

  it.each<[string, string, MeshOptions, typeof ALL]>([
    ["istio-system is the default root", "istio-system", {}, ALL],
    ["another namespace is not root by default", "mesh-root", {}, NONE],
    ["a configured root's policies apply mesh-wide", "mesh-root", CUSTOM_ROOT, ALL],
    ["istio-system's then do not", "istio-system", CUSTOM_ROOT, NONE],
  ])("%s", (_, ns, mesh, want) => {
    expect(applied(ns, mesh)).toEqual(want);
  });

  it.each([
    ["the configured root", "mesh-root", true],
    ["istio-system", "istio-system", false],
  ])("a gateway (in namespace ingress) enforces those in %s: %s", (_, ns, applies) => {
    const r = meshBuild([WEB, ...GATEWAY, denyAll(ns), jwt(ns)], routerIn("ingress"), {
      ...CUSTOM_ROOT,
      jwks,
    });
    expect(gatewayFilters(r)).toEqual(
      applies ? gatewayWith([F.jwt, F.rbac], [F.netRbac]) : gatewayWith([], []),
    );
  });
});
