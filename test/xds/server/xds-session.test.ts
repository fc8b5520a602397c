import { Registry } from "prom-client";
import { createSnapshot, type Snapshot } from "../../../xds/cache/snapshot";
import { SnapshotCache } from "../../../xds/cache/snapshot-cache";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import { TypeUrl, type XdsTypeUrl } from "../../../xds/encode/type-urls";
import type { DiscoveryRequest, ResponsePlan, SotwRequest } from "../../../xds/server/messages";
import { createXdsMetrics } from "../../../xds/server/metrics";
import { ProxyStatusRegistry, syncState } from "../../../xds/server/proxy-status";
import type { SessionLimits } from "../../../xds/server/stream-callbacks";
import { XdsSession, type SessionContext } from "../../../xds/server/xds-session";
import { clientListener, edsCluster, endpoints, weightedRoute } from "../../harness/xds-resources";

const node = {
  id: "sidecar~10.0.0.1~a.default~default.svc.cluster.local",
  cluster: "a",
  metadata: {},
  userAgent: "test",
};

function snapshot(
  weights = { a: 80, b: 20 },
  portsA = [9001],
  extra: ResourceObject[] = [],
): Snapshot {
  const result = createSnapshot([
    clientListener("svc:80", "route-80"),
    weightedRoute("route-80", "svc:80", weights),
    edsCluster("a"),
    edsCluster("b"),
    endpoints("a", portsA),
    endpoints("b", [9002]),
    ...extra,
  ]);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.value;
}

function setup(variant: "sotw" | "delta" = "sotw", limits?: SessionLimits) {
  const cache = new SnapshotCache();
  const registry = new Registry();
  const warnings: Record<string, unknown>[] = [];
  let clock = 1_000;
  let nonce = 0;
  const ctx: SessionContext = {
    cache,
    status: new ProxyStatusRegistry(),
    metrics: createXdsMetrics(registry),
    logger: {
      warn: fields => void warnings.push(fields),
      info: () => undefined,
      debug: () => undefined,
    },
    now: () => clock,
    nonce: () => `n${++nonce}`,
    connectionId: n => `${n.id}-1`,
    nodeKey: n => n.id,
    limits,
  };
  const sent: ResponsePlan[] = [];
  const failures: string[] = [];
  const session = new XdsSession(ctx, variant, {
    send: p => void sent.push(p),
    fail: (r, kind) => void failures.push(kind === "exhausted" ? `exhausted: ${r}` : r),
  });
  const sotw = (
    typeUrl: string,
    names: string[],
    nonce = "",
    errorDetail?: { code: number; message: string },
  ): DiscoveryRequest => ({
    variant: "sotw",
    node,
    typeUrl,
    versionInfo: "",
    names,
    nonce,
    errorDetail,
  });
  const names = (p: ResponsePlan | undefined) => p?.resources.map(r => r.name) ?? [];
  return {
    cache,
    registry,
    ctx,
    sent,
    failures,
    session,
    sotw,
    names,
    warnings,
    tick: (ms: number) => (clock += ms),
  };
}

