/**
 * A proxy that stops reading its stream, over real HTTP/2 on 127.0.0.1: the server's writes to
 * it back up, and per-type flow control keeps what it holds for that proxy at one response per
 * type however many changes follow, while a healthy proxy on the same server converges. When
 * the stuck proxy's connection goes, so does everything held for it.
 */
import { Registry } from "prom-client";
import { createSnapshot, type Snapshot } from "../../../xds/cache/snapshot";
import { SnapshotCache } from "../../../xds/cache/snapshot-cache";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import { ADS_ORDER, TypeUrl, type XdsTypeUrl } from "../../../xds/encode/type-urls";
import { DiscoveryServer } from "../../../xds/server/discovery-server";
import {
  clientListener,
  edsCluster,
  endpoints,
  rootCaSecret,
  weightedRoute,
} from "../../harness/xds-resources";
import { SotwTestClient } from "../../harness/xds-sotw-client";
import { StalledReader } from "../../harness/xds-stalled-reader";
import { until } from "../../harness/poll";

const quiet = { warn: () => undefined, info: () => undefined, debug: () => undefined };
const CLUSTERS = ["a", "b", "c", "d", "e", "f"];

/** A mesh whose every type changes with `generation`, each response well over 256 bytes. */
function mesh(generation: number): Snapshot {
  const objects: ResourceObject[] = [
    clientListener("svc:80", "route-80"),
    weightedRoute("route-80", "svc:80", { a: 1 + (generation % 90), b: 10 }),
    rootCaSecret("ROOTCA", `-----BEGIN CERTIFICATE-----${generation}`),
  ];
  for (const [i, c] of CLUSTERS.entries()) {
    objects.push(
      { ...edsCluster(c), connect_timeout: { seconds: 1 + generation } },
      endpoints(c, [9000 + generation, 10_000 + i]),
    );
  }
  const result = createSnapshot(objects);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.value;
}

const subscriptions = new Map<XdsTypeUrl, string[]>([
  [TypeUrl.cluster, []],
  [TypeUrl.endpoint, CLUSTERS],
  [TypeUrl.listener, []],
  [TypeUrl.route, ["route-80"]],
  [TypeUrl.secret, ["ROOTCA"]],
]);

describe("DiscoveryServer with a client that never reads", () => {
  let server: DiscoveryServer;
  const closers: { close(): void }[] = [];

  afterEach(async () => {
    for (const c of closers.splice(0)) c.close();
    await server.stop(100);
  });

  it("holds at most one response per type for it across 30 changes, and nothing once it is gone", async () => {
    const cache = new SnapshotCache();
    let snapshot = mesh(0);
    for (const id of ["stuck", "healthy"]) cache.set(id, snapshot);
    server = new DiscoveryServer({ cache, registry: new Registry(), logger: quiet });
    const port = await server.listen("127.0.0.1:0");

    const stuck = new StalledReader({ port, nodeId: "stuck", subscriptions, windowBytes: 256 });
    closers.push(stuck);
    const stuckStatus = () => server.status.byNode("stuck")[0];
    // Every type was answered, and the 256-byte window left responses in the server's buffer.
    await until(
      "a response of every type to the stalled reader",
      () => ADS_ORDER.every(t => stuckStatus()?.type(t).lastSent !== undefined),
      5_000,
    );
    await until(
      "the stalled reader's writes to back up",
      () => server.writeBacklog().messages > 0,
      5_000,
    );
    const backlog = server.writeBacklog();
    expect(backlog.streams).toBe(1);
    expect(backlog.messages).toBeLessThanOrEqual(ADS_ORDER.length);
    const sentBefore = ADS_ORDER.map(t => stuckStatus()!.type(t).lastSent!.nonce);

    const healthy = new SotwTestClient(port, { nodeId: "healthy" });
    closers.push(healthy);
    for (const [typeUrl, names] of subscriptions) healthy.subscribe(typeUrl, names);
    await healthy.waitFor(() => healthy.acked.size === ADS_ORDER.length, 5_000, "healthy ACKs");

    for (let generation = 1; generation <= 30; generation++) {
      snapshot = mesh(generation);
      for (const id of ["stuck", "healthy"]) cache.set(id, snapshot);
      await new Promise(r => setImmediate(r));
    }
    await healthy.waitFor(
      () => ADS_ORDER.every(t => healthy.acked.get(t) === snapshot.versions.get(t)),
      5_000,
      "the healthy client to ACK the last version of every type",
    );
    // Nothing more was sent to the stuck client, and its backlog did not grow.
    expect(ADS_ORDER.map(t => stuckStatus()!.type(t).lastSent!.nonce)).toEqual(sentBefore);
    expect(server.writeBacklog()).toEqual(backlog);

    stuck.close();
    await until(
      "the stuck status to drop",
      () => server.status.byNode("stuck").length === 0,
      5_000,
    );
    await until(
      "the stuck stream's buffer to go",
      () => server.writeBacklog().streams === 0,
      5_000,
    );
    expect(server.status.byNode("healthy")).toHaveLength(1);
  });
});
