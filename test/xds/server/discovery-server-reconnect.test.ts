/**
 * Clients reconnecting to a restarted control plane, over real gRPC on 127.0.0.1: the server is
 * stopped and a new DiscoveryServer instance, with its own cache rebuilt from config, listens on
 * the same port. Envoy and Istio's adsc carry their last nonce and `version_info` (SotW), or
 * their resources' versions in `initial_resource_versions` (Delta), onto the new stream; they
 * must be configured again, and a Delta client must get only what changed while it was away.
 * grpc-js-xds starts each stream afresh and must follow a change made during the outage.
 */
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { Registry } from "prom-client";
import { createSnapshot, type Snapshot } from "../../../xds/cache/snapshot";
import { SnapshotCache } from "../../../xds/cache/snapshot-cache";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import { ADS_ORDER, TypeUrl, type XdsTypeUrl } from "../../../xds/encode/type-urls";
import { DiscoveryServer } from "../../../xds/server/discovery-server";
import { syncState } from "../../../xds/server/proxy-status";
import { bootstrapOptions } from "../../harness/xds-bootstrap";
import { DeltaTestClient } from "../../harness/xds-delta-client";
import { callEcho, startEchoBackend } from "../../harness/xds-echo";
import {
  clientListener,
  edsCluster,
  endpoints,
  rootCaSecret,
  weightedRoute,
} from "../../harness/xds-resources";
import { SotwTestClient } from "../../harness/xds-sotw-client";
import { until } from "../../harness/poll";

jest.setTimeout(60_000);

const quiet = { warn: () => undefined, info: () => undefined, debug: () => undefined };

/** A mesh of one listener and route over `clusters` (name → endpoint ports), plus ROOTCA. */
function mesh(
  clusters: Readonly<Record<string, number[]>>,
  weights: Readonly<Record<string, number>>,
  target = "svc:80",
): Snapshot {
  const objects: ResourceObject[] = [
    clientListener(target, "route-80"),
    weightedRoute("route-80", target, weights),
    rootCaSecret("ROOTCA", "-----BEGIN CERTIFICATE-----"),
  ];
  for (const [name, ports] of Object.entries(clusters))
    objects.push(edsCluster(name), endpoints(name, ports));
  const result = createSnapshot(objects);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.value;
}

/** name → version of every resource of the type. */
const versionsOf = (s: Snapshot, typeUrl: XdsTypeUrl): Map<string, string> =>
  new Map([...(s.resources.get(typeUrl)?.values() ?? [])].map(r => [r.name, r.version]));

/** What a client subscribes per type: LDS and CDS by wildcard, the rest by name. */
const wanted = (s: Snapshot, typeUrl: XdsTypeUrl): string[] =>
  typeUrl === TypeUrl.listener || typeUrl === TypeUrl.cluster
    ? []
    : [...versionsOf(s, typeUrl).keys()].sort();