describe("XdsSession (state of the world)", () => {
  it("answers initial requests, ACKs settle the type, and status shows SYNCED", () => {
    const t = setup();
    t.cache.set(node.id, snapshot());
    t.session.handle(t.sotw(TypeUrl.cluster, []));
    expect(t.sent).toHaveLength(1);
    expect(t.names(t.sent[0])).toEqual(["a", "b"]);
    t.session.handle(t.sotw(TypeUrl.cluster, [], "n1"));
    const status = t.session.connection!.types.get(TypeUrl.cluster);
    expect(syncState(status)).toBe("SYNCED");
    expect(t.sent).toHaveLength(1);
  });

  it("answers a reconnecting client's first requests, which carry another server's nonce and version", () => {
    const t = setup();
    const s = snapshot();
    t.cache.set(node.id, s);
    const reconnect = (typeUrl: XdsTypeUrl, names: string[]): SotwRequest => ({
      ...(t.sotw(typeUrl, names, "0b1c2d3e-12") as SotwRequest),
      versionInfo: s.versions.get(typeUrl)!, // what it ACKed before: the current version
    });
    t.session.handle(reconnect(TypeUrl.cluster, []));
    t.session.handle(reconnect(TypeUrl.endpoint, ["a", "b"]));
    expect(t.sent.map(p => [p.typeUrl, t.names(p)])).toEqual([
      [TypeUrl.cluster, ["a", "b"]],
      [TypeUrl.endpoint, ["a", "b"]],
    ]);
    // Once this stream has sent a response, that other nonce is stale again.
    t.session.handle(t.sotw(TypeUrl.cluster, ["a"], "0b1c2d3e-12"));
    expect(t.sent).toHaveLength(2);
    expect(t.session.connection!.types.get(TypeUrl.cluster)!.subscription.wildcard).toBe(true);
    t.session.handle(t.sotw(TypeUrl.cluster, [], "n1"));
    expect(syncState(t.session.connection!.types.get(TypeUrl.cluster))).toBe("SYNCED");
  });

  it("waits for a snapshot before answering", () => {
    const t = setup();
    t.session.handle(t.sotw(TypeUrl.listener, ["svc:80"]));
    expect(t.sent).toHaveLength(0);
    t.cache.set(node.id, snapshot());
    expect(t.names(t.sent[0])).toEqual(["svc:80"]);
  });

  it("pushes changed types in ADS order and nothing for unchanged ones", () => {
    const t = setup();
    t.cache.set(node.id, snapshot());
    // Subscribe in reverse order, ACK everything.
    for (const [typeUrl, names] of [
      [TypeUrl.route, ["route-80"]],
      [TypeUrl.listener, []],
      [TypeUrl.endpoint, ["a", "b"]],
      [TypeUrl.cluster, []],
    ] as const) {
      t.session.handle(t.sotw(typeUrl, [...names]));
      t.session.handle(t.sotw(typeUrl, [...names], t.sent.at(-1)!.nonce));
    }
    t.sent.length = 0;
    t.cache.set(
      node.id,
      snapshot({ a: 50, b: 50 }, [9001, 9003], [edsCluster("c"), endpoints("c", [9004])]),
    );
    expect(t.sent.map(p => p.typeUrl)).toEqual([TypeUrl.cluster, TypeUrl.endpoint, TypeUrl.route]);
    // CDS carries the full set; EDS only the changed name (b is unchanged, c is not subscribed).
    expect(t.names(t.sent[0])).toEqual(["a", "b", "c"]);
    expect(t.names(t.sent[1])).toEqual(["a"]);
  });

  it("an endpoint-only snapshot change pushes EDS alone", () => {
    const t = setup();
    t.cache.set(node.id, snapshot());
    for (const typeUrl of [TypeUrl.cluster, TypeUrl.listener]) {
      t.session.handle(t.sotw(typeUrl, []));
      t.session.handle(t.sotw(typeUrl, [], t.sent.at(-1)!.nonce));
    }
    for (const [typeUrl, names] of [
      [TypeUrl.endpoint, ["a", "b"]],
      [TypeUrl.route, ["route-80"]],
    ] as const) {
      t.session.handle(t.sotw(typeUrl, [...names]));
      t.session.handle(t.sotw(typeUrl, [...names], t.sent.at(-1)!.nonce));
    }
    t.sent.length = 0;
    t.cache.set(node.id, snapshot({ a: 80, b: 20 }, [9005]));
    expect(t.sent.map(p => p.typeUrl)).toEqual([TypeUrl.endpoint]);
  });

  it("keeps one unanswered response per type and coalesces changes until the ACK", () => {
    const t = setup();
    t.cache.set(node.id, snapshot());
    t.session.handle(t.sotw(TypeUrl.route, ["route-80"]));
    for (let w = 1; w <= 20; w++) t.cache.set(node.id, snapshot({ a: w, b: 100 - w }));
    for (let i = 0; i < 100; i++) t.session.handle(t.sotw(TypeUrl.route, ["route-80"])); // flood of re-requests
    expect(t.sent).toHaveLength(1);
    t.tick(250);
    t.session.handle(t.sotw(TypeUrl.route, ["route-80"], "n1"));
    expect(t.sent).toHaveLength(2);
    expect(t.sent[1]!.version).toBe(snapshot({ a: 20, b: 80 }).versions.get(TypeUrl.route));
  });

  it("holds a change's endpoints until its clusters can go out (ADS order across an unanswered CDS)", () => {
    const t = setup();
    t.cache.set(node.id, snapshot());
    t.session.handle(t.sotw(TypeUrl.cluster, []));
    t.session.handle(t.sotw(TypeUrl.cluster, [], "n1"));
    t.session.handle(t.sotw(TypeUrl.endpoint, ["a", "b"]));
    t.session.handle(t.sotw(TypeUrl.endpoint, ["a", "b"], "n2"));
    t.sent.length = 0;
    // Cluster c added: CDS goes out and stays unanswered.
    t.cache.set(node.id, snapshot(undefined, [9001], [edsCluster("c"), endpoints("c", [9004])]));
    expect(t.sent.map(p => p.typeUrl)).toEqual([TypeUrl.cluster]);
    // The next change touches clusters and endpoints: EDS must not overtake the held CDS.
    const next = snapshot(
      undefined,
      [9009],
      [edsCluster("c"), edsCluster("d"), endpoints("c", [9004]), endpoints("d", [9005])],
    );
    t.cache.set(node.id, next);
    expect(t.sent.map(p => p.typeUrl)).toEqual([TypeUrl.cluster]);
    t.session.handle(t.sotw(TypeUrl.cluster, [], t.sent[0]!.nonce));
    expect(t.sent.map(p => p.typeUrl)).toEqual([
      TypeUrl.cluster,
      TypeUrl.cluster,
      TypeUrl.endpoint,
    ]);
    expect(t.names(t.sent[1])).toEqual(["a", "b", "c", "d"]);
    expect(t.names(t.sent[2])).toEqual(["a"]);
    expect(t.sent[2]!.version).toBe(next.versions.get(TypeUrl.endpoint));
  });

  it("does not hold an endpoint-only change behind an unanswered CDS that has nothing new", () => {
    const t = setup();
    t.cache.set(node.id, snapshot());
    t.session.handle(t.sotw(TypeUrl.cluster, []));
    t.session.handle(t.sotw(TypeUrl.cluster, [], "n1"));
    t.session.handle(t.sotw(TypeUrl.endpoint, ["a", "b"]));
    t.session.handle(t.sotw(TypeUrl.endpoint, ["a", "b"], "n2"));
    t.sent.length = 0;
    t.cache.set(node.id, snapshot(undefined, [9001], [edsCluster("c"), endpoints("c", [9004])]));
    t.cache.set(node.id, snapshot(undefined, [9009], [edsCluster("c"), endpoints("c", [9004])]));
    expect(t.sent.map(p => p.typeUrl)).toEqual([TypeUrl.cluster, TypeUrl.endpoint]);
  });

  it("ignores stale nonces", () => {
    const t = setup();
    t.cache.set(node.id, snapshot());
    t.session.handle(t.sotw(TypeUrl.route, ["route-80"]));
    t.session.handle(t.sotw(TypeUrl.route, ["route-80"], "n1"));
    t.cache.set(node.id, snapshot({ a: 1, b: 99 }));
    expect(t.sent).toHaveLength(2);
    t.session.handle(
      t.sotw(TypeUrl.route, ["route-80"], "n1", { code: 3, message: "late NACK of n1" }),
    );
    expect(t.warnings).toHaveLength(0);
    expect(syncState(t.session.connection!.types.get(TypeUrl.route))).toBe("STALE");
  });

  it("records a NACK per proxy and type, logs it as a warning and counts it", async () => {
    const t = setup();
    t.cache.set(node.id, snapshot());
    t.session.handle(t.sotw(TypeUrl.route, ["route-80"]));
    t.session.handle(
      t.sotw(TypeUrl.route, ["route-80"], "n1", { code: 3, message: "weights sum to 0" }),
    );
    const status = t.session.connection!.types.get(TypeUrl.route)!;
    expect(syncState(status)).toBe("NACKED");
    expect(status.lastNack).toMatchObject({
      nonce: "n1",
      errorDetail: { message: "weights sum to 0" },
    });
    expect(status.resources.get("route-80")!.state).toBe("nacked");
    expect(t.warnings).toEqual([
      expect.objectContaining({
        proxy: node.id,
        type: "RDS",
        error_detail: { code: 3, message: "weights sum to 0" },
      }),
    ]);
    expect(await t.registry.getSingleMetricAsString("rigging_xds_nacks_total")).toContain(
      'rigging_xds_nacks_total{type="RDS"} 1',
    );
  });

  it("forgets resources the proxy unsubscribes from", () => {
    const t = setup();
    t.cache.set(node.id, snapshot());
    t.session.handle(t.sotw(TypeUrl.endpoint, ["a", "b"]));
    t.session.handle(t.sotw(TypeUrl.endpoint, ["a"], "n1"));
    expect([...t.session.connection!.types.get(TypeUrl.endpoint)!.resources.keys()]).toEqual(["a"]);
    t.sent.length = 0;
    t.cache.set(node.id, snapshot({ a: 80, b: 20 }, [9001], []));
    t.session.handle(t.sotw(TypeUrl.endpoint, ["a", "b"], "n1"));
    // b was forgotten, so re-subscribing sends it again.
    expect(t.names(t.sent[0])).toEqual(["a", "b"]);
  });

  it("fails a stream whose first request has no node, and drops its status on close", () => {
    const t = setup();
    t.session.handle({ ...t.sotw(TypeUrl.cluster, []), node: undefined });
    expect(t.failures).toEqual([expect.stringMatching(/no-node/)]);
    const ok = setup();
    ok.session.handle(ok.sotw(TypeUrl.cluster, []));
    expect(ok.ctx.status.size).toBe(1);
    ok.session.close();
    expect(ok.ctx.status.size).toBe(0);
    expect(ok.cache.watcherCount()).toBe(0);
  });

  it("observes push latency and convergence", async () => {
    const t = setup();
    t.cache.set(node.id, snapshot());
    t.session.handle(t.sotw(TypeUrl.route, ["route-80"]));
    t.tick(30);
    t.session.handle(t.sotw(TypeUrl.route, ["route-80"], "n1"));
    const text = await t.registry.metrics();
    expect(text).toContain('rigging_xds_convergence_seconds_sum{type="RDS"} 0.03');
    expect(text).toContain('rigging_xds_pushes_total{type="RDS"} 1');
    expect(text).toContain("rigging_xds_connected_proxies 1");
  });
});

