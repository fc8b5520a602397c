/**
 * One AuthorizationPolicy rule → one Envoy RBAC policy (Istio's Model.Generate,
 * pilot/pkg/security/authz/model/model.go): every `from` a principal and every `to` a
 * permission, each an AND of its fields, each field an OR of its values and NOT(OR) of its
 * `not` values; `when` conditions join every principal or permission; what cannot be checked
 * (HTTP fields on TCP, metadata on proxyless gRPC) fails an ALLOW rule and widens a DENY/AUDIT one.
 */
import type { Rule } from "../../../../mesh/api/authorization-policy";
import { ruleModel } from "../../../../mesh/authz/rule-model";
import type { RbacAction } from "../../../../xds/compile/security/envoy-objects";
import { generatePolicy } from "../../../../xds/compile/security/rbac-policy";

/** The RBAC policy of `rule` (in namespace `foo`, at spec.rules[0]). */
function policy(rule: Rule, action: RbacAction = "ALLOW", forTCP = false, grpc = false) {
  const model = ruleModel(rule, "foo", "spec.rules[0]");
  if (!model.ok) throw new Error(model.problem.message);
  return generatePolicy(model.value, forTCP, action, grpc);
}

const ANY_PERMISSION = { and_rules: { rules: [{ any: true }] } };
const ANY_PRINCIPAL = { and_ids: { ids: [{ any: true }] } };
const principal = (exact: string) => ({ authenticated: { principal_name: { exact } } });
const namespace = (ns: string) => ({
  authenticated: { principal_name: { safe_regex: { regex: `.*/ns/${ns}/.*` } } },
});
const method = (m: string) => ({ header: { name: ":method", string_match: { exact: m } } });
const port = (p: number) => ({ destination_port: p });

describe("generatePolicy", () => {
  it("an empty rule `{}` matches every request: any permission, any principal", () => {
    expect(policy({})).toEqual({
      ok: true,
      value: { permissions: [ANY_PERMISSION], principals: [ANY_PRINCIPAL] },
    });
  });

  it("fields of one source AND together; values of one field OR; notX is NOT(OR)", () => {
    const r = policy({
      from: [
        {
          source: {
            principals: ["cluster.local/ns/foo/sa/a", "cluster.local/ns/foo/sa/b"],
            notNamespaces: ["test", "dev"],
          },
        },
      ],
    });
    expect(r).toEqual({
      ok: true,
      value: {
        permissions: [ANY_PERMISSION],
        principals: [
          {
            and_ids: {
              ids: [
                {
                  or_ids: {
                    ids: [
                      principal("spiffe://cluster.local/ns/foo/sa/a"),
                      principal("spiffe://cluster.local/ns/foo/sa/b"),
                    ],
                  },
                },
                { not_id: { or_ids: { ids: [namespace("test"), namespace("dev")] } } },
              ],
            },
          },
        ],
      },
    });
  });

  it("each `from` and each `to` is its own principal and permission (any of them matches)", () => {
    const r = policy({
      from: [{ source: { namespaces: ["a"] } }, { source: { namespaces: ["b"] } }],
      to: [
        { operation: { methods: ["GET"] } },
        { operation: { ports: ["8080"], notMethods: ["DELETE"] } },
      ],
    });
    expect(r.ok && r.value.principals).toEqual([
      { and_ids: { ids: [{ or_ids: { ids: [namespace("a")] } }] } },
      { and_ids: { ids: [{ or_ids: { ids: [namespace("b")] } }] } },
    ]);
    expect(r.ok && r.value.permissions).toEqual([
      { and_rules: { rules: [{ or_rules: { rules: [method("GET")] } }] } },
      {
        and_rules: {
          rules: [
            // Istio's order within an operation: hosts, methods, paths, ports.
            { not_rule: { or_rules: { rules: [method("DELETE")] } } },
            { or_rules: { rules: [port(8080)] } },
          ],
        },
      },
    ]);
  });

  it("a `when` condition joins every source (principal side) or every operation (permission side)", () => {
    const r = policy({
      from: [{ source: { namespaces: ["a"] } }, { source: { namespaces: ["b"] } }],
      to: [{ operation: { methods: ["GET"] } }],
      when: [
        { key: "source.ip", values: ["10.0.0.0/8"] },
        { key: "destination.port", notValues: ["9090"] },
      ],
    });
    const ip = {
      or_ids: {
        ids: [{ direct_remote_ip: { address_prefix: "10.0.0.0", prefix_len: { value: 8 } } }],
      },
    };
    expect(r.ok && r.value.principals).toEqual([
      { and_ids: { ids: [{ or_ids: { ids: [namespace("a")] } }, ip] } },
      { and_ids: { ids: [{ or_ids: { ids: [namespace("b")] } }, ip] } },
    ]);
    expect(r.ok && r.value.permissions).toEqual([
      {
        and_rules: {
          rules: [
            { or_rules: { rules: [method("GET")] } },
            { not_rule: { or_rules: { rules: [port(9090)] } } },
          ],
        },
      },
    ]);
  });

  it("notRequestPrincipals negates the whole iss/sub match", () => {
    const r = policy({ from: [{ source: { notRequestPrincipals: ["https://idp/alice"] } }] });
    const claim = (name: string, exact: string) => ({
      metadata: {
        filter: "envoy.filters.http.jwt_authn",
        path: [{ key: "payload" }, { key: name }],
        value: { string_match: { exact } },
      },
    });
    expect(r.ok && r.value.principals).toEqual([
      {
        and_ids: {
          ids: [
            { not_id: { and_ids: { ids: [claim("iss", "https://idp"), claim("sub", "alice")] } } },
          ],
        },
      },
    ]);
  });
});

