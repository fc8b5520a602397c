/**
 * AuthorizationPolicy action CUSTOM on the data plane: the filters `buildHttpAuthzFilters`
 * emits (shadow RBAC + ext_authz, then DENY / ALLOW RBAC) run for one request against real
 * external authorizers listening on 127.0.0.1 ephemeral ports: a gRPC one speaking
 * `envoy.service.auth.v3.Authorization/Check` with Envoy's own protos, and an HTTP one. Both
 * follow Istio's sample ext-authz: allow when the request has `x-ext-authz: allow`, deny with
 * 403 and an `x-ext-authz-check-result` header otherwise.
 *
 * The ext_authz *client* side (what Envoy does: gating on the RBAC filter's dynamic metadata,
 * building the check, timeouts, failure mode, header mutations) is `ext-authz-interpreter.ts`, an
 * interpreter standing in for Envoy: no Envoy binary can run on this machine and grpc-js-xds has
 * no ext_authz. The authorizers, the wire protocol and the messages are real.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import {
  buildHttpAuthzFilters,
  type AuthzPolicyInput,
  type NamedFilter,
} from "../../../xds/compile/security/index";
import type { ExtensionProvider } from "../../../mesh/meshconfig/ext-authz";
import { GrpcAuthorizer, HttpAuthorizer } from "../../harness/ext-authz-servers";
import {
  runHttpFilters,
  type DataplaneOutcome,
  type DataplaneRequest,
} from "./ext-authz-interpreter";

const HOST = "ext-authz.foo.svc.cluster.local";
const CLIENT = "cluster.local/ns/foo/sa/sleep";

type Headers = Record<string, string>;

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>(resolve => s.listen(0, "127.0.0.1", resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>(resolve => s.close(() => resolve()));
  return port;
}

describe("ext_authz data plane: CUSTOM policies against real authorizers", () => {
  const grpcAuthz = new GrpcAuthorizer();
  const httpAuthz = new HttpAuthorizer();
  let deadPort = 0;

  // Mesh ports of the authorizer service → loopback: the cluster manager stand-in.
  const GRPC_PORT = 9000;
  const HTTP_PORT = 8000;
  const DEAD_PORT = 9999;
  const resolveCluster = (cluster: string): string | undefined => {
    const port = {
      [`outbound|${GRPC_PORT}||${HOST}`]: grpcAuthz.port,
      [`outbound|${HTTP_PORT}||${HOST}`]: httpAuthz.port,
      [`outbound|${DEAD_PORT}||${HOST}`]: deadPort,
    }[cluster];
    return port === undefined ? undefined : `127.0.0.1:${port}`;
  };

  beforeAll(async () => {
    await grpcAuthz.start();
    await httpAuthz.start();
    deadPort = await closedPort();
  });
  afterAll(async () => {
    grpcAuthz.stop();
    await httpAuthz.stop();
  });
  beforeEach(() => {
    grpcAuthz.calls.length = 0;
    httpAuthz.calls.length = 0;
    grpcAuthz.delayMs = 0;
  });

  const grpcProvider = (
    name: string,
    extra: Partial<NonNullable<ExtensionProvider["envoyExtAuthzGrpc"]>> = {},
  ): ExtensionProvider => ({
    name,
    envoyExtAuthzGrpc: { service: `foo/${HOST}`, port: GRPC_PORT, ...extra },
  });
  const PROVIDERS: ExtensionProvider[] = [
    grpcProvider("ext-authz-grpc"),
    {
      name: "ext-authz-http",
      envoyExtAuthzHttp: {
        service: HOST,
        port: HTTP_PORT,
        pathPrefix: "/check",
        timeout: "5s",
        includeRequestHeadersInCheck: ["x-ext-authz"],
        headersToUpstreamOnAllow: ["x-ext-authz-check-result", "x-user-*"],
        headersToDownstreamOnDeny: ["x-ext-authz-check-result"],
      },
    },
    grpcProvider("down-open", { port: DEAD_PORT, failOpen: true, timeout: "2s" }),
    grpcProvider("down-closed", { port: DEAD_PORT, failOpen: false, statusOnError: "503" }),
    grpcProvider("slow", { timeout: "100ms" }),
    grpcProvider("patient", { timeout: "5s" }),
    { name: "nowhere", envoyExtAuthzGrpc: { service: "missing.bar.svc.cluster.local", port: 1 } },
  ];

  const custom = (provider: string): AuthzPolicyInput => ({
    namespace: "foo",
    name: "ext-authz",
    spec: {
      action: "CUSTOM",
      provider: { name: provider },
      rules: [{ to: [{ operation: { paths: ["/admin*"] } }] }],
    },
  });
  const denyBlocked: AuthzPolicyInput = {
    namespace: "foo",
    name: "deny-blocked",
    spec: {
      action: "DENY",
      rules: [{ when: [{ key: "request.headers[x-block]", values: ["yes"] }] }],
    },
  };
  const allowGetOnly: AuthzPolicyInput = {
    namespace: "foo",
    name: "allow-get",
    spec: { action: "ALLOW", rules: [{ to: [{ operation: { methods: ["GET"] } }] }] },
  };

  function filters(policies: AuthzPolicyInput[]): NamedFilter[] {
    const built = buildHttpAuthzFilters(policies, {
      extensionProviders: PROVIDERS,
      serviceNamespaces: h => (h === HOST ? ["foo"] : []),
    });
    return [...built.filters];
  }

  const request = (path: string, headers: Headers = {}, method = "GET"): DataplaneRequest => ({
    protocol: "HTTP",
    method,
    path,
    host: "httpbin.foo:8000",
    principal: CLIENT,
    sourceIp: "10.0.0.7",
    sourcePort: 43210,
    destinationIp: "10.0.0.9",
    destinationPort: 8000,
    headers: { "user-agent": "curl/8", ...headers },
  });

  const run = (f: NamedFilter[], req: DataplaneRequest): Promise<DataplaneOutcome> =>
    runHttpFilters(f, req, { resolveCluster });

  it("builds shadow RBAC + ext_authz for the CUSTOM policy (the chain under test)", () => {
    const f = filters([custom("ext-authz-grpc"), denyBlocked, allowGetOnly]);
    expect(f.map(x => x.name)).toEqual([
      "envoy.filters.http.rbac",
      "envoy.filters.http.ext_authz",
      "envoy.filters.http.rbac",
      "envoy.filters.http.rbac",
    ]);
    expect(f[0]?.typed_config).toHaveProperty("shadow_rules.action", "DENY");
    expect(f[0]?.typed_config).not.toHaveProperty("rules");
  });

  describe("gRPC provider", () => {
    const chain = () => filters([custom("ext-authz-grpc")]);

    it("allows /admin when the authorizer allows; the Check carries the request", async () => {
      const out = await run(chain(), request("/admin?tab=1", { "x-ext-authz": "allow" }));
      expect(out.status).toBe(200);
      expect(out.deniedBy).toBeUndefined();
      expect(grpcAuthz.calls).toHaveLength(1);
      const [call] = grpcAuthz.calls;
      expect(call?.http.method).toBe("GET");
      expect(call?.http.path).toBe("/admin?tab=1");
      expect(call?.http.host).toBe("httpbin.foo:8000");
      // With no allowed_headers, a gRPC authorizer gets every request header, pseudo-headers too.
      expect(call?.http.headers).toEqual({
        ":authority": "httpbin.foo:8000",
        ":method": "GET",
        ":path": "/admin?tab=1",
        "user-agent": "curl/8",
        "x-ext-authz": "allow",
      });
      expect(call?.source.principal).toBe(`spiffe://${CLIENT}`);
      expect(call?.authority).toBe(HOST);
      // ok_response: a header added, the credential header removed before the upstream.
      expect(out.upstreamHeaders?.["x-ext-authz-check-result"]).toBe("allowed");
      expect(out.upstreamHeaders).not.toHaveProperty("x-ext-authz");
      expect(out.dynamicMetadata["envoy.filters.http.rbac"]).toEqual({
        istio_ext_authz_shadow_effective_policy_id:
          "istio-ext-authz-ext-authz-grpc-ns[foo]-policy[ext-authz]-rule[0]",
        istio_ext_authz_shadow_engine_result: "denied",
      });
    });

    it("denies /admin with the authorizer's 403, headers and body when it says no", async () => {
      const out = await run(chain(), request("/admin", { "x-ext-authz": "deny" }));
      expect(out.status).toBe(403);
      expect(out.deniedBy).toBe("ext_authz");
      expect(out.responseHeaders).toEqual({ "x-ext-authz-check-result": "denied" });
      expect(out.body).toContain("denied by ext_authz");
      expect(out.upstreamHeaders).toBeUndefined();
      expect(grpcAuthz.calls).toHaveLength(1);
      expect(grpcAuthz.calls[0]?.http.headers?.["x-ext-authz"]).toBe("deny");
    });

    it("a dry-run CUSTOM policy is counted but neither denies nor asks the authorizer", async () => {
      const dryRun: AuthzPolicyInput = {
        namespace: "foo",
        name: "billing-dry-run",
        annotations: { "istio.io/dry-run": "true" },
        spec: {
          action: "CUSTOM",
          provider: { name: "ext-authz-grpc" },
          rules: [{ to: [{ operation: { paths: ["/billing*"] } }] }],
        },
      };
      const f = filters([custom("ext-authz-grpc"), dryRun]);
      const out = await run(f, request("/billing"));
      expect(out.status).toBe(200);
      expect(grpcAuthz.calls).toHaveLength(0);
      expect(out.dynamicMetadata["envoy.filters.http.rbac"]).toMatchObject({
        istio_dry_run_custom_shadow_engine_result: "denied",
        istio_ext_authz_shadow_engine_result: "allowed",
      });
      // The enforced policy beside it still goes to the authorizer.
      expect((await run(f, request("/admin"))).deniedBy).toBe("ext_authz");
      expect(grpcAuthz.calls).toHaveLength(1);
    });

    it("never calls the authorizer for /public (filter_enabled_metadata gating)", async () => {
      const out = await run(chain(), request("/public"));
      expect(out.status).toBe(200);
      expect(out.checkedWith).toBeUndefined();
      expect(grpcAuthz.calls).toHaveLength(0);
      expect(out.dynamicMetadata["envoy.filters.http.rbac"]).toEqual({
        istio_ext_authz_shadow_engine_result: "allowed",
      });
    });

    it("gates on the path prefix only: /administrator is checked, /ADMIN is not", async () => {
      await run(chain(), request("/administrator", { "x-ext-authz": "allow" }));
      expect(grpcAuthz.calls).toHaveLength(1);
      const out = await run(chain(), request("/ADMIN"));
      expect(out.status).toBe(200);
      expect(grpcAuthz.calls).toHaveLength(1);
    });
  });

  describe("authorizer failures", () => {
    it("an unreachable authorizer with failOpen: true lets the request through", async () => {
      const out = await run(filters([custom("down-open")]), request("/admin"));
      expect(out.status).toBe(200);
      expect(out.extAuthzError).toMatch(/UNAVAILABLE/);
      expect(out.checkedWith?.transport).toBe("grpc");
    });

    it("an unreachable authorizer with failOpen: false answers statusOnError (503)", async () => {
      const out = await run(
        filters([custom("down-closed")]),
        request("/admin", { "x-ext-authz": "allow" }),
      );
      expect(out.status).toBe(503);
      expect(out.deniedBy).toBe("ext_authz");
      expect(out.extAuthzError).toMatch(/UNAVAILABLE/);
    });

    it("a timeout shorter than the authorizer's answer is a failure (403 by default)", async () => {
      grpcAuthz.delayMs = 1500; // far beyond the 100 ms timeout, so a loaded machine cannot blur them
      const started = Date.now();
      const out = await run(
        filters([custom("slow")]),
        request("/admin", { "x-ext-authz": "allow" }),
      );
      expect(Date.now() - started).toBeLessThan(1500);
      expect(out.status).toBe(403);
      expect(out.deniedBy).toBe("ext_authz");
      expect(out.extAuthzError).toMatch(/DEADLINE_EXCEEDED/);
      // The same slow authorizer within a longer timeout allows.
      const patient = await run(
        filters([custom("patient")]),
        request("/admin", { "x-ext-authz": "allow" }),
      );
      expect(patient.status).toBe(200);
      expect(patient.extAuthzError).toBeUndefined();
    });

    it("an unknown provider service fails closed in the builder: RBAC denies, no call", async () => {
      const f = filters([custom("nowhere")]);
      expect(f.map(x => x.name)).toEqual(["envoy.filters.http.rbac"]);
      const out = await run(f, request("/admin", { "x-ext-authz": "allow" }));
      expect(out.status).toBe(403);
      expect(out.deniedBy).toBe("rbac");
      expect(grpcAuthz.calls).toHaveLength(0);
      expect((await run(f, request("/public"))).status).toBe(200);
    });
  });

  describe("with DENY and ALLOW policies", () => {
    const chain = () => filters([custom("ext-authz-grpc"), denyBlocked, allowGetOnly]);

    it("a DENY policy still denies a request the authorizer allowed", async () => {
      const out = await run(
        chain(),
        request("/admin", { "x-ext-authz": "allow", "x-block": "yes" }),
      );
      expect(out.status).toBe(403);
      expect(out.deniedBy).toBe("rbac");
      expect(grpcAuthz.calls).toHaveLength(1); // CUSTOM runs first
    });

    it("an ALLOW policy still applies after the authorizer allowed", async () => {
      const post = await run(chain(), request("/admin", { "x-ext-authz": "allow" }, "POST"));
      expect(post.status).toBe(403);
      expect(post.deniedBy).toBe("rbac");
      const get = await run(chain(), request("/admin", { "x-ext-authz": "allow" }));
      expect(get.status).toBe(200);
      expect(grpcAuthz.calls).toHaveLength(2);
    });

    it("the authorizer's denial comes before DENY / ALLOW", async () => {
      const out = await run(chain(), request("/admin", { "x-block": "yes" }));
      expect(out.deniedBy).toBe("ext_authz");
    });

    it("later RBAC filters see the headers the authorizer added", async () => {
      const needsCheck: AuthzPolicyInput = {
        namespace: "foo",
        name: "checked",
        spec: {
          action: "ALLOW",
          rules: [
            { when: [{ key: "request.headers[x-ext-authz-check-result]", values: ["allowed"] }] },
          ],
        },
      };
      const f = filters([custom("ext-authz-grpc"), needsCheck]);
      expect((await run(f, request("/admin", { "x-ext-authz": "allow" }))).status).toBe(200);
      const pub = await run(f, request("/public"));
      expect(pub.status).toBe(403);
      expect(pub.deniedBy).toBe("rbac");
    });
  });

  describe("HTTP provider", () => {
    const chain = () => filters([custom("ext-authz-http")]);

    it("calls <pathPrefix><path> with the allowed headers only", async () => {
      const out = await run(
        chain(),
        request("/admin", {
          "x-ext-authz": "allow",
          authorization: "Bearer t0k3n",
          cookie: "session=secret",
          "x-secret": "do-not-forward",
        }),
      );
      expect(out.status).toBe(200);
      expect(httpAuthz.calls).toHaveLength(1);
      const [call] = httpAuthz.calls;
      expect(call?.url).toBe("/check/admin");
      expect(call?.method).toBe("GET");
      expect(call?.headers["x-ext-authz"]).toBe("allow");
      expect(call?.headers.authorization).toBe("Bearer t0k3n"); // always included
      expect(call?.headers.host).toBe("httpbin.foo:8000");
      expect(call?.headers["content-length"]).toBe("0");
      expect(call?.headers).not.toHaveProperty("cookie");
      expect(call?.headers).not.toHaveProperty("x-secret");
      expect(call?.headers).not.toHaveProperty("user-agent");
    });

    it("headersToUpstreamOnAllow headers reach the upstream request, others do not", async () => {
      const out = await run(chain(), request("/admin", { "x-ext-authz": "allow" }));
      expect(out.upstreamHeaders).toMatchObject({
        "x-ext-authz-check-result": "allowed",
        "x-user-id": "alice",
        "x-ext-authz": "allow",
      });
      expect(out.upstreamHeaders).not.toHaveProperty("x-not-forwarded");
    });

    it("a denial returns the authorizer's status and headersToDownstreamOnDeny", async () => {
      const out = await run(chain(), request("/admin/users", { "x-ext-authz": "nope" }, "DELETE"));
      expect(out.status).toBe(403);
      expect(out.deniedBy).toBe("ext_authz");
      expect(out.body).toBe("denied by ext_authz");
      expect(out.responseHeaders["x-ext-authz-check-result"]).toBe("denied");
      expect(out.responseHeaders).not.toHaveProperty("x-internal-reason");
      expect(httpAuthz.calls[0]?.url).toBe("/check/admin/users");
      expect(httpAuthz.calls[0]?.method).toBe("DELETE");
    });

    it("a 5xx from the authorizer is an error: denied (failOpen unset)", async () => {
      const out = await run(chain(), request("/admin", { "x-ext-authz": "crash" }));
      expect(httpAuthz.calls).toHaveLength(1);
      expect(out.status).toBe(403);
      expect(out.extAuthzError).toBe("HTTP 500");
    });

    it("/public never reaches the HTTP authorizer", async () => {
      const out = await run(chain(), request("/public"));
      expect(out.status).toBe(200);
      expect(httpAuthz.calls).toHaveLength(0);
    });
  });
});