describe("XdsSession (delta)", () => {
  const delta = (
    typeUrl: string,
    subscribe: string[],
    unsubscribe: string[] = [],
    nonce = "",
    initialVersions = {},
  ): DiscoveryRequest => ({
    variant: "delta",
    node,
    typeUrl,
    subscribe,
    unsubscribe,
    initialVersions,
    nonce,
  });

  it("sends only what changed, and removals", () => {
    const t = setup("delta");
    t.cache.set(
      node.id,
      snapshot({ a: 80, b: 20 }, [9001], [edsCluster("c"), endpoints("c", [1])]),
    );
    t.session.handle(delta(TypeUrl.cluster, ["*"]));
    expect(t.names(t.sent[0])).toEqual(["a", "b", "c"]);
    t.session.handle(delta(TypeUrl.cluster, [], [], "n1"));
    t.cache.set(node.id, snapshot());
    expect(t.sent[1]).toMatchObject({ resources: [], removed: ["c"] });
  });

  it("does not resend what a reconnecting client reports it has", () => {
    const t = setup("delta");
    const s = snapshot();
    t.cache.set(node.id, s);
    const have = Object.fromEntries(
      [...s.resources.get(TypeUrl.cluster)!].map(([n, r]) => [n, r.version]),
    );
    t.session.handle(delta(TypeUrl.cluster, ["*"], [], "", { ...have, gone: "v0" }));
    expect(t.sent[0]).toMatchObject({ resources: [], removed: ["gone"] });
  });

  it("on reconnect by name, sends what changed and removes held names that do not exist", () => {
    const t = setup("delta");
    const s = snapshot();
    t.cache.set(node.id, s);
    const version = (name: string) => s.resources.get(TypeUrl.endpoint)!.get(name)!.version;
    // The client holds a current, an outdated and a vanished resource, and names a foreign nonce.
    t.session.handle(
      delta(TypeUrl.endpoint, ["a", "b", "gone"], [], "0b1c2d3e-5", {
        a: version("a"),
        b: "outdated",
        gone: "v0",
        "never-existed": "v1",
      }),
    );
    expect(t.failures).toEqual([]);
    expect(t.sent).toHaveLength(1);
    expect(t.names(t.sent[0])).toEqual(["b"]);
    expect([...t.sent[0]!.removed].sort()).toEqual(["gone", "never-existed"]);
    const status = t.session.connection!.types.get(TypeUrl.endpoint)!;
    expect([...status.subscription.names].sort()).toEqual(["a", "b", "gone", "never-existed"]);
    expect([...status.resources.keys()].sort()).toEqual(["a", "b"]);
  });
});