describe("what cannot be checked: ALLOW shrinks, DENY and AUDIT widen", () => {
  const getOn80 = { to: [{ operation: { methods: ["GET"], ports: ["80"] } }] };

  it("on TCP an ALLOW rule with an HTTP-only field fails, naming the value's path", () => {
    expect(policy(getOn80, "ALLOW", true)).toEqual({
      ok: false,
      problem: {
        path: "spec.rules[0].to[0].operation.methods[0]",
        message: '":method" is HTTP only',
      },
    });
  });

  it.each<RbacAction>(["DENY", "LOG"])(
    "on TCP a %s rule keeps only the fields TCP can check",
    action => {
      expect(policy(getOn80, action, true)).toEqual({
        ok: true,
        value: {
          permissions: [{ and_rules: { rules: [{ or_rules: { rules: [port(80)] } }] } }],
          principals: [ANY_PRINCIPAL],
        },
      });
    },
  );

  it("on TCP a DENY rule made only of HTTP fields denies every connection", () => {
    const r = policy({ to: [{ operation: { paths: ["/admin"] } }] }, "DENY", true);
    expect(r).toEqual({
      ok: true,
      value: { permissions: [ANY_PERMISSION], principals: [ANY_PRINCIPAL] },
    });
  });

  it("an invalid notIpBlocks value fails an ALLOW rule at its own path; a DENY rule drops it", () => {
    const rule = { from: [{ source: { notIpBlocks: ["10.0.0.1", "bad"] } }] };
    expect(policy(rule, "ALLOW")).toEqual({
      ok: false,
      problem: {
        path: "spec.rules[0].from[0].source.notIpBlocks[1]",
        message: '"bad" is not a valid IP address',
      },
    });
    expect(policy(rule, "DENY")).toEqual({
      ok: true,
      value: {
        permissions: [ANY_PERMISSION],
        principals: [
          {
            and_ids: {
              ids: [
                {
                  not_id: {
                    or_ids: {
                      ids: [
                        {
                          direct_remote_ip: {
                            address_prefix: "10.0.0.1",
                            prefix_len: { value: 32 },
                          },
                        },
                      ],
                    },
                  },
                },
              ],
            },
          },
        ],
      },
    });
  });

  it("proxyless gRPC cannot match JWT metadata: ALLOW fails, DENY drops the field", () => {
    const rule = {
      from: [{ source: { requestPrincipals: ["https://idp/alice"], namespaces: ["a"] } }],
    };
    expect(policy(rule, "ALLOW", false, true)).toEqual({
      ok: false,
      problem: {
        path: "spec.rules[0].from[0].source.requestPrincipals",
        message: '"request.auth.principal" needs metadata, which proxyless gRPC cannot match',
      },
    });
    expect(policy(rule, "DENY", false, true)).toEqual({
      ok: true,
      value: {
        permissions: [ANY_PERMISSION],
        principals: [{ and_ids: { ids: [{ or_ids: { ids: [namespace("a")] } }] } }],
      },
    });
    // The same rule on an Envoy sidecar keeps the JWT match.
    const envoy = policy(rule, "ALLOW");
    expect(JSON.stringify(envoy)).toContain('"filter":"envoy.filters.http.jwt_authn"');
  });

  it("proxyless gRPC cannot match path templates: an ALLOW rule using one fails", () => {
    const r = policy({ to: [{ operation: { paths: ["/pkg.Svc/{*}"] } }] }, "ALLOW", false, true);
    expect(r).toEqual({
      ok: false,
      problem: {
        path: "spec.rules[0].to[0].operation.paths[0]",
        message: '"path-matcher" needs uri_template, which proxyless gRPC cannot match',
      },
    });
  });
});
