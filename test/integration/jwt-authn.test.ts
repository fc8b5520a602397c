/**
 * Issue 8's JWT case end to end: a RequestAuthentication applied with kubectl names a `jwksUri`
 * served by this test on loopback; the module fetches the key set, inlines it into the
 * `jwt_authn` filter of the selected sidecar's inbound listener, and refetches it when the
 * issuer rotates keys. An operator's deny-list keeps the control plane from fetching from a
 * blocked address: that workload fails closed and the module says why.
 *
 * What a sidecar does with a token is shown on the config the module served over ADS, run
 * through `runJwtAuthn` (Envoy's jwt_authn rules) and `runRbac` (Envoy's RBAC rules): an
 * interpreter stands in for Envoy, because no Envoy binary can run on this machine and
 * grpc-js-xds, the real data plane used elsewhere, has no jwt_authn. The config itself is
 * asserted field by field. Loopback only.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import type { DevSession } from "../../cli/dev/runner";
import { freePort } from "../../cli/local-cluster/ports";
import type { NamedFilter } from "../../xds/compile/security/index";
import { TypeUrl } from "../../xds/encode/type-urls";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { applyOrFail, eventually } from "../harness/kube";
import { startTestModule } from "../harness/module";
import { SotwTestClient } from "../harness/xds-sotw-client";
import { runRbac } from "../mesh/authz/rbac-interpreter";
import { runJwtAuthn, type JwtRequest } from "../mesh/authn/jwt-authn-interpreter";

const ISSUER = "https://issuer.rigging.test";
const BLOCKED_ISSUER = "https://blocked.rigging.test";
const JWT_FILTER = "envoy.filters.http.jwt_authn";
type O = Record<string, unknown>;
const obj = (v: unknown): O => (v ?? {}) as O;

interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

async function signingKey(kid: string): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256" } };
}

function token(
  key: SigningKey,
  claims: O,
  options: { issuer?: string; expiresIn?: string | number } = {},
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: "RS256", kid: key.kid })
    .setIssuer(options.issuer ?? ISSUER)
    .setSubject(String(claims.sub ?? "alice"))
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? "10m")
    .sign(key.privateKey);
}

/** Serves `/jwks.json` from `keys()` on `host`, counting requests. */
async function jwksServer(
  host: string,
  keys: () => JWK[],
): Promise<{ server: Server; url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ keys: keys() }));
  });
  await new Promise<void>(resolve => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://${host}:${port}/jwks.json`, hits: () => hits };
}

/** The HTTP filters of the inbound chain serving `port` (the plaintext one where there are two). */
function inboundHttpFilters(client: SotwClientLike, port: number): NamedFilter[] | undefined {
  const listener = client.objects.get(TypeUrl.listener)?.get("virtualInbound");
  const chains = (obj(listener).filter_chains as O[] | undefined) ?? [];
  const serving = chains.filter(
    c => obj(obj(c.filter_chain_match).destination_port).value === port,
  );
  const chain =
    serving.find(c => obj(c.filter_chain_match).transport_protocol === "raw_buffer") ?? serving[0];
  const hcm = ((chain?.filters as O[] | undefined) ?? []).find(f =>
    String(f.name).includes("http_connection_manager"),
  );
  return obj(hcm?.typed_config).http_filters as NamedFilter[] | undefined;
}

type SotwClientLike = Pick<SotwTestClient, "objects">;

function jwtConfig(filters: readonly NamedFilter[] | undefined): O | undefined {
  return filters?.find(f => f.name === JWT_FILTER)?.typed_config as O | undefined;
}

function inlineKids(filters: readonly NamedFilter[] | undefined): string[] {
  const providers = Object.values(obj(jwtConfig(filters)?.providers)).map(obj);
  return providers.flatMap(p => {
    const keys = JSON.parse(String(obj(p.local_jwks).inline_string ?? "{}")) as { keys?: JWK[] };
    return (keys.keys ?? []).map(k => String(k.kid));
  });
}

/** What the sidecar answers: 401 from jwt_authn, 403 from RBAC, or 200. */
async function sidecarAnswer(filters: readonly NamedFilter[], request: JwtRequest) {
  const jwt = await runJwtAuthn(jwtConfig(filters) ?? {}, request);
  if (jwt.status === "rejected") return 401;
  const rbac = runRbac(filters, {
    protocol: "HTTP",
    method: "GET",
    path: "/headers",
    headers: request.headers,
    claims: jwt.payload,
  });
  return rbac.allowed ? 200 : 403;
}

const bearer = (t: string): JwtRequest => ({ headers: { authorization: `Bearer ${t}` } });

