/**
 * The AuthorizationPolicies and RequestAuthentications a gateway's listeners enforce, on every
 * kind of server (HTTP, HTTPS, TLS passthrough and termination, TCP).
 */
import type { StoreObject } from "../../../../mesh/store";
import {
  F,
  build,
  listener,
  clusterNames,
  hcmFilters,
  WEB,
  AUTHZ,
  GRPC_CLUSTER,
  HTTP_CLUSTER,
  PROVIDERS,
  custom,
  GW_SELECTOR,
  ROUTER,
  WEB_HOST,
  GATEWAY,
  gatewayFilters,
  gatewayWith,
  jwks,
  gatewayJwt,
  denyUntrusted,
} from "../mesh-authz";

describe("gateways enforce AuthorizationPolicy and RequestAuthentication", () => {
  it.each([
    ["nothing selects the gateway", [], gatewayWith([], [])],
    [
      "jwt_authn then RBAC before routing; network RBAC before tcp_proxy",
      [gatewayJwt(), denyUntrusted()],
      gatewayWith([F.jwt, F.rbac], [F.netRbac]),
    ],
    [
      "CUSTOM gRPC provider: shadow RBAC and ext_authz first, on every kind of chain",
      [custom("grpc-authz", "ext", "istio-system", GW_SELECTOR), denyUntrusted()],
      gatewayWith([F.rbac, F.extAuthz, F.rbac], [F.netRbac, F.netExtAuthz, F.netRbac]),
    ],
    [
      "mesh-wide policies (root namespace, no selector) reach the gateway",
      [gatewayJwt("istio-system", undefined), denyUntrusted("istio-system", undefined)],
      gatewayWith([F.jwt, F.rbac], [F.netRbac]),
    ],
    [
      "policies selecting other workloads do not",
      [gatewayJwt("istio-system", { app: "web" }), denyUntrusted("istio-system", { app: "web" })],
      gatewayWith([], []),
    ],
    [
      "policies in the routes' namespace (not the gateway's, not root) do not",
      [gatewayJwt("default", undefined), denyUntrusted("default", undefined)],
      gatewayWith([], []),
    ],
  ])("%s", (_, policies, want) => {
    const r = build([WEB, AUTHZ, ...GATEWAY, ...(policies as StoreObject[])], ROUTER, {
      extensionProviders: PROVIDERS,
      jwks,
    });
    expect(gatewayFilters(r)).toEqual(want);
    expect(r.warnings).toEqual([]);
  });

  it.each([
    ["gRPC (envoy_grpc.cluster_name)", "grpc-authz", GRPC_CLUSTER],
    ["HTTP (server_uri.cluster)", "http-authz", HTTP_CLUSTER],
  ])("a CUSTOM %s provider's cluster is in the gateway's CDS and EDS", (_, provider, want) => {
    const objects = [WEB, AUTHZ, ...GATEWAY];
    const without = build(objects, ROUTER, { extensionProviders: PROVIDERS });
    expect(clusterNames(without)).toEqual([
      `outbound|80||${WEB_HOST}`,
      `outbound|5432||${WEB_HOST}`,
    ]);
    const r = build([...objects, custom(provider, "ext", "istio-system", GW_SELECTOR)], ROUTER, {
      extensionProviders: PROVIDERS,
    });
    expect(clusterNames(r)).toContain(want);
    expect(r.endpoints.map(e => e.cluster_name)).toContain(want);
    const ext = hcmFilters(listener(r, "0.0.0.0_80").filter_chains[0]).find(
      f => f.name === F.extAuthz,
    )!;
    expect(JSON.stringify(ext.typed_config)).toContain(want);
  });

  it("the builders' notes are the gateway's warnings; a bad provider denies there too", () => {
    const r = build(
      [WEB, AUTHZ, ...GATEWAY, custom("nope", "ext", "istio-system", GW_SELECTOR)],
      ROUTER,
      { extensionProviders: PROVIDERS },
    );
    expect(r.warnings).toEqual([
      'AuthorizationPolicy istio-system/ext: spec.provider.name: CUSTOM provider "nope": available providers are [grpc-authz, http-authz] but found "nope"; its rules deny',
    ]);
    expect(gatewayFilters(r)).toEqual(gatewayWith([F.rbac], [F.netRbac]));
    const rbac = hcmFilters(listener(r, "0.0.0.0_80").filter_chains[0])[0]!;
    expect(rbac.typed_config.rules.action).toBe("DENY");
  });
});
