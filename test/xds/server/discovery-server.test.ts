/**
 * The discovery server over real gRPC on 127.0.0.1, driven by the minimal SotW and Delta test
 * clients: same state in both variants (with removals), CSDS, per-type services, restart, and
 * misbehaving clients.
 */
import * as grpc from "@grpc/grpc-js";
import { Registry } from "prom-client";
import { createSnapshot, type Snapshot } from "../../../xds/cache/snapshot";
import { SnapshotCache } from "../../../xds/cache/snapshot-cache";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import { messageType } from "../../../xds/encode/proto-root";
import { ADS_ORDER, TypeUrl } from "../../../xds/encode/type-urls";
import { DiscoveryServer } from "../../../xds/server/discovery-server";
import { DeltaTestClient } from "../../harness/xds-delta-client";
import {
  clientListener,
  edsCluster,
  endpoints,
  rootCaSecret,
  weightedRoute,
} from "../../harness/xds-resources";
import { SotwTestClient } from "../../harness/xds-sotw-client";

const quiet = { warn: () => undefined, info: () => undefined, debug: () => undefined };

function mesh(clusters: string[], weights: Record<string, number>): Snapshot {
  const objects: ResourceObject[] = [
    clientListener("svc:80", "route-80"),
    weightedRoute("route-80", "svc:80", weights),
    rootCaSecret("ROOTCA", "-----BEGIN CERTIFICATE-----"),
  ];
  clusters.forEach((c, i) => objects.push(edsCluster(c), endpoints(c, [9000 + i])));
  const result = createSnapshot(objects);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.value;
}

const allNames = (s: Snapshot, typeUrl: string) =>
  [...(s.resources.get(typeUrl as never)?.keys() ?? [])].sort();