describe("clients reconnecting to a restarted control plane", () => {
  let server: DiscoveryServer;
  let port = 0;
  const closers: (() => void)[] = [];
  const track = <C extends { close(): void }>(c: C): C => (closers.push(() => c.close()), c);

  /** A new server instance with a new cache holding `content`, on `port` (0 the first time). */
  async function start(content: Readonly<Record<string, Snapshot>>): Promise<void> {
    const cache = new SnapshotCache();
    for (const [node, snapshot] of Object.entries(content)) cache.set(node, snapshot);
    server = new DiscoveryServer({ cache, registry: new Registry(), logger: quiet });
    port = await server.listen(`127.0.0.1:${port}`);
  }

  async function restart(content: Readonly<Record<string, Snapshot>>): Promise<void> {
    await server.stop(100);
    await start(content);
  }

  /** Resolves when the server shows every type of `node`'s stream SYNCED. */
  const synced = (node: string, types: readonly XdsTypeUrl[] = ADS_ORDER) =>
    until(
      `${node} SYNCED on the new server`,
      () => {
        const connection = server.status.byNode(node)[0];
        return !!connection && types.every(t => syncState(connection.types.get(t)) === "SYNCED");
      },
      20_000,
    );

  beforeEach(() => {
    port = 0;
  });

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) close(); // last opened, first closed
    await server.stop(100);
  });

  it("a SotW client carrying its last nonces and versions (Envoy, adsc) is configured again", async () => {
    const content = () => mesh({ a: [9001], b: [9002] }, { a: 70, b: 30 });
    await start({ n: content() });
    const s = content();
    const before = track(new SotwTestClient(port, { nodeId: "n" }));
    for (const t of ADS_ORDER) before.subscribe(t, wanted(s, t));
    await before.waitFor(() => before.acked.size === ADS_ORDER.length, 5_000, "first ACKs");
    const carried = before.carry();
    for (const t of ADS_ORDER) expect(carried.nonces.get(t)).toMatch(/.+-\d+$/);

    await restart({ n: content() }); // same config, rebuilt by a new instance
    await before.waitFor(() => before.ended !== undefined, 5_000, "old stream ended");
    const after = track(new SotwTestClient(port, { nodeId: "n", resume: carried }));
    // Its first request per type names the old instance's nonce and the current version.
    for (const t of ADS_ORDER) after.subscribe(t, wanted(s, t));
    await after.waitFor(
      () => ADS_ORDER.every(t => after.responses.some(r => r.typeUrl === t)),
      5_000,
      "an answer for every type on the new stream",
    );
    await synced("n");

    for (const t of ADS_ORDER) {
      const answer = after.responses.find(r => r.typeUrl === t)!;
      expect(answer.version).toBe(carried.acked.get(t));
      expect([...answer.names].sort()).toEqual([...versionsOf(s, t).keys()].sort());
      expect(answer.nonce).not.toBe(carried.nonces.get(t));
    }
    expect(after.ended).toBeUndefined();
  });

  it("a Delta client reconnecting with initial_resource_versions gets only what changed, and removals", async () => {
    const old = mesh({ a: [9001], b: [9002], c: [9003] }, { a: 50, b: 30, c: 20 });
    // While the control plane was down: c went away, b's endpoint and the weights changed.
    const next = mesh({ a: [9001], b: [9012] }, { a: 70, b: 30 });
    await start({ n: old });
    const first = track(new DeltaTestClient(port, "n"));
    const names = (t: XdsTypeUrl) => (wanted(old, t).length === 0 ? ["*"] : wanted(old, t));
    for (const t of ADS_ORDER) first.update(t, names(t));
    const holds = (c: DeltaTestClient, s: Snapshot) => () =>
      ADS_ORDER.every(t => {
        const held = c.state.get(t);
        const want = versionsOf(s, t);
        return held?.size === want.size && [...want].every(([n, v]) => held.get(n) === v);
      });
    await first.waitFor(holds(first, old), 5_000, "first configuration");

    const held = new Map(ADS_ORDER.map(t => [t, new Map(first.state.get(t))]));
    const nonces = new Map(ADS_ORDER.map(t => [t, first.lastNonce(t)]));
    // Bad input: a version for a cluster that never existed on any server.
    held.get(TypeUrl.cluster)!.set("ghost", "v0");

    await restart({ n: next });
    const second = track(new DeltaTestClient(port, "n"));
    for (const t of ADS_ORDER) second.resume(t, names(t), held.get(t)!, nonces.get(t)!);
    await second.waitFor(holds(second, next), 5_000, "configuration after the restart");
    await synced("n");

    const added = second.responses.flatMap(r => r.added.map(a => ({ typeUrl: r.typeUrl, ...a })));
    // Nothing whose version the client reported is sent again …
    expect(added.filter(a => held.get(a.typeUrl as XdsTypeUrl)?.get(a.name) === a.version)).toEqual(
      [],
    );
    // … exactly the changed ones are, …
    expect(added.map(a => [a.typeUrl, a.name]).sort()).toEqual(
      [
        [TypeUrl.endpoint, "b"],
        [TypeUrl.route, "route-80"],
      ].sort(),
    );
    // … and what it holds that no longer exists is removed, the never-existing one included.
    const removed = second.responses.flatMap(r => r.removed.map(n => [r.typeUrl, n]));
    expect(removed.sort()).toEqual(
      [
        [TypeUrl.cluster, "c"],
        [TypeUrl.cluster, "ghost"],
        [TypeUrl.endpoint, "c"],
      ].sort(),
    );
    // Every type was answered, so the client knows the new server has its state.
    expect(new Set(second.responses.map(r => r.typeUrl))).toEqual(new Set(ADS_ORDER));
  });

  it("a grpc-js-xds client (fresh streams, no nonces) follows a change made while the control plane was down", async () => {
    grpcXds.register();
    const target = "echo.default.svc.cluster.local:80";
    const node = "client~127.0.0.1~echo-client.default~default.svc.cluster.local";
    const a = await startEchoBackend("a");
    const b = await startEchoBackend("b");
    closers.push(a.stop, b.stop);
    // The change moves the cluster's endpoint from backend a to b (EDS): a route that dropped a
    // cluster leaves grpc-js-xds a 10 s failover timer for it that outlives the closed channel.
    const to = (port: number) => mesh({ echo: [port] }, { echo: 100 }, target);
    await start({ [node]: to(a.port) });
    const client = track(
      new grpc.Client(`xds:///${target}`, grpc.credentials.createInsecure(), {
        ...bootstrapOptions(port, node),
      }),
    );
    expect(await callEcho(client)).toBe("a");

    const xdsTypes = [TypeUrl.cluster, TypeUrl.endpoint, TypeUrl.listener, TypeUrl.route];
    await restart({ [node]: to(b.port) });
    await synced(node, xdsTypes);
    await until(
      "traffic on the new endpoint",
      async () => (await callEcho(client)) === "b",
      10_000,
    );
  });
});
