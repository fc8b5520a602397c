/**
 * The mesh config's `extensionProviders` as the ext_authz filters of CUSTOM AuthorizationPolicies
 * on a sidecar's inbound chains, and how a broken CUSTOM setup fails closed.
 */
import type { StoreObject } from "../../../../mesh/store";
import type { MeshOptions } from "../../../../xds/compile";
import {
  type Json,
  F,
  cfg,
  build,
  clusterNames,
  filterNames,
  WEB,
  WEB_SIDECAR,
  inboundChains,
  inboundHttpFilters,
  AUTHZ_HOST,
  AUTHZ,
  GRPC_CLUSTER,
  HTTP_CLUSTER,
  PROVIDERS,
  custom,
  filterEnabled,
} from "../mesh-authz";

describe("extensionProviders: CUSTOM policies on a sidecar's inbound chains", () => {
  const opts = { extensionProviders: PROVIDERS };

  it.each([
    [
      "gRPC provider: the authorizer's cluster as envoy_grpc, HTTP and TCP chains",
      "grpc-authz",
      GRPC_CLUSTER,
      (ext: Json) =>
        expect(ext.grpc_service).toEqual({
          envoy_grpc: { cluster_name: GRPC_CLUSTER, authority: AUTHZ_HOST },
          timeout: { seconds: "600" },
        }),
      [F.netRbac, F.netExtAuthz, F.tcpProxy],
    ],
    [
      "HTTP provider (`<ns>/<host>`): server_uri; TCP chains have nothing to ask it",
      "http-authz",
      HTTP_CLUSTER,
      (ext: Json) =>
        expect(ext.http_service).toEqual({
          path_prefix: "/check",
          server_uri: {
            uri: `http://${AUTHZ_HOST}`,
            cluster: HTTP_CLUSTER,
            timeout: { seconds: "600" },
          },
        }),
      [F.tcpProxy],
    ],
  ])("%s", (_, provider, authzCluster, checkService, tcpFilters) => {
    const r = build([WEB, AUTHZ, custom(provider)], WEB_SIDECAR, opts);
    expect(r.warnings).toEqual([]);
    const http = inboundHttpFilters(r);
    expect(filterNames(http)).toEqual([F.rbac, F.extAuthz, F.fault, F.cors, F.router]);
    // The RBAC filter only evaluates (shadow), leaving the policy id for ext_authz's gate.
    const rbac = http[0]!.typed_config;
    expect(rbac.rules).toBeUndefined();
    expect(rbac.shadow_rules_stat_prefix).toBe("istio_ext_authz_");
    expect(Object.keys(rbac.shadow_rules.policies)).toEqual([
      `istio-ext-authz-${provider}-ns[default]-policy[ext]-rule[0]`,
    ]);
    const ext = http[1]!.typed_config;
    expect(ext.filter_enabled_metadata).toEqual(filterEnabled(F.rbac, provider));
    checkService(ext);
    // The authorizer's cluster is one the sidecar has.
    expect(clusterNames(r)).toContain(authzCluster);
    for (const chain of inboundChains(r, "0.0.0.0_5432"))
      expect(filterNames(chain.filters)).toEqual(tcpFilters);
  });

  it("the gRPC provider's network ext_authz asks only for its own policies", () => {
    const r = build([WEB, AUTHZ, custom("grpc-authz")], WEB_SIDECAR, opts);
    const [rbac, ext] = inboundChains(r, "0.0.0.0_5432")[0]!.filters as Json[];
    expect(Object.keys(rbac!.typed_config.shadow_rules.policies)).toEqual([
      "istio-ext-authz-grpc-authz-ns[default]-policy[ext]-rule[0]",
    ]);
    expect(ext!.typed_config).toMatchObject({
      stat_prefix: "tcp.",
      grpc_service: { envoy_grpc: { cluster_name: GRPC_CLUSTER } },
      filter_enabled_metadata: filterEnabled(F.netRbac, "grpc-authz"),
    });
  });

  it("a workload no CUSTOM policy selects gets no ext_authz", () => {
    const r = build(
      [WEB, AUTHZ, custom("grpc-authz", "ext", "default", { app: "other" })],
      WEB_SIDECAR,
      opts,
    );
    expect(filterNames(inboundHttpFilters(r))).toEqual([F.fault, F.cors, F.router]);
    expect(r.warnings).toEqual([]);
  });

  /** The deny-all filter a broken CUSTOM setup leaves, and the warnings. */
  function failsClosed(objects: StoreObject[], mesh: MeshOptions) {
    const r = build([WEB, AUTHZ, ...objects], WEB_SIDECAR, mesh);
    const http = inboundHttpFilters(r);
    expect(filterNames(http)).not.toContain(F.extAuthz);
    const denies = http.filter(f => f.name === F.rbac).map(f => f.typed_config.rules);
    for (const d of denies) expect(d.action).toBe("DENY");
    for (const chain of inboundChains(r, "0.0.0.0_5432"))
      expect(filterNames(chain.filters)).not.toContain(F.netExtAuthz);
    return { denies: denies.map(d => Object.keys(d.policies)), warnings: r.warnings };
  }

  it.each([
    [
      "the provider's service is not in the registry",
      [custom("gone")],
      [
        ...PROVIDERS!,
        {
          name: "gone",
          envoyExtAuthzGrpc: { service: "missing.authz.svc.cluster.local", port: 9 },
        },
      ],
      [
        'AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "gone": could not find service missing.authz.svc.cluster.local in the service registry; its rules deny',
      ],
    ],
    [
      "`<ns>/<host>` names a namespace the host is not in",
      [custom("wrong-ns")],
      [{ name: "wrong-ns", envoyExtAuthzGrpc: { service: `default/${AUTHZ_HOST}`, port: 9000 } }],
      [
        `AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "wrong-ns": could not find service default/${AUTHZ_HOST} in the service registry; its rules deny`,
      ],
    ],
    [
      "the provider's service has no such port",
      [custom("bad-port")],
      [{ name: "bad-port", envoyExtAuthzGrpc: { service: AUTHZ_HOST, port: 9999 } }],
      [
        `AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "bad-port": service ${AUTHZ_HOST} has no port 9999 (it has 9000, 8000); its rules deny`,
      ],
    ],
    [
      "a Sidecar's egress hides the provider's service from the workload",
      [
        custom("grpc-authz"),
        cfg("Sidecar", "default", "default", { egress: [{ hosts: ["./*"] }] }),
      ],
      PROVIDERS,
      [
        `AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "grpc-authz": service ${AUTHZ_HOST} is not visible to this proxy (Sidecar egress or exportTo); its rules deny`,
      ],
    ],
    [
      "the provider name is not declared: the warning lists the declared ones",
      [custom("nope")],
      PROVIDERS,
      [
        'AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "nope": available providers are [grpc-authz, http-authz] but found "nope"; its rules deny',
      ],
    ],
    [
      "no extensionProviders at all (the default mesh)",
      [custom("grpc-authz")],
      undefined,
      [
        'AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "grpc-authz": available providers are [] but found "grpc-authz"; its rules deny',
      ],
    ],
  ])("%s: the rules deny, and the warning names the policy", (_, objects, providers, warnings) => {
    const got = failsClosed(objects, { extensionProviders: providers });
    expect(got.warnings).toEqual(warnings);
    expect(got.denies).toEqual([
      [
        `istio-ext-authz-${(objects[0] as Json).spec.provider.name}-ns[default]-policy[ext]-rule[0]-deny-due-to-bad-CUSTOM-action`,
      ],
    ]);
  });

  it("a hostname in two namespaces must be given as <ns>/<host>", () => {
    const twin = cfg("ServiceEntry", "ext-authz", "other", {
      hosts: [AUTHZ_HOST],
      ports: [{ number: 9000, name: "grpc", protocol: "GRPC" }],
      resolution: "DNS",
    });
    const got = failsClosed([twin, custom("grpc-authz")], opts);
    expect(got.warnings).toEqual([
      `AuthorizationPolicy default/ext: spec.provider.name: CUSTOM provider "grpc-authz": found ${AUTHZ_HOST} in multiple namespaces authz, other, specify the namespace explicitly in the format of <Namespace>/<Hostname>; its rules deny`,
    ]);
  });

  it("two CUSTOM providers on one workload: every CUSTOM rule denies, once reported", () => {
    const got = failsClosed([custom("grpc-authz", "ext-a"), custom("http-authz", "ext-b")], opts);
    expect(got.warnings).toEqual([
      "AuthorizationPolicy default/ext-a, AuthorizationPolicy default/ext-b: spec.provider.name: CUSTOM AuthorizationPolicies on one workload use 2 providers (grpc-authz, http-authz); one per workload is supported, so their rules deny",
    ]);
    expect(got.denies).toEqual([
      [
        "istio-ext-authz-grpc-authz-ns[default]-policy[ext-a]-rule[0]-deny-due-to-bad-CUSTOM-action",
      ],
      [
        "istio-ext-authz-http-authz-ns[default]-policy[ext-b]-rule[0]-deny-due-to-bad-CUSTOM-action",
      ],
    ]);
  });
});
