import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  jwtVerify,
  SignJWT,
  UnsecuredJWT,
  type JWK,
} from "jose";
import { JwksFetcher, jwksUrisOf, type JwksTimers } from "../../control-plane/jwks-fetcher";
import { requestPrincipalOf, type RequestAuthenticationInput } from "../../mesh/authn";
import { buildJwtAuthnFilter } from "../../xds/compile/security/jwt-authn";
import { compareMessage, type EncodeIssue } from "../../xds/encode/compare-decoded";
import { messageType } from "../../xds/encode/proto-root";
import { recordingLogger } from "./fakes";

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A loopback HTTP server whose behaviour each test sets; counts requests per path. */
class JwksServer {
  readonly hits = new Map<string, number>();
  readonly routes = new Map<string, Handler>();
  private server!: Server;
  port = 0;

  async start() {
    this.server = createServer((req, res) => {
      const path = req.url ?? "/";
      this.hits.set(path, (this.hits.get(path) ?? 0) + 1);
      const h = this.routes.get(path);
      if (h) h(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>(r => this.server.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  url(path: string) {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  json(path: string, body: () => unknown) {
    this.routes.set(path, (_req, res) => {
      const text = JSON.stringify(body());
      res.writeHead(200, { "content-type": "application/json" }).end(text);
    });
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise(r => this.server.close(r));
  }
}

async function publicJwk(kid: string): Promise<{ pub: JWK; priv: JWK }> {
  const { publicKey, privateKey } = await generateKeyPair("ES256", { extractable: true });
  return {
    pub: { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" },
    priv: { ...(await exportJWK(privateKey)), kid, alg: "ES256" },
  };
}

const ra = (uri: string, name = "jwt", ns = "foo"): RequestAuthenticationInput => ({
  namespace: ns,
  name,
  spec: { jwtRules: [{ issuer: "https://issuer.test", jwksUri: uri }] },
});

/** Timers whose interval the test fires by hand; timeouts are real (the timeout test needs one). */
function manualTimers(): JwksTimers & { intervals: { fn: () => void; ms: number }[] } {
  const intervals: { fn: () => void; ms: number }[] = [];
  return {
    intervals,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: h => clearTimeout(h as NodeJS.Timeout),
    setInterval: (fn, ms) => intervals.push({ fn, ms }),
    clearInterval: h => void intervals.splice(Number(h) - 1, 1),
  };
}

describe("JwksFetcher against a JWKS served on 127.0.0.1", () => {
  const server = new JwksServer();
  let k1: { pub: JWK; priv: JWK };
  let k2: { pub: JWK; priv: JWK };

  beforeAll(async () => {
    await server.start();
    k1 = await publicJwk("k1");
    k2 = await publicJwk("k2");
  });
  afterAll(() => server.stop());

  it("fetches once, caches, serves the builder's lookup and validates the set", async () => {
    server.json("/cached", () => ({ keys: [k1.pub] }));
    const log = recordingLogger();
    const f = new JwksFetcher({ logger: log });
    const changed: string[] = [];
    f.onChange(u => changed.push(u));
    const uri = server.url("/cached");
    expect(await f.sync([ra(uri), ra(uri, "other", "bar")])).toEqual([
      { ok: true, jwksUri: uri, changed: true },
    ]);
    expect(JSON.parse(f.get(uri)!)).toEqual({ keys: [k1.pub] });
    expect(f.lookup("https://issuer.test", uri)).toBe(f.get(uri));
    expect(changed).toEqual([uri]);
    // A second sync with the same URI is served from the cache.
    expect(await f.sync([ra(uri)])).toEqual([]);
    expect(server.hits.get("/cached")).toBe(1);
    // A URI no policy names any more is dropped.
    await f.sync([]);
    expect(f.get(uri)).toBeUndefined();
  });

  it("refreshes in the background and picks up a rotated key; keeps the last good on failure", async () => {
    let current: JWK[] = [k1.pub];
    let fail = false;
    server.routes.set("/rotating", (_req, res) => {
      if (fail) res.writeHead(503).end("upstream says SECRET-BODY-MARKER");
      else res.writeHead(200).end(JSON.stringify({ keys: current }));
    });
    const uri = server.url("/rotating");
    let now = 1_000_000;
    const timers = manualTimers();
    const log = recordingLogger();
    const f = new JwksFetcher({
      now: () => now,
      timers,
      logger: log,
      refreshIntervalMs: 60_000,
      retryIntervalMs: 5_000,
    });
    await f.sync([ra(uri)]);
    f.start();
    f.start(); // idempotent
    expect(timers.intervals.map(i => i.ms)).toEqual([5_000]);

    current = [k2.pub, k1.pub];
    now += 59_999;
    expect(await f.refreshDue()).toEqual([]); // not due yet
    expect(JSON.parse(f.get(uri)!).keys.map((k: JWK) => k.kid)).toEqual(["k1"]);

    now += 1;
    const rotated = new Promise<string>(r => f.onChange(r));
    timers.intervals[0]!.fn(); // the background tick
    expect(await rotated).toBe(uri);
    await f.idle();
    expect(JSON.parse(f.get(uri)!).keys.map((k: JWK) => k.kid)).toEqual(["k2", "k1"]);
    expect(server.hits.get("/rotating")).toBe(2);

    // The issuer fails: the rotated set stays, the failure names the policy, URI and status,
    // and the body never reaches the log.
    fail = true;
    now += 60_000;
    const [outcome] = await f.refreshDue();
    expect(outcome).toEqual({
      ok: false,
      jwksUri: uri,
      message: `RequestAuthentication foo/jwt: jwksUri ${uri}: HTTP status 503`,
    });
    expect(JSON.parse(f.get(uri)!).keys.map((k: JWK) => k.kid)).toEqual(["k2", "k1"]);
    const warn = JSON.parse(log.lines.find(l => l.includes('"warn"'))!);
    expect(warn).toEqual({
      level: "warn",
      msg: "JWKS fetch failed; keeping the last good key set",
      requestAuthentication: ["foo/jwt"],
      jwksUri: uri,
      problem: "HTTP status 503",
      keptLastGood: true,
    });
    expect(log.lines.join("\n")).not.toContain("SECRET-BODY-MARKER");

    // A failure is retried after the retry interval, not the refresh interval.
    fail = false;
    now += 4_999;
    expect(await f.refreshDue()).toEqual([]);
    now += 1;
    expect(await f.refreshDue()).toEqual([{ ok: true, jwksUri: uri, changed: false }]);
    f.stop();
    expect(timers.intervals).toEqual([]);
  });

  describe("refusals, each with its message, keeping the last good set", () => {
    const refused = async (
      path: string,
      handler: Handler,
      problem: string | RegExp,
      opts: ConstructorParameters<typeof JwksFetcher>[0] = {},
    ) => {
      const uri = server.url(path);
      // First a good set, so the test also shows the refusal does not replace it.
      server.json(path, () => ({ keys: [k1.pub] }));
      const log = recordingLogger();
      const f = new JwksFetcher({ maxBytes: 4096, timeoutMs: 300, logger: log, ...opts });
      const first = await f.sync([ra(uri)]);
      server.routes.set(path, handler);
      const outcome = first[0]!.ok ? await f.refresh(uri) : first[0]!;
      expect(outcome.ok).toBe(false);
      const message = (outcome as { message: string }).message;
      const prefix = `RequestAuthentication foo/jwt: jwksUri ${uri}: `;
      expect(message.startsWith(prefix)).toBe(true);
      if (typeof problem === "string") expect(message.slice(prefix.length)).toBe(problem);
      else expect(message.slice(prefix.length)).toMatch(problem);
      expect(log.lines.join("\n")).not.toContain("BODY-MARKER");
      // The last good set is still what the builder gets.
      if (first[0]!.ok) expect(JSON.parse(f.get(uri)!)).toEqual({ keys: [k1.pub] });
      return { f, uri };
    };

    it("a body past the size limit, declared in Content-Length", async () => {
      const { f, uri } = await refused(
        "/big-declared",
        (_req, res) => {
          const body = `"BODY-MARKER"${" ".repeat(5000)}`;
          res.writeHead(200, { "content-length": String(body.length) }).end(body);
        },
        "response declares 5013 bytes, over the 4096-byte limit",
      );
      expect(JSON.parse(f.get(uri)!)).toEqual({ keys: [k1.pub] });
    });

    it("an endless chunked body: reading stops at the limit and the connection is closed", async () => {
      let closed!: () => void;
      const serverSawClose = new Promise<void>(r => (closed = r));
      await refused(
        "/big-streamed",
        (_req, res) => {
          res.writeHead(200, { "content-type": "application/json" });
          const t = setInterval(() => res.write("BODY-MARKER".repeat(100)), 2);
          res.on("close", () => {
            clearInterval(t);
            closed();
          });
        },
        "response body exceeds the 4096-byte limit",
      );
      await serverSawClose;
    });

    it("a server that never answers hits the timeout", async () => {
      const started = Date.now();
      await refused("/silent", () => undefined, "no complete response within 300 ms");
      expect(Date.now() - started).toBeLessThan(3_000);
    });

    it.each([
      ["not JSON", "BODY-MARKER <html>", "body is not JSON"],
      ["no keys", '{"BODY-MARKER":1}', 'body is not a JWK Set (no "keys" array of objects)'],
      ["empty set", '{"keys":[]}', "JWK Set has no keys"],
      [
        "a symmetric key",
        '{"keys":[{"kty":"oct","k":"BODY-MARKER","kid":"s"}]}',
        'keys[0] (kid "s"): is a private or secret key (has k); a JWKS must hold only public keys',
      ],
      [
        "a broken public key",
        '{"keys":[{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}]}',
        "keys[0]: is not a valid EC public key",
      ],
    ])("a non-JWKS body (%s)", async (_name, body, problem) => {
      await refused("/not-jwks", (_req, res) => res.writeHead(200).end(body), problem);
    });

    it("a private key in the set", async () => {
      await refused(
        "/private",
        (_req, res) => res.writeHead(200).end(JSON.stringify({ keys: [k1.pub, k2.priv] })),
        'keys[1] (kid "k2"): is a private or secret key (has d); a JWKS must hold only public keys',
      );
    });

    it("an address the operator blocks (checked on the resolved address)", async () => {
      const uri = server.url("/blocked");
      server.json("/blocked", () => ({ keys: [k1.pub] }));
      const f = new JwksFetcher({ denyList: ["10.0.0.0/8", "127.0.0.0/8"] });
      expect(await f.sync([ra(uri)])).toEqual([
        {
          ok: false,
          jwksUri: uri,
          message: `RequestAuthentication foo/jwt: jwksUri ${uri}: host 127.0.0.1 resolves to 127.0.0.1, blocked by the deny-list entry 127.0.0.0/8`,
        },
      ]);
      expect(server.hits.get("/blocked")).toBeUndefined();
      expect(f.get(uri)).toBeUndefined();
    });

    it("a host name that resolves to a blocked address, and a blocked host name", async () => {
      const resolve = async (host: string) =>
        host === "issuer.test" ? ["::1", "::ffff:169.254.169.254"] : [];
      const f = new JwksFetcher({ denyList: ["169.254.0.0/16", "*.internal"], resolve });
      const [a, b] = await f.sync([
        ra("http://issuer.test/jwks"),
        ra("https://metadata.google.internal/jwks", "meta"),
      ]);
      expect(a).toMatchObject({
        message:
          "RequestAuthentication foo/jwt: jwksUri http://issuer.test/jwks: host issuer.test resolves to ::ffff:169.254.169.254, blocked by the deny-list entry 169.254.0.0/16",
      });
      expect(b).toMatchObject({
        message:
          "RequestAuthentication foo/meta: jwksUri https://metadata.google.internal/jwks: host metadata.google.internal is blocked by the deny-list entry *.internal",
      });
    });

    it("a redirect to a blocked host is not followed", async () => {
      await refused(
        "/redirect",
        (_req, res) => res.writeHead(302, { location: "http://blocked.test/jwks" }).end(),
        "host blocked.test is blocked by the deny-list entry blocked.test",
        { denyList: ["blocked.test"] },
      );
    });

    it("a redirect to an allowed URL is followed", async () => {
      server.json("/target", () => ({ keys: [k2.pub] }));
      server.routes.set("/hop", (_req, res) => res.writeHead(301, { location: "/target" }).end());
      const f = new JwksFetcher();
      const uri = server.url("/hop");
      expect(await f.sync([ra(uri)])).toEqual([{ ok: true, jwksUri: uri, changed: true }]);
      expect(JSON.parse(f.get(uri)!).keys[0].kid).toBe("k2");
    });
  });

  it("by default blocks nothing, and refuses a deny-list it cannot parse", () => {
    expect(() => new JwksFetcher({ denyList: ["10.0.0.0/33", "not a host"] })).toThrow(
      'JWKS fetcher: deny-list entry "10.0.0.0/33": prefix length must be 0..32; deny-list entry "not a host": not a CIDR, an IP address or a host name',
    );
  });

  it("jwksUrisOf: inline jwks needs no fetch; the deprecated jwks_uri still counts", () => {
    expect(
      jwksUrisOf({
        namespace: "foo",
        name: "a",
        spec: {
          jwtRules: [
            { issuer: "a", jwksUri: "https://a/jwks" },
            { issuer: "b", jwks_uri: "https://b/jwks" },
            { issuer: "c", jwks: "{}", jwksUri: "https://c/jwks" },
          ],
        },
      }),
    ).toEqual(["https://a/jwks", "https://b/jwks"]);
  });
});

/**
 * End to end over the fetched key set. grpc-js-xds has no jwt_authn filter, so no proxyless data
 * plane here can enforce a RequestAuthentication: this test asserts the exact Envoy provider
 * config generated from the fetched JWKS, and then verifies tokens with jose against the very
 * key set inlined in that config, with the provider's issuer and audiences — what Envoy's
 * jwt_authn does with the same keys.
 */
describe("RequestAuthentication end to end: fetched JWKS → jwt_authn config → token checks", () => {
  const server = new JwksServer();
  const issuer = "https://issuer.test";
  let signer: PrivateKey;
  let stranger: PrivateKey;
  let filter: ReturnType<typeof buildJwtAuthnFilter>["filter"];
  let jwksUri: string;

  beforeAll(async () => {
    await server.start();
    const { publicKey, privateKey } = await generateKeyPair("RS256", { extractable: true });
    signer = privateKey;
    stranger = (await generateKeyPair("RS256")).privateKey;
    const pub = { ...(await exportJWK(publicKey)), kid: "rsa-1", alg: "RS256", use: "sig" };
    server.json("/jwks", () => ({ keys: [pub] }));
    jwksUri = server.url("/jwks");
    const policy: RequestAuthenticationInput = {
      namespace: "foo",
      name: "jwt",
      spec: {
        selector: { matchLabels: { app: "httpbin" } },
        jwtRules: [
          {
            issuer,
            audiences: ["bookstore"],
            jwksUri,
            fromHeaders: [{ name: "x-jwt", prefix: "Bearer " }],
            fromParams: ["access_token"],
            forwardOriginalToken: true,
            outputPayloadToHeader: "x-jwt-payload",
          },
        ],
      },
    };
    const fetcher = new JwksFetcher();
    expect(await fetcher.sync([policy])).toEqual([{ ok: true, jwksUri, changed: true }]);
    const built = buildJwtAuthnFilter([policy], fetcher.lookup);
    expect(built.notes).toEqual([]);
    filter = built.filter;
  });
  afterAll(() => server.stop());

  const provider = () =>
    (filter!.typed_config as unknown as { providers: Record<string, Record<string, unknown>> })
      .providers["origins-0"]!;
  const keySet = () =>
    createLocalJWKSet(
      JSON.parse((provider().local_jwks as { inline_string: string }).inline_string),
    );
  const verify = (token: string, at = new Date()) =>
    jwtVerify(token, keySet(), {
      issuer: provider().issuer as string,
      audience: provider().audiences as string[],
      currentDate: at,
    });
  const token = (claims: { iss?: string; exp?: number; aud?: string }, key = signer) =>
    new SignJWT({})
      .setProtectedHeader({ alg: "RS256", kid: "rsa-1" })
      .setIssuer(claims.iss ?? issuer)
      .setSubject("alice")
      .setAudience(claims.aud ?? "bookstore")
      .setIssuedAt()
      .setExpirationTime(claims.exp ?? "10m")
      .sign(key);

  it("the exact provider config, with the fetched JWKS inline, and it encodes against Envoy's protos", async () => {
    expect(filter).toEqual({
      name: "envoy.filters.http.jwt_authn",
      typed_config: {
        "@type": "type.googleapis.com/envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
        providers: {
          "origins-0": {
            issuer,
            audiences: ["bookstore"],
            local_jwks: { inline_string: JSON.stringify(await fetchedBody(jwksUri)) },
            from_headers: [{ name: "x-jwt", value_prefix: "Bearer " }],
            from_params: ["access_token"],
            forward: true,
            forward_payload_header: "x-jwt-payload",
            payload_in_metadata: "payload",
            normalize_payload_in_metadata: { space_delimited_claims: ["permission", "scope"] },
          },
        },
        rules: [
          {
            match: { prefix: "/" },
            requires: {
              requires_any: {
                requirements: [{ provider_name: "origins-0" }, { allow_missing: {} }],
              },
            },
          },
        ],
        bypass_cors_preflight: true,
      },
    });
    const type = messageType(
      "envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter",
    );
    const body = filter as unknown as Record<string, unknown>;
    const issues: EncodeIssue[] = [];
    compareMessage(
      type,
      body,
      type.decode(type.encode(type.fromObject(body)).finish()),
      "",
      issues,
    );
    expect(issues).toEqual([]);
  });

  it("a token signed by a key in the JWKS with the right issuer verifies; principal iss/sub", async () => {
    const { payload } = await verify(await token({}));
    expect(requestPrincipalOf(payload)).toBe("https://issuer.test/alice");
  });

  it.each([
    ["expired", async () => token({ exp: Math.floor(Date.now() / 1000) - 60 }), "ERR_JWT_EXPIRED"],
    [
      "wrong issuer",
      async () => token({ iss: "https://evil.test" }),
      "ERR_JWT_CLAIM_VALIDATION_FAILED",
    ],
    ["wrong audience", async () => token({ aud: "other" }), "ERR_JWT_CLAIM_VALIDATION_FAILED"],
    [
      "unsigned (alg none)",
      async () =>
        new UnsecuredJWT({ sub: "alice" }).setIssuer(issuer).setAudience("bookstore").encode(),
      "ERR_JOSE_NOT_SUPPORTED",
    ],
    [
      "signed by a key not in the JWKS",
      async () => token({}, stranger),
      "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    ],
  ])("a %s token fails verification", async (_name, make, code) => {
    await expect(verify(await make())).rejects.toMatchObject({ code });
  });
});

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

async function fetchedBody(uri: string): Promise<unknown> {
  return (await fetch(uri)).json();
}
