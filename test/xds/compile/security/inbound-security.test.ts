/**
 * What a sidecar enforces on inbound traffic, decided once per proxy: the PeerAuthentication
 * mode of each workload port, the jwt_authn filter, the RBAC filters in Istio's evaluation order
 * (CUSTOM, AUDIT, DENY, ALLOW), the builders' notes once each, and the trust domains it accepts.
 */
import { storeOf, type StoreObject } from "../../../../mesh/store";
import { buildScope, parseProxy, type MeshOptions } from "../../../../xds/compile";
import {
  authzBuildOptions,
  inboundSecurity,
  portMode,
} from "../../../../xds/compile/security/inbound-security";
import {
  AUTHZ,
  AUTHZ_HOST,
  cfg,
  custom,
  F,
  PROVIDERS,
  WEB,
  WEB_SIDECAR,
  type Json,
} from "../mesh-authz";

/** web-0's scope (labels app=web in `default`) over WEB and `objects`. */
function scopeOf(objects: StoreObject[], mesh: MeshOptions = {}) {
  const proxy = parseProxy(WEB_SIDECAR);
  if (!proxy.ok) throw new Error(proxy.errors.join("\n"));
  return buildScope(storeOf([WEB, ...objects]), proxy.value, mesh);
}

const peerAuthn = (name: string, namespace: string, spec: Json) =>
  cfg("PeerAuthentication", name, namespace, spec);
const WEB_SELECTOR = { matchLabels: { app: "web" } };

describe("portMode: the PeerAuthentication mode of each workload port", () => {
  const modes = (objects: StoreObject[]) => {
    const security = inboundSecurity(scopeOf(objects));
    return { 8080: portMode(security, 8080), 5432: portMode(security, 5432) };
  };

  it("no PeerAuthentication: PERMISSIVE (mTLS and plaintext both accepted)", () => {
    expect(modes([])).toEqual({ 8080: "PERMISSIVE", 5432: "PERMISSIVE" });
  });

  it("a mesh-wide policy in the root namespace applies; the namespace's overrides it", () => {
    const mesh = peerAuthn("default", "istio-system", { mtls: { mode: "STRICT" } });
    expect(modes([mesh])).toEqual({ 8080: "STRICT", 5432: "STRICT" });
    const ns = peerAuthn("default", "default", { mtls: { mode: "DISABLE" } });
    expect(modes([mesh, ns])).toEqual({ 8080: "DISABLE", 5432: "DISABLE" });
  });

  it("a workload policy's portLevelMtls sets one workload port; the others keep its mode", () => {
    const workload = peerAuthn("web", "default", {
      selector: WEB_SELECTOR,
      mtls: { mode: "STRICT" },
      portLevelMtls: { 8080: { mode: "PERMISSIVE" } },
    });
    expect(modes([workload])).toEqual({ 8080: "PERMISSIVE", 5432: "STRICT" });
  });

  it("a workload policy with mode UNSET inherits the namespace's, port overrides aside", () => {
    const ns = peerAuthn("default", "default", { mtls: { mode: "STRICT" } });
    const workload = peerAuthn("web", "default", {
      selector: WEB_SELECTOR,
      mtls: { mode: "UNSET" },
      portLevelMtls: { 5432: { mode: "DISABLE" } },
    });
    expect(modes([ns, workload])).toEqual({ 8080: "STRICT", 5432: "DISABLE" });
  });

  it("a policy selecting other workloads does not apply", () => {
    const other = peerAuthn("db", "default", {
      selector: { matchLabels: { app: "db" } },
      mtls: { mode: "STRICT" },
    });
    expect(modes([other])).toEqual({ 8080: "PERMISSIVE", 5432: "PERMISSIVE" });
  });
});