describe("DiscoveryServer over gRPC", () => {
  let cache: SnapshotCache;
  let server: DiscoveryServer;
  let port: number;
  const clients: { close(): void }[] = [];
  const track = <C extends { close(): void }>(c: C): C => (clients.push(c), c);

  beforeEach(async () => {
    cache = new SnapshotCache();
    server = new DiscoveryServer({ cache, registry: new Registry(), logger: quiet });
    port = await server.listen("127.0.0.1:0");
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await server.stop(100);
  });

  function subscribeAll(client: SotwTestClient | DeltaTestClient, s: Snapshot): void {
    for (const typeUrl of ADS_ORDER) {
      const names =
        typeUrl === TypeUrl.listener || typeUrl === TypeUrl.cluster ? [] : allNames(s, typeUrl);
      if (client instanceof SotwTestClient) client.subscribe(typeUrl, names);
      else client.update(typeUrl, names.length === 0 ? ["*"] : names);
    }
  }

  it("Delta carries the same state as SotW, including removals", async () => {
    const first = mesh(["a", "b", "c"], { a: 50, b: 30, c: 20 });
    cache.set("sotw", first);
    cache.set("delta", first);
    const sotw = track(new SotwTestClient(port, { nodeId: "sotw" }));
    const delta = track(new DeltaTestClient(port, "delta"));
    subscribeAll(sotw, first);
    subscribeAll(delta, first);
    const view = (state: Map<string, Map<string, string>>) =>
      Object.fromEntries(ADS_ORDER.map(t => [t, [...(state.get(t)?.keys() ?? [])].sort()]));
    const expected = Object.fromEntries(ADS_ORDER.map(t => [t, allNames(first, t)]));
    await sotw.waitFor(
      () => JSON.stringify(view(sotw.state)) === JSON.stringify(expected),
      5_000,
      "SotW state",
    );
    await delta.waitFor(
      () => JSON.stringify(view(delta.state)) === JSON.stringify(expected),
      5_000,
      "Delta state",
    );

    // Remove cluster c (and its endpoints) and change weights.
    const second = mesh(["a", "b"], { a: 60, b: 40 });
    cache.set("sotw", second);
    cache.set("delta", second);
    await delta.waitFor(
      () => !delta.state.get(TypeUrl.cluster)?.has("c"),
      5_000,
      "Delta removal of c",
    );
    await sotw.waitFor(
      () => !sotw.state.get(TypeUrl.cluster)?.has("c"),
      5_000,
      "SotW removal of c",
    );
    expect(
      delta.responses.some(r => r.typeUrl === TypeUrl.cluster && r.removed.includes("c")),
    ).toBe(true);
    for (const typeUrl of [TypeUrl.cluster, TypeUrl.listener, TypeUrl.route]) {
      expect([...delta.state.get(typeUrl)!.keys()].sort()).toEqual(
        [...sotw.state.get(typeUrl)!.keys()].sort(),
      );
    }
    // The bytes the Delta client holds are the snapshot's bytes.
    const route = second.resources.get(TypeUrl.route)!.get("route-80")!;
    await delta.waitFor(
      () => delta.state.get(TypeUrl.route)?.get("route-80") === route.version,
      5_000,
      "new route",
    );
    expect(Buffer.from(delta.values.get(TypeUrl.route)!.get("route-80")!)).toEqual(
      Buffer.from(route.value),
    );
  });

  it("serves CSDS: what each proxy was sent, ACKed and NACKed", async () => {
    const s = mesh(["a", "b"], { a: 50, b: 50 });
    cache.set("good", s);
    cache.set("bad", s);
    const good = track(new SotwTestClient(port, { nodeId: "good" }));
    const bad = track(
      new SotwTestClient(port, {
        nodeId: "bad",
        answer: r => (r.typeUrl === TypeUrl.route ? { nack: "route-80: weights sum to 0" } : "ack"),
      }),
    );
    for (const c of [good, bad]) c.subscribe(TypeUrl.route, ["route-80"]);
    await good.waitFor(() => good.acked.has(TypeUrl.route));
    await bad.waitFor(
      () => server.status.byNode("bad")[0]?.types.get(TypeUrl.route)?.lastNack !== undefined,
    );

    const client = track(new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
    const reqType = messageType("envoy.service.status.v3.ClientStatusRequest");
    const resType = messageType("envoy.service.status.v3.ClientStatusResponse");
    const request = Buffer.from(
      reqType
        .encode(reqType.fromObject({ node_matchers: [{ node_id: { exact: "bad" } }] }))
        .finish(),
    );
    const bytes = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest(
        "/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus",
        (b: Buffer) => b,
        (b: Buffer) => b,
        request,
        (err: grpc.ServiceError | null, value?: Buffer) => (err ? reject(err) : resolve(value!)),
      ),
    );
    const response = resType.toObject(resType.decode(bytes), { enums: String, json: true }) as {
      config: { node: { id: string }; generic_xds_configs: Record<string, unknown>[] }[];
    };
    expect(response.config.map(c => c.node.id)).toEqual(["bad"]);
    expect(response.config[0]!.generic_xds_configs).toEqual([
      expect.objectContaining({
        type_url: TypeUrl.route,
        name: "route-80",
        config_status: "ERROR",
        client_status: "NACKED",
        error_state: expect.objectContaining({ details: "route-80: weights sum to 0" }),
        xds_config: expect.objectContaining({ "@type": TypeUrl.route, name: "route-80" }),
      }),
    ]);
  });

  it("serves the per-type services (stream and fetch)", async () => {
    const s = mesh(["a"], { a: 100 });
    cache.set("n", s);
    const client = track(new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()));
    const reqType = messageType("envoy.service.discovery.v3.DiscoveryRequest");
    const resType = messageType("envoy.service.discovery.v3.DiscoveryResponse");
    const request = Buffer.from(
      reqType.encode({ node: { id: "n" }, resource_names: ["a"] }).finish(),
    );
    const bytes = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest(
        "/envoy.service.endpoint.v3.EndpointDiscoveryService/FetchEndpoints",
        (b: Buffer) => b,
        (b: Buffer) => b,
        request,
        (err: grpc.ServiceError | null, value?: Buffer) => (err ? reject(err) : resolve(value!)),
      ),
    );
    const response = resType.decode(bytes) as unknown as {
      type_url: string;
      resources: unknown[];
      version_info: string;
    };
    expect(response.type_url).toBe(TypeUrl.endpoint);
    expect(response.resources).toHaveLength(1);
    expect(response.version_info).toBe(s.versions.get(TypeUrl.endpoint));

    const stream = client.makeBidiStreamRequest(
      "/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters",
      (b: Buffer) => b,
      (b: Buffer) => b,
    );
    stream.on("error", () => undefined); // cancelled below
    const got = new Promise<{ type_url: string; resources: unknown[] }>(resolve =>
      stream.once("data", (b: Buffer) => resolve(resType.decode(b) as never)),
    );
    stream.write(Buffer.from(reqType.encode({ node: { id: "n" } }).finish())); // type_url omitted on a per-type stream
    expect(await got).toMatchObject({ type_url: TypeUrl.cluster, resources: [expect.anything()] });
    stream.cancel();
  });

  it("survives garbage, mid-push disconnects and clients that never ACK, without blocking others", async () => {
    const s = mesh(["a", "b"], { a: 50, b: 50 });
    for (const id of ["garbage", "silent", "quitter", "healthy"]) cache.set(id, s);

    const garbage = track(new SotwTestClient(port, { nodeId: "garbage" }));
    garbage.writeRaw(Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]));
    await garbage.waitFor(() => garbage.ended !== undefined, 5_000, "garbage stream to fail");
    expect(garbage.ended).not.toBe(grpc.status.OK);

    const silent = track(new SotwTestClient(port, { nodeId: "silent", answer: "none" }));
    subscribeAll(silent, s);
    const quitter = track(new SotwTestClient(port, { nodeId: "quitter", answer: "none" }));
    subscribeAll(quitter, s);
    await quitter.waitFor(() => quitter.responses.length > 0);
    quitter.close(); // disconnects with responses unanswered

    const healthy = track(new SotwTestClient(port, { nodeId: "healthy" }));
    subscribeAll(healthy, s);
    await healthy.waitFor(() => healthy.acked.size === ADS_ORDER.length, 5_000, "healthy ACKs");

    // A burst of changes: the silent client gets nothing more (one unanswered response per
    // type), the healthy one converges to the last.
    let last = s;
    for (let i = 1; i <= 30; i++) {
      last = mesh(["a", "b"], { a: i, b: 100 - i });
      for (const id of ["silent", "quitter", "healthy"]) cache.set(id, last);
    }
    await healthy.waitFor(
      () => healthy.acked.get(TypeUrl.route) === last.versions.get(TypeUrl.route),
      5_000,
      "healthy converges",
    );
    expect(silent.responses.filter(r => r.typeUrl === TypeUrl.route)).toHaveLength(1);
    await healthy.waitFor(
      () => server.status.byNode("quitter").length === 0,
      5_000,
      "quitter status dropped",
    );
    expect(server.status.byNode("garbage")).toHaveLength(0);
    expect(await server.metrics.connectedProxies.get().then(m => m.values[0]?.value)).toBe(2);
  });

  it("ends a client over its bounds with RESOURCE_EXHAUSTED, leaving the node's other stream alone", async () => {
    const bounded = new DiscoveryServer({
      cache,
      registry: new Registry(),
      logger: quiet,
      limits: { maxStreamsPerNode: 1, requestBurst: 1_000, requestsPerSecond: 200 },
    });
    const boundedPort = await bounded.listen("127.0.0.1:0");
    try {
      const s = mesh(["a"], { a: 100 });
      cache.set("n", s);
      const first = track(new SotwTestClient(boundedPort, { nodeId: "n" }));
      first.subscribe(TypeUrl.cluster, []);
      await first.waitFor(() => first.acked.has(TypeUrl.cluster));
      const second = track(new SotwTestClient(boundedPort, { nodeId: "n" }));
      second.subscribe(TypeUrl.cluster, []);
      await second.waitFor(() => second.ended !== undefined, 5_000, "second stream refused");
      expect(second.ended).toBe(grpc.status.RESOURCE_EXHAUSTED);
      cache.set("n", mesh(["a", "b"], { a: 50, b: 50 }));
      await first.waitFor(() => first.state.get(TypeUrl.cluster)?.has("b") === true);
      expect(first.ended).toBeUndefined();
    } finally {
      await bounded.stop(100);
    }
  });

  it("after a restart on the same port, clients resync to the same versions", async () => {
    const s = mesh(["a", "b"], { a: 70, b: 30 });
    cache.set("n", s);
    const before = track(new SotwTestClient(port, { nodeId: "n" }));
    subscribeAll(before, s);
    await before.waitFor(() => before.acked.size === ADS_ORDER.length, 5_000, "first ACKs");
    const versions = new Map(before.acked);
    await server.stop(100);

    // A fresh server and cache rebuilt from the same config, on the same port.
    cache = new SnapshotCache();
    cache.set("n", mesh(["a", "b"], { a: 70, b: 30 }));
    server = new DiscoveryServer({ cache, registry: new Registry(), logger: quiet });
    await server.listen(`127.0.0.1:${port}`);
    const after = track(new SotwTestClient(port, { nodeId: "n" }));
    subscribeAll(after, s);
    await after.waitFor(() => after.acked.size === ADS_ORDER.length, 5_000, "ACKs after restart");
    expect(new Map(after.acked)).toEqual(versions);
  });
});