describe("XdsSession bounds per client", () => {
  const limits = { maxStreamsPerNode: 2, requestBurst: 10, requestsPerSecond: 5 };

  it("fails a stream that sends more requests than its token bucket allows", () => {
    const t = setup("sotw", limits);
    t.cache.set(node.id, snapshot());
    const request = () => t.session.handle(t.sotw(TypeUrl.route, ["route-80"]));
    for (let i = 0; i < 10; i++) request();
    t.tick(1_000); // refills 5
    for (let i = 0; i < 5; i++) request();
    expect(t.failures).toEqual([]);
    request();
    expect(t.failures).toEqual([expect.stringMatching(/^exhausted: rate-limited: more than 10/)]);
    expect(t.ctx.status.size).toBe(0);
    request(); // a closed session stays quiet
    expect(t.failures).toHaveLength(1);
  });

  it("refuses a node's stream beyond maxStreamsPerNode, and admits one again after a close", () => {
    const t = setup("sotw", limits);
    t.cache.set(node.id, snapshot());
    const failures: string[] = [];
    let streams = 1;
    const ctx = { ...t.ctx, connectionId: (n: { id: string }) => `${n.id}-${++streams}` };
    const open = () => {
      const s = new XdsSession(ctx, "sotw", {
        send: () => undefined,
        fail: (r, kind) => void failures.push(`${kind}: ${r}`),
      });
      s.handle(t.sotw(TypeUrl.cluster, []));
      return s;
    };
    t.session.handle(t.sotw(TypeUrl.cluster, []));
    const second = open();
    open();
    expect(failures).toEqual([
      expect.stringMatching(/^exhausted: too-many-streams: node sidecar~/),
    ]);
    expect(t.ctx.status.countNode(node.id)).toBe(2);
    second.close();
    open();
    expect(failures).toHaveLength(1);
    expect(t.ctx.status.countNode(node.id)).toBe(2);
  });
});