describe("inboundSecurity: the filters", () => {
  const action = (f: { typed_config: Json }) =>
    (f.typed_config.rules ?? f.typed_config.shadow_rules)?.action as string | undefined;

  it("HTTP filters run CUSTOM (ext_authz), then AUDIT, DENY, ALLOW; TCP the same as network filters", () => {
    const objects = [
      AUTHZ,
      cfg("AuthorizationPolicy", "allow", "default", { rules: [{}] }),
      cfg("AuthorizationPolicy", "deny", "default", {
        action: "DENY",
        rules: [{ to: [{ operation: { ports: ["9999"] } }] }],
      }),
      cfg("AuthorizationPolicy", "audit", "default", { action: "AUDIT", rules: [{}] }),
      custom("grpc-authz"),
    ];
    const security = inboundSecurity(scopeOf(objects, { extensionProviders: PROVIDERS }));
    expect(security.httpAuthz.map(f => [f.name, action(f)])).toEqual([
      [F.rbac, "DENY"], // CUSTOM's shadow rules, marking what ext_authz checks
      [F.extAuthz, undefined],
      [F.rbac, "LOG"],
      [F.rbac, "DENY"],
      [F.rbac, "ALLOW"],
    ]);
    expect(security.tcpAuthz.map(f => [f.name, action(f)])).toEqual([
      [F.netRbac, "DENY"],
      [F.netExtAuthz, undefined],
      [F.netRbac, "LOG"],
      [F.netRbac, "DENY"],
      [F.netRbac, "ALLOW"],
    ]);
  });

  it("policies of another namespace or selecting other workloads are not enforced here", () => {
    const security = inboundSecurity(
      scopeOf([
        cfg("AuthorizationPolicy", "elsewhere", "other", { action: "DENY", rules: [{}] }),
        cfg("AuthorizationPolicy", "db-only", "default", {
          selector: { matchLabels: { app: "db" } },
          action: "DENY",
          rules: [{}],
        }),
      ]),
    );
    expect(security.httpAuthz).toEqual([]);
    expect(security.tcpAuthz).toEqual([]);
  });

  it("a root-namespace policy without selector applies to every workload", () => {
    const security = inboundSecurity(
      scopeOf([
        cfg("AuthorizationPolicy", "deny-all", "istio-system", { action: "DENY", rules: [{}] }),
      ]),
    );
    expect(security.httpAuthz.map(action)).toEqual(["DENY"]);
  });

  it("jwt_authn only when a RequestAuthentication selects the workload", () => {
    const ra = (selector: Json) =>
      cfg("RequestAuthentication", "jwt", "default", {
        selector: { matchLabels: selector },
        jwtRules: [{ issuer: "https://idp.example", jwksUri: "https://idp.example/jwks" }],
      });
    expect(inboundSecurity(scopeOf([])).jwt).toBeUndefined();
    expect(inboundSecurity(scopeOf([ra({ app: "db" })])).jwt).toBeUndefined();
    expect(inboundSecurity(scopeOf([ra({ app: "web" })])).jwt?.name).toBe(F.jwt);
  });

  it("a note the HTTP and TCP builds both make is reported once", () => {
    const security = inboundSecurity(
      scopeOf([
        cfg(
          "AuthorizationPolicy",
          "dry",
          "default",
          { action: "DENY", rules: [{}] },
          { annotations: { "istio.io/dry-run": "maybe" } },
        ),
      ]),
    );
    expect(security.notes).toEqual([
      'AuthorizationPolicy default/dry: metadata.annotations["istio.io/dry-run"]: "maybe" is not a boolean; policy enforced',
    ]);
  });

  it("is built once per scope: the listener and the warnings read the same object", () => {
    const scope = scopeOf([]);
    expect(inboundSecurity(scope)).toBe(inboundSecurity(scope));
    expect(inboundSecurity(scopeOf([]))).not.toBe(inboundSecurity(scope));
  });
});

describe("trust domains", () => {
  const principalOf = "cluster.local/ns/foo/sa/reader";
  const allowReader = cfg("AuthorizationPolicy", "reader", "default", {
    rules: [{ from: [{ source: { principals: [principalOf] } }] }],
  });

  it("the mesh's trust domain, then its aliases, each once", () => {
    const mesh = { trustDomain: "new.td", trustDomainAliases: ["old.td", "new.td"] };
    expect(inboundSecurity(scopeOf([], mesh)).trustDomains).toEqual(["new.td", "old.td"]);
  });

  it("a policy naming the old trust domain's principal still matches after a migration", () => {
    const mesh = { trustDomain: "new.td", trustDomainAliases: ["cluster.local"] };
    const [rbac] = inboundSecurity(scopeOf([allowReader], mesh)).httpAuthz;
    const text = JSON.stringify(rbac?.typed_config);
    expect(text).toContain('"exact":"spiffe://new.td/ns/foo/sa/reader"');
    expect(text).toContain('"exact":"spiffe://cluster.local/ns/foo/sa/reader"');
  });

  it("without aliases, only the principal as written", () => {
    const [rbac] = inboundSecurity(scopeOf([allowReader])).httpAuthz;
    const text = JSON.stringify(rbac?.typed_config);
    expect(text).toContain('"exact":"spiffe://cluster.local/ns/foo/sa/reader"');
    expect(text).not.toContain("new.td");
  });
});

describe("authzBuildOptions: CUSTOM providers resolved against the proxy's view", () => {
  it("a provider's service and port the proxy sees are reachable", () => {
    const options = authzBuildOptions(scopeOf([AUTHZ]));
    expect(options.providerUnreachable?.(AUTHZ_HOST, 9000)).toBeUndefined();
    expect(options.serviceNamespaces?.(AUTHZ_HOST)).toEqual(["authz"]);
  });

  it("a port the service does not have, or a service out of sight, is named as the reason", () => {
    const options = authzBuildOptions(scopeOf([AUTHZ]));
    expect(options.providerUnreachable?.(AUTHZ_HOST, 9999)).toBe(
      `service ${AUTHZ_HOST} has no port 9999 (it has 9000, 8000)`,
    );
    const hidden = authzBuildOptions(
      scopeOf([AUTHZ, cfg("Sidecar", "default", "default", { egress: [{ hosts: ["./*"] }] })]),
    );
    expect(hidden.providerUnreachable?.(AUTHZ_HOST, 9000)).toBe(
      `service ${AUTHZ_HOST} is not visible to this proxy (Sidecar egress or exportTo)`,
    );
  });

  it("carries the mesh's extension providers", () => {
    const options = authzBuildOptions(scopeOf([], { extensionProviders: PROVIDERS }));
    expect(options.extensionProviders?.map(p => p.name)).toEqual(["grpc-authz", "http-authz"]);
  });
});
