import {
  buildGrpcServerAuthzFilters,
  buildHttpAuthzFilters,
  buildTcpAuthzFilters,
  type AuthzPolicyInput,
} from "../../../../xds/compile/security/index";
import type { AuthorizationPolicySpec } from "../../../../mesh/api/authorization-policy";

const policy = (
  name: string,
  spec: AuthorizationPolicySpec,
  annotations?: Record<string, string>,
): AuthzPolicyInput => ({
  namespace: "foo",
  name,
  spec,
  annotations,
});

type Config = {
  rules?: { action?: string; policies: Record<string, unknown> };
  shadow_rules?: unknown;
};
const configs = (filters: readonly { typed_config: unknown }[]) =>
  filters.map(f => f.typed_config as Config);

describe("AuthorizationPolicy → RBAC filters", () => {
  it("puts AUDIT, then DENY, then ALLOW, whatever the input order", () => {
    const { filters } = buildHttpAuthzFilters([
      policy("a", { action: "ALLOW", rules: [{}] }),
      policy("d", { action: "DENY", rules: [{}] }),
      policy("l", { action: "AUDIT", rules: [{}] }),
    ]);
    expect(configs(filters).map(c => c.rules?.action)).toEqual(["LOG", "DENY", "ALLOW"]);
  });

  it("allow nothing: an ALLOW policy without rules matches nothing (so everything is denied)", () => {
    const [config] = configs(buildHttpAuthzFilters([policy("none", {})]).filters);
    expect(config?.rules).toEqual({
      action: "ALLOW",
      policies: {
        "ns[foo]-policy[none]-rule[0]": {
          permissions: [{ not_rule: { any: true } }],
          principals: [{ not_id: { any: true } }],
        },
      },
    });
  });

  it("deny all: a DENY rule `{}` matches every request", () => {
    const [config] = configs(
      buildHttpAuthzFilters([policy("all", { action: "DENY", rules: [{}] })]).filters,
    );
    expect(config?.rules?.policies["ns[foo]-policy[all]-rule[0]"]).toEqual({
      permissions: [{ and_rules: { rules: [{ any: true }] } }],
      principals: [{ and_ids: { ids: [{ any: true }] } }],
    });
  });

  it("dry-run policies go to shadow rules only", () => {
    const [config] = configs(
      buildHttpAuthzFilters([
        policy("d", { action: "DENY", rules: [{}] }, { "istio.io/dry-run": "true" }),
      ]).filters,
    );
    expect(config?.rules).toBeUndefined();
    expect(config?.shadow_rules).toBeDefined();
  });

  it("on TCP, an ALLOW rule with an HTTP-only field is skipped and the note names object, path and rule", () => {
    const { filters, notes } = buildTcpAuthzFilters([
      policy("get-only", { rules: [{ to: [{ operation: { methods: ["GET"] } }] }] }),
    ]);
    expect(configs(filters)[0]?.rules?.policies).toEqual({});
    expect(notes.map(n => n.message)).toEqual([
      'AuthorizationPolicy foo/get-only: spec.rules[0].to[0].operation.methods[0]: ":method" is HTTP only; ALLOW rule skipped on TCP filter chain (it matches nothing there)',
    ]);
  });

  it("on TCP, a DENY rule drops only its HTTP-only fields (denies more, never less)", () => {
    const { filters } = buildTcpAuthzFilters([
      policy("deny-get-80", {
        action: "DENY",
        rules: [{ to: [{ operation: { methods: ["GET"], ports: ["80"] } }] }],
      }),
    ]);
    expect(configs(filters)[0]?.rules?.policies["ns[foo]-policy[deny-get-80]-rule[0]"]).toEqual({
      permissions: [
        { and_rules: { rules: [{ or_rules: { rules: [{ destination_port: 80 }] } }] } },
      ],
      principals: [{ and_ids: { ids: [{ any: true }] } }],
    });
  });

  it("an invalid value makes an ALLOW rule match nothing and is dropped from a DENY rule", () => {
    const rule = { from: [{ source: { ipBlocks: ["10.0.0.1", "not-an-ip"] } }] };
    const allow = buildHttpAuthzFilters([policy("a", { rules: [rule] })]);
    expect(configs(allow.filters)[0]?.rules?.policies).toEqual({});
    expect(allow.notes[0]?.message).toContain(
      'spec.rules[0].from[0].source.ipBlocks[1]: "not-an-ip" is not a valid IP address',
    );
    const deny = buildHttpAuthzFilters([policy("d", { action: "DENY", rules: [rule] })]);
    expect(configs(deny.filters)[0]?.rules?.policies["ns[foo]-policy[d]-rule[0]"]).toMatchObject({
      principals: [
        {
          and_ids: {
            ids: [
              {
                or_ids: {
                  ids: [
                    { direct_remote_ip: { address_prefix: "10.0.0.1", prefix_len: { value: 32 } } },
                  ],
                },
              },
            ],
          },
        },
      ],
    });
  });

  it("an unknown `when` key skips the rule and says where", () => {
    const { notes } = buildHttpAuthzFilters([
      policy("w", { rules: [{ when: [{ key: "request.bogus", values: ["x"] }] }] }),
    ]);
    expect(notes.map(n => n.message)).toEqual([
      "AuthorizationPolicy foo/w: spec.rules[0].when[0].key: unknown attribute request.bogus; rule skipped",
    ]);
  });

  it("IPv6 blocks are printed as Go's netip prints them", () => {
    const { filters } = buildHttpAuthzFilters([
      policy("v6", {
        rules: [
          {
            from: [{ source: { ipBlocks: ["2001:DB8:0:0:1::1", "::ffff:10.0.0.1", "fe80::/10"] } }],
          },
        ],
      }),
    ]);
    expect(JSON.stringify(filters)).toContain('"address_prefix":"2001:db8::1:0:0:1"');
    expect(JSON.stringify(filters)).toContain('"address_prefix":"::ffff:10.0.0.1"');
    expect(JSON.stringify(filters)).toContain(
      '"address_prefix":"fe80::","prefix_len":{"value":10}',
    );
  });

  it("compiles 1,000 policies quickly (figure for the issue note)", () => {
    const policies = Array.from({ length: 1000 }, (_, i) =>
      policy(`p${i}`, {
        action: i % 10 === 0 ? "DENY" : "ALLOW",
        rules: [
          {
            from: [
              {
                source: {
                  principals: [`cluster.local/ns/ns${i}/sa/sa${i}`],
                  namespaces: [`ns${i}`],
                },
              },
            ],
            to: [
              { operation: { methods: ["GET", "POST"], paths: [`/api/v${i}/*`], ports: ["8080"] } },
            ],
            when: [{ key: "request.headers[x-tenant]", values: [`t${i}`] }],
          },
        ],
      }),
    );
    const start = process.hrtime.bigint();
    const { filters } = buildHttpAuthzFilters(policies);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    console.log(
      `authz: 1000 policies → ${filters.length} HTTP RBAC filters in ${ms.toFixed(1)} ms`,
    );
    expect(Object.keys(configs(filters)[1]?.rules?.policies ?? {})).toHaveLength(900);
    expect(ms).toBeLessThan(2000);
  });
});

