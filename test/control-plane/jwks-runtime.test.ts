/**
 * The mesh runtime wired to the real JWKS fetcher (with an injected fetch and resolver, so no
 * network): a RequestAuthentication makes the fetcher fetch its `jwksUri`; the arrival of the key
 * set, and every rotation, pushes the sidecar it selects a `jwt_authn` filter with the keys
 * inlined; a failing issuer never holds a push back.
 */
import { exportJWK, generateKeyPair, type JWK } from "jose";
import { JwksFetcher } from "../../control-plane/jwks-fetcher";
import { MeshRuntime, type JwksSource } from "../../control-plane/mesh-runtime";
import { MeteredJwksFetcher } from "../../control-plane/metered-jwks-fetcher";
import { FAIL_CLOSED_JWKS } from "../../mesh/authn/request-authentication";
import type { StoreObject } from "../../mesh/store";
import { SnapshotCache } from "../../xds/cache/snapshot-cache";
import { TypeUrl } from "../../xds/encode/type-urls";
import type { NodeInfo } from "../../xds/server/messages";
import { manualTimers, recordingLogger } from "./fakes";

const URI = "https://issuer.test/jwks";
const BROKEN_URI = "https://broken.test/jwks";

const web: NodeInfo = {
  id: "sidecar~10.0.0.5~web-1.shop~shop.svc.cluster.local",
  cluster: "test",
  metadata: { NAMESPACE: "shop", LABELS: { app: "web" } },
  userAgent: "test",
};

const service = {
  kind: "Service",
  metadata: { name: "web", namespace: "shop" },
  spec: {
    clusterIP: "10.96.0.20",
    selector: { app: "web" },
    ports: [{ name: "http", port: 8080 }],
  },
} as StoreObject;

const requestAuthentication = (name: string, jwksUri: string) =>
  ({
    apiVersion: "security.istio.io/v1",
    kind: "RequestAuthentication",
    metadata: { name, namespace: "shop" },
    spec: {
      selector: { matchLabels: { app: "web" } },
      jwtRules: [{ issuer: `https://${name}.test`, jwksUri }],
    },
  }) as unknown as StoreObject;

async function publicJwk(kid: string): Promise<JWK> {
  const { publicKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(publicKey)), kid, alg: "ES256", use: "sig" };
}

/** An issuer the test controls: the body served per URI, a gate to hold responses, a count. */
function fakeIssuer() {
  const bodies = new Map<string, () => Response>();
  const calls: string[] = [];
  let gate: Promise<void> = Promise.resolve();
  const fetch = (async (url: URL | string) => {
    calls.push(String(url));
    await gate;
    const body = bodies.get(String(url));
    return body ? body() : new Response("", { status: 404 });
  }) as typeof globalThis.fetch;
  return {
    fetch,
    calls,
    serve(url: string, keys: JWK[]) {
      bodies.set(url, () => Response.json({ keys }));
    },
    fail(url: string) {
      bodies.set(url, () => new Response("no", { status: 503 }));
    },
    hold(): () => void {
      let release!: () => void;
      gate = new Promise(r => (release = r));
      return release;
    },
  };
}

/** The inbound listener's JSON as compiled for `node`, or "" before any snapshot. */
const inbound = (cache: SnapshotCache, node = web) =>
  JSON.stringify(
    cache.get(node.id)?.resources.get(TypeUrl.listener)?.get("virtualInbound")?.object ?? "",
  );

const failClosedKid = (JSON.parse(FAIL_CLOSED_JWKS) as { keys: { kid: string }[] }).keys[0]!.kid;

function setup(issuer = fakeIssuer(), source?: (f: JwksFetcher) => JwksSource) {
  const log = recordingLogger();
  const fetcher = new JwksFetcher({
    fetch: issuer.fetch,
    resolve: async () => ["203.0.113.7"],
    logger: log,
  });
  const timers = manualTimers();
  const cache = new SnapshotCache();
  const runtime = new MeshRuntime({
    cache,
    logger: log,
    timers,
    quietMs: 100,
    jwks: source ? source(fetcher) : fetcher,
  });
  runtime.apply({ type: "ADDED", object: service });
  runtime.onConnect(web);
  return { issuer, fetcher, timers, cache, runtime, log };
}