describe("RequestAuthentication: the control plane fetches the issuer's keys and sidecars enforce them", () => {
  let cluster: LocalCluster;
  let session: DevSession;
  let issuer: Awaited<ReturnType<typeof jwksServer>>;
  let blocked: Awaited<ReturnType<typeof jwksServer>>;
  let httpbin: SotwTestClient;
  let guarded: SotwTestClient;
  let keyA: SigningKey;
  let keyB: SigningKey;
  let foreign: SigningKey;
  let served: JWK[] = [];
  const moduleLines: string[] = [];

  beforeAll(async () => {
    [keyA, keyB, foreign] = await Promise.all([
      signingKey("key-a"),
      signingKey("key-b"),
      signingKey("foreign"),
    ]);
    served = [keyA.publicJwk];
    issuer = await jwksServer("127.0.0.1", () => served);
    blocked = await jwksServer("127.0.0.2", () => [keyA.publicJwk]);
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    const xdsPort = await freePort();
    session = await startTestModule({
      env: {
        RIGGING_XDS_ADDRESS: `127.0.0.1:${xdsPort}`,
        RIGGING_XDS_TLS_ADDRESS: "off",
        RIGGING_JWKS_REFRESH_MS: "1000",
        RIGGING_JWKS_DENY_LIST: "127.0.0.2/32",
      },
      moduleLog: line => moduleLines.push(line),
    });
    const workload = (name: string, ip: string, port: number) => [
      {
        apiVersion: "networking.istio.io/v1",
        kind: "ServiceEntry",
        metadata: { name, namespace: "default" },
        spec: {
          hosts: [`${name}.default.svc.cluster.local`],
          ports: [{ number: port, name: "http", protocol: "HTTP" }],
          location: "MESH_INTERNAL",
          resolution: "STATIC",
          workloadSelector: { labels: { app: name } },
        },
      },
      {
        apiVersion: "networking.istio.io/v1",
        kind: "WorkloadEntry",
        metadata: { name, namespace: "default" },
        spec: { address: ip, labels: { app: name }, serviceAccount: name },
      },
    ];
    applyOrFail(cluster, [
      ...workload("httpbin", "127.0.0.42", 8000),
      ...workload("guarded", "127.0.0.43", 8001),
      {
        apiVersion: "security.istio.io/v1",
        kind: "RequestAuthentication",
        metadata: { name: "httpbin-jwt", namespace: "default" },
        spec: {
          selector: { matchLabels: { app: "httpbin" } },
          jwtRules: [{ issuer: ISSUER, jwksUri: issuer.url, forwardOriginalToken: true }],
        },
      },
      {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: { name: "admins-only", namespace: "default" },
        spec: {
          selector: { matchLabels: { app: "httpbin" } },
          action: "ALLOW",
          rules: [
            {
              from: [{ source: { requestPrincipals: [`${ISSUER}/*`] } }],
              when: [{ key: "request.auth.claims[group]", values: ["admins"] }],
            },
          ],
        },
      },
      {
        apiVersion: "security.istio.io/v1",
        kind: "RequestAuthentication",
        metadata: { name: "guarded-jwt", namespace: "default" },
        spec: {
          selector: { matchLabels: { app: "guarded" } },
          jwtRules: [{ issuer: BLOCKED_ISSUER, jwksUri: blocked.url }],
        },
      },
    ]);
    const sidecar = (name: string, ip: string) =>
      new SotwTestClient(xdsPort, {
        nodeId: `sidecar~${ip}~${name}.default~default.svc.cluster.local`,
        metadata: { NAMESPACE: "default", LABELS: { app: name }, SERVICE_ACCOUNT: name },
      });
    httpbin = sidecar("httpbin", "127.0.0.42");
    guarded = sidecar("guarded", "127.0.0.43");
    for (const c of [httpbin, guarded]) c.subscribe(TypeUrl.listener, []);
    await eventually("httpbin's inbound jwt_authn to carry the issuer's key", async () =>
      inlineKids(inboundHttpFilters(httpbin, 8000)).includes("key-a") ? true : undefined,
    );
  }, 240_000);

  afterAll(async () => {
    if (process.env.RIGGING_TEST_VERBOSE) console.log(moduleLines.slice(-40).join("\n"));
    httpbin?.close();
    guarded?.close();
    await session?.stop();
    await cluster?.stop();
    issuer?.server.close();
    blocked?.server.close();
  });

  it("inlines the fetched key set in jwt_authn, ahead of RBAC and the router", () => {
    const filters = inboundHttpFilters(httpbin, 8000)!;
    const names = filters.map(f => f.name);
    const jwtAt = names.indexOf(JWT_FILTER);
    const rbacAt = names.findIndex(n => n.startsWith("envoy.filters.http.rbac"));
    expect(jwtAt).toBeGreaterThanOrEqual(0);
    expect(rbacAt).toBeGreaterThan(jwtAt);
    expect(names.at(-1)).toBe("envoy.filters.http.router");
    const config = jwtConfig(filters)!;
    const provider = obj(obj(config.providers)["origins-0"]);
    expect(provider).toMatchObject({
      issuer: ISSUER,
      forward: true,
      payload_in_metadata: "payload",
    });
    expect(JSON.parse(String(obj(provider.local_jwks).inline_string))).toEqual({
      keys: [keyA.publicJwk],
    });
    // Istio's requirement: a token, if present, must verify; a missing token is left to RBAC.
    expect(config.rules).toEqual([
      {
        match: { prefix: "/" },
        requires: {
          requires_any: { requirements: [{ provider_name: "origins-0" }, { allow_missing: {} }] },
        },
      },
    ]);
  });

  it("admits a valid token of the right group; refuses other groups, bad tokens and no token", async () => {
    const filters = inboundHttpFilters(httpbin, 8000)!;
    const answers = {
      admin: await sidecarAnswer(filters, bearer(await token(keyA, { group: "admins" }))),
      adminInList: await sidecarAnswer(
        filters,
        bearer(await token(keyA, { group: ["users", "admins"] })),
      ),
      otherGroup: await sidecarAnswer(filters, bearer(await token(keyA, { group: "users" }))),
      expired: await sidecarAnswer(
        filters,
        bearer(
          await token(
            keyA,
            { group: "admins" },
            { expiresIn: Math.floor(Date.now() / 1000) - 600 },
          ),
        ),
      ),
      wrongIssuer: await sidecarAnswer(
        filters,
        bearer(await token(keyA, { group: "admins" }, { issuer: "https://evil.test" })),
      ),
      foreignKey: await sidecarAnswer(filters, bearer(await token(foreign, { group: "admins" }))),
      unsigned: await sidecarAnswer(
        filters,
        bearer(
          `${Buffer.from(JSON.stringify({ alg: "none" })).toString("base64url")}.${Buffer.from(
            JSON.stringify({ iss: ISSUER, sub: "alice", group: "admins" }),
          ).toString("base64url")}.`,
        ),
      ),
      noToken: await sidecarAnswer(filters, {}),
    };
    expect(answers).toEqual({
      admin: 200,
      adminInList: 200,
      otherGroup: 403,
      expired: 401,
      wrongIssuer: 401,
      foreignKey: 401,
      unsigned: 401,
      noToken: 403,
    });
  });

  it("follows the issuer's key rotation: new keys admitted, retired keys refused", async () => {
    const oldToken = await token(keyA, { group: "admins" });
    const rotatedAt = Date.now();
    served = [keyB.publicJwk];
    await eventually(
      "the rotated key set to reach the sidecar",
      async () => {
        const kids = inlineKids(inboundHttpFilters(httpbin, 8000));
        return kids.includes("key-b") && !kids.includes("key-a") ? true : undefined;
      },
      30_000,
    );
    console.log(`JWKS rotation reached the proxy in ${Date.now() - rotatedAt} ms (refresh 1 s)`);
    const filters = inboundHttpFilters(httpbin, 8000)!;
    expect(await sidecarAnswer(filters, bearer(await token(keyB, { group: "admins" })))).toBe(200);
    expect(await sidecarAnswer(filters, bearer(oldToken))).toBe(401);
  });

  it("never fetches from a blocked address: that workload fails closed and the module says why", async () => {
    await eventually("guarded's inbound jwt_authn", async () =>
      jwtConfig(inboundHttpFilters(guarded, 8001)) ? true : undefined,
    );
    const filters = inboundHttpFilters(guarded, 8001)!;
    expect(inlineKids(filters)).toEqual(["rigging-fail-closed"]);
    // A token the blocked issuer really signed is refused: its keys never reached the proxy.
    const signed = await new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: keyA.kid })
      .setIssuer(BLOCKED_ISSUER)
      .setSubject("bob")
      .setExpirationTime("10m")
      .sign(keyA.privateKey);
    expect(await runJwtAuthn(jwtConfig(filters)!, bearer(signed))).toMatchObject({
      status: "rejected",
    });
    expect(blocked.hits()).toBe(0);
    await eventually(
      "the module to report the refused fetch, naming the policy and the rule",
      async () =>
        moduleLines.some(
          l =>
            l.includes(blocked.url) &&
            l.includes("default/guarded-jwt") &&
            l.includes("blocked by the deny-list entry 127.0.0.2/32"),
        )
          ? true
          : undefined,
    );
  });
});