describe("AuthorizationPolicy → proxyless gRPC server RBAC", () => {
  it("DENY filter then ALLOW filter, unique names, enforce rules only", () => {
    const { filters, notes } = buildGrpcServerAuthzFilters([
      policy("allow-all", { rules: [{}] }),
      policy("deny-delete", {
        action: "DENY",
        rules: [{ to: [{ operation: { paths: ["/pkg.Svc/Delete"] } }] }],
      }),
      policy("audit", { action: "AUDIT", rules: [{}] }),
    ]);
    expect(filters.map(f => [f.name, (f.typed_config as unknown as Config).rules?.action])).toEqual(
      [
        ["envoy.filters.http.rbac.DENY", "DENY"],
        ["envoy.filters.http.rbac", "ALLOW"],
      ],
    );
    expect(notes.map(n => n.message)).toEqual([
      "AuthorizationPolicy foo/audit: AUDIT is not supported by proxyless gRPC; not applied",
    ]);
  });

  it("JWT-based rules: an ALLOW matches nothing, a DENY drops the JWT part (denies more)", () => {
    const rule = {
      from: [{ source: { requestPrincipals: ["issuer/alice"] } }],
      to: [{ operation: { paths: ["/pkg.Svc/Get"] } }],
    };
    const allow = buildGrpcServerAuthzFilters([policy("a", { rules: [rule] })]);
    expect((allow.filters[0]?.typed_config as unknown as Config).rules?.policies).toEqual({});
    const deny = buildGrpcServerAuthzFilters([policy("d", { action: "DENY", rules: [rule] })]);
    expect(
      (deny.filters[0]?.typed_config as unknown as Config).rules?.policies[
        "ns[foo]-policy[d]-rule[0]"
      ],
    ).toEqual({
      permissions: [
        {
          and_rules: {
            rules: [{ or_rules: { rules: [{ url_path: { path: { exact: "/pkg.Svc/Get" } } }] } }],
          },
        },
      ],
      principals: [{ and_ids: { ids: [{ any: true }] } }],
    });
  });

  it("an ALLOW policy whose rules were all skipped still allows nothing", () => {
    const { filters } = buildGrpcServerAuthzFilters([
      policy("jwt-only", {
        rules: [{ when: [{ key: "request.auth.claims[group]", values: ["admin"] }] }],
      }),
    ]);
    expect(filters).toHaveLength(1);
    expect((filters[0]?.typed_config as unknown as Config).rules).toEqual({
      action: "ALLOW",
      policies: {},
    });
  });

  it("CUSTOM fails closed", () => {
    const { filters } = buildGrpcServerAuthzFilters([
      policy("c", { action: "CUSTOM", provider: { name: "x" }, rules: [{}] }),
    ]);
    expect((filters[0]?.typed_config as unknown as Config).rules?.action).toBe("DENY");
  });
});