describe("MeshRuntime with the JWKS fetcher", () => {
  let k1: JWK;
  let k2: JWK;
  beforeAll(async () => {
    k1 = await publicJwk("rotation-k1");
    k2 = await publicJwk("rotation-k2");
  });

  it("fetches a RequestAuthentication's jwksUri and pushes the keys when they arrive, and again when they rotate", async () => {
    const { issuer, fetcher, timers, cache, runtime } = setup();
    issuer.serve(URI, [k1]);
    const release = issuer.hold();
    runtime.apply({ type: "ADDED", object: requestAuthentication("jwt", URI) });
    await new Promise(r => setImmediate(r));
    expect(issuer.calls).toEqual([URI]);

    // The push does not wait for the issuer: the policy is enforced at once, failing closed.
    timers.advance(100);
    const before = inbound(cache);
    expect(before).toContain("jwt_authn");
    expect(before).toContain(failClosedKid);
    expect(before).not.toContain("rotation-k1");

    // The key set arrives: a push follows, carrying it inline.
    release();
    await fetcher.idle();
    timers.advance(100);
    expect(inbound(cache)).toContain("rotation-k1");
    expect(inbound(cache)).not.toContain(failClosedKid);

    // The issuer rotates; the background refresh finds it and the sidecar gets the new key.
    issuer.serve(URI, [k2]);
    await fetcher.refresh(URI);
    const beforePush = inbound(cache);
    timers.advance(100);
    expect(beforePush).toContain("rotation-k1");
    expect(inbound(cache)).toContain("rotation-k2");
    expect(inbound(cache)).not.toContain("rotation-k1");

    // Deleting the policy drops the URI from the fetcher and the filter from the listener.
    runtime.apply({ type: "DELETED", object: requestAuthentication("jwt", URI) });
    timers.advance(100);
    expect(fetcher.get(URI)).toBeUndefined();
    expect(inbound(cache)).not.toContain("jwt_authn");
    runtime.stop();
  });

  it("an unchanged key set on refresh pushes nothing", async () => {
    const { issuer, fetcher, timers, cache, runtime } = setup();
    issuer.serve(URI, [k1]);
    runtime.apply({ type: "ADDED", object: requestAuthentication("jwt", URI) });
    await fetcher.idle();
    timers.advance(100);
    const snapshot = cache.get(web.id);
    await fetcher.refresh(URI);
    timers.advance(100);
    expect(cache.get(web.id)).toBe(snapshot);
    runtime.stop();
  });

  it("a failing issuer never blocks the push: the rule fails closed and the failure is logged", async () => {
    const { issuer, fetcher, timers, cache, runtime, log } = setup();
    issuer.fail(BROKEN_URI);
    runtime.apply({ type: "ADDED", object: requestAuthentication("broken", BROKEN_URI) });
    await fetcher.idle();
    timers.advance(100);
    expect(inbound(cache)).toContain("jwt_authn");
    expect(inbound(cache)).toContain(failClosedKid);
    const warning = log.lines
      .map(l => JSON.parse(l))
      .find(l => l.msg.startsWith("JWKS fetch failed"));
    expect(warning).toMatchObject({
      level: "warn",
      jwksUri: BROKEN_URI,
      problem: "HTTP status 503",
      requestAuthentication: ["shop/broken"],
    });
    runtime.stop();
  });

  it("a JWKS source whose sync throws or rejects is logged, and the push still happens", () => {
    const rejecting = (f: JwksFetcher): JwksSource => ({
      lookup: f.lookup,
      onChange: l => f.onChange(l),
      sync: () => Promise.reject(new Error("resolver exploded")),
    });
    const { timers, cache, runtime, log } = setup(fakeIssuer(), rejecting);
    runtime.apply({ type: "ADDED", object: requestAuthentication("jwt", URI) });
    timers.advance(100);
    expect(inbound(cache)).toContain(failClosedKid);
    return Promise.resolve().then(() => {
      const line = log.lines
        .map(l => JSON.parse(l))
        .find(l => l.msg.startsWith("JWKS sync failed"));
      expect(line).toMatchObject({ level: "warn", err: "resolver exploded" });
      runtime.stop();
    });
  });

  it("counts fetches by result", async () => {
    const counts: string[] = [];
    const issuer = fakeIssuer();
    issuer.serve(URI, [k1]);
    issuer.fail(BROKEN_URI);
    const fetcher = new MeteredJwksFetcher(
      { fetch: issuer.fetch, resolve: async () => ["203.0.113.7"] },
      { inc: (labels: { result: string }) => void counts.push(labels.result) } as never,
    );
    await fetcher.sync([
      { namespace: "shop", name: "a", spec: { jwtRules: [{ issuer: "a", jwksUri: URI }] } },
      { namespace: "shop", name: "b", spec: { jwtRules: [{ issuer: "b", jwksUri: BROKEN_URI }] } },
    ]);
    // A second caller joining a fetch under way is not a second fetch.
    const first = fetcher.refresh(URI);
    const joined = fetcher.refresh(URI);
    await Promise.all([first, joined]);
    await new Promise(r => setImmediate(r));
    expect(counts.sort()).toEqual(["error", "ok", "ok"]);
  });
});
