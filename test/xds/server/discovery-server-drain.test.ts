/**
 * `DiscoveryServer.drain`: what a replica that lost the API server does so that its proxies
 * reconnect elsewhere. Over real gRPC on 127.0.0.1: streams end, and the server still listens.
 */
import { Registry } from "prom-client";
import { createSnapshot } from "../../../xds/cache/snapshot";
import { SnapshotCache } from "../../../xds/cache/snapshot-cache";
import { TypeUrl } from "../../../xds/encode/type-urls";
import { DiscoveryServer } from "../../../xds/server/discovery-server";
import { clientListener, rootCaSecret, weightedRoute } from "../../harness/xds-resources";
import { SotwTestClient } from "../../harness/xds-sotw-client";

const quiet = { warn: () => undefined, info: () => undefined, debug: () => undefined };

describe("DiscoveryServer.drain", () => {
  let server: DiscoveryServer;
  const clients: SotwTestClient[] = [];

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.stop(100);
  });

  it("ends every stream so the proxy reconnects, and keeps serving new ones", async () => {
    const snapshot = createSnapshot([
      clientListener("svc:80", "route-80"),
      weightedRoute("route-80", "svc:80", {}),
      rootCaSecret("ROOTCA", "-----BEGIN CERTIFICATE-----"),
    ]);
    if (!snapshot.ok) throw new Error(snapshot.errors.join("\n"));
    const cache = new SnapshotCache();
    cache.set("n", snapshot.value);
    server = new DiscoveryServer({ cache, registry: new Registry(), logger: quiet });
    const port = await server.listen("127.0.0.1:0");

    const first = new SotwTestClient(port, { nodeId: "n" });
    clients.push(first);
    first.subscribe(TypeUrl.listener, []);
    await first.waitFor(() => first.acked.has(TypeUrl.listener), 5_000, "the first listeners");
    expect(server.openStreams()).toBe(1);

    server.drain(200);
    await first.waitFor(() => first.ended !== undefined, 5_000, "the drained stream to end");
    expect(server.status.byNode("n")).toEqual([]);
    expect(server.openStreams()).toBe(0);

    const second = new SotwTestClient(port, { nodeId: "n" });
    clients.push(second);
    second.subscribe(TypeUrl.listener, []);
    await second.waitFor(
      () => second.acked.has(TypeUrl.listener),
      5_000,
      "listeners after the drain",
    );
    expect(second.acked.get(TypeUrl.listener)).toBe(first.acked.get(TypeUrl.listener));
    expect(server.openStreams()).toBe(1);
  });
});
