/**
 * Real data plane: grpc-js-xds clients and an `XdsServer`, configured only by our discovery
 * server, on 127.0.0.1. Each proxy gets its own bootstrap through a channel/server option, so
 * this one file can host several node ids in one process.
 *
 * Not on the in-process mesh fixture (test/harness/in-process-mesh.ts), on purpose: this tests
 * the discovery server itself, not the compiler. It publishes hand-built snapshots (one with a
 * misspelt field the encoder check must stop, one with route weights summing to 0 that only
 * grpc-js-xds rejects — neither can come out of compiling Istio config), restarts the
 * DiscoveryServer on the same port, and reads its logger and metrics registry. The fixture
 * compiles its snapshots and owns one server with a quiet logger; it should stay that small.
 */
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { Registry } from "prom-client";
import { createSnapshot, type SnapshotResult } from "../../../xds/cache/snapshot";
import { SnapshotCache } from "../../../xds/cache/snapshot-cache";
import { TypeUrl } from "../../../xds/encode/type-urls";
import { DiscoveryServer } from "../../../xds/server/discovery-server";
import { syncState } from "../../../xds/server/proxy-status";
import { bootstrapOptions, pinXdsServerToLoopback } from "../../harness/xds-bootstrap";
import {
  callEcho,
  countEcho,
  ECHO_SERVICE,
  echoHandlers,
  expectBinomial,
  freeLoopbackPort,
  startEchoBackend,
} from "../../harness/xds-echo";
import {
  clientListener,
  edsCluster,
  endpoints,
  serverListener,
  serverRoute,
  weightedRoute,
} from "../../harness/xds-resources";
import { until } from "../../harness/poll";

jest.setTimeout(60_000);

const TARGET = "echo.default.svc.cluster.local:80";
const CLIENT = "client~127.0.0.1~echo-client.default~default.svc.cluster.local";
const SERVER = "server~127.0.0.1~echo-server.default~default.svc.cluster.local";
const RPCS = 1_000;

describe("grpc-js-xds clients and XdsServer against the discovery server", () => {
  const cache = new SnapshotCache();
  const warnings: Record<string, unknown>[] = [];
  const logger = {
    warn: (f: Record<string, unknown>) => void warnings.push(f),
    info: () => undefined,
    debug: () => undefined,
  };
  let registry: Registry;
  let server: DiscoveryServer;
  let adsPort: number;
  let servicePort: number;
  let backends: { port: number; stop: () => void }[];
  let xdsServer: grpcXds.XdsServer;
  let client: grpc.Client;

  const mesh = (
    weights: Record<string, number>,
    route = weightedRoute("echo-route", TARGET, weights),
  ): SnapshotResult =>
    createSnapshot([
      clientListener(TARGET, "echo-route"),
      route,
      edsCluster("echo-a"),
      edsCluster("echo-b"),
      endpoints("echo-a", [backends[0]!.port]),
      endpoints("echo-b", [backends[1]!.port]),
      serverListener(servicePort, "inbound-route"),
      serverRoute("inbound-route"),
    ]);

  const publish = (result: SnapshotResult): void => {
    if (!result.ok) throw new Error(result.errors.join("\n"));
    cache.set(CLIENT, result.value);
    cache.set(SERVER, result.value);
  };

  const routeStatus = () => server.status.byNode(CLIENT)[0]?.types.get(TypeUrl.route);

  beforeAll(async () => {
    grpcXds.register();
    registry = new Registry();
    server = new DiscoveryServer({ cache, registry, logger });
    adsPort = await server.listen("127.0.0.1:0");
    backends = [await startEchoBackend("a"), await startEchoBackend("b")];
    servicePort = await freeLoopbackPort();
    publish(mesh({ "echo-a": 80, "echo-b": 20 }));

    xdsServer = new grpcXds.XdsServer(
      bootstrapOptions(adsPort, SERVER) as ConstructorParameters<typeof grpcXds.XdsServer>[0],
    );
    xdsServer.addService(ECHO_SERVICE, echoHandlers("xds-server"));
    const address = `127.0.0.1:${servicePort}`;
    await new Promise<void>((resolve, reject) => {
      xdsServer.bindAsync(address, grpc.ServerCredentials.createInsecure(), err =>
        err ? reject(err) : resolve(),
      );
      pinXdsServerToLoopback(xdsServer, address);
    });
    client = new grpc.Client(
      `xds:///${TARGET}`,
      grpc.credentials.createInsecure(),
      bootstrapOptions(adsPort, CLIENT),
    );
  });

  afterAll(async () => {
    client?.close();
    xdsServer?.forceShutdown();
    for (const b of backends ?? []) b.stop();
    await server?.stop(100);
  });

  it("client and XdsServer ACK every type they use", async () => {
    expect(await callEcho(client)).toMatch(/^[ab]$/);
    const direct = new grpc.Client(`127.0.0.1:${servicePort}`, grpc.credentials.createInsecure());
    expect(await callEcho(direct)).toBe("xds-server");
    direct.close();
    const clientTypes = server.status.byNode(CLIENT)[0]!.types;
    expect([...clientTypes.keys()].sort()).toEqual(
      [TypeUrl.cluster, TypeUrl.endpoint, TypeUrl.listener, TypeUrl.route].sort(),
    );
    for (const status of clientTypes.values()) expect(syncState(status)).toBe("SYNCED");
    const serverTypes = server.status.byNode(SERVER)[0]!.types;
    expect([...serverTypes.keys()].sort()).toEqual([TypeUrl.listener, TypeUrl.route].sort());
    for (const status of serverTypes.values()) expect(syncState(status)).toBe("SYNCED");
  });

  it("a pushed weight change changes the observed traffic split", async () => {
    const before = await countEcho(client, RPCS);
    expectBinomial(before.a ?? 0, RPCS, 0.8);
    publish(mesh({ "echo-a": 20, "echo-b": 80 }));
    const version = cache.get(CLIENT)!.versions.get(TypeUrl.route);
    await until("ACK of the new route", () => routeStatus()?.lastAck?.version === version, 5_000);
    await new Promise(r => setTimeout(r, 100)); // the ACK precedes the resolver's config update by a tick
    const after = await countEcho(client, RPCS);
    expectBinomial(after.a ?? 0, RPCS, 0.2);
    expect((before.a ?? 0) + (before.b ?? 0)).toBe(RPCS);
    expect((after.a ?? 0) + (after.b ?? 0)).toBe(RPCS);
  });

  it("an invalid resource is caught by the encoder check before it is sent", async () => {
    const sentBefore = routeStatus()!.lastSent!.nonce;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- deep edit of a test fixture
    const typo = weightedRoute("echo-route", TARGET, { "echo-a": 100 }) as Record<string, any>;
    typo.virtual_hosts[0].routes[0].route.weightedClusters =
      typo.virtual_hosts[0].routes[0].route.weighted_clusters;
    delete typo.virtual_hosts[0].routes[0].route.weighted_clusters;
    const result = mesh({}, typo as never);
    expect(result.ok).toBe(false);
    if (!result.ok)
      expect(result.errors.join()).toMatch(
        /unknown field "weightedClusters" \(did you mean "weighted_clusters"\?\)/,
      );
    expect(cache.publish(CLIENT, result)).toMatchObject({ ok: false });
    await new Promise(r => setTimeout(r, 100));
    expect(routeStatus()!.lastSent!.nonce).toBe(sentBefore);
    const still = await countEcho(client, 200);
    expect((still.b ?? 0) + (still.a ?? 0)).toBe(200);
    expect(still.b ?? 0).toBeGreaterThan(100); // still on the 20/80 config
  });

  it("after a control-plane restart on the same port, proxies reconnect and reach the same versions", async () => {
    const versions = new Map(
      [...server.status.byNode(CLIENT)[0]!.types].map(([t, s]) => [t, s.lastAck?.version]),
    );
    await server.stop(100);
    server = new DiscoveryServer({ cache, registry: new Registry(), logger });
    await server.listen(`127.0.0.1:${adsPort}`);
    await until(
      "client ACKs after restart",
      () => {
        const types = server.status.byNode(CLIENT)[0]?.types;
        return !!types && [...versions].every(([t, v]) => types.get(t)?.lastAck?.version === v);
      },
      20_000,
    );
    await until(
      "XdsServer resync",
      () => syncState(server.status.byNode(SERVER)[0]?.types.get(TypeUrl.route)) === "SYNCED",
      20_000,
    );
    expect(await callEcho(client)).toMatch(/^[ab]$/);
  });

  it("a resource the client NACKs shows up in the per-proxy status with its error_detail", async () => {
    const nacksBefore = warnings.length;
    // Passes the encoder (the protos allow it) but grpc-js-xds rejects weights summing to 0.
    publish(mesh({ "echo-a": 0, "echo-b": 0 }));
    await until("NACK", () => syncState(routeStatus()) === "NACKED", 5_000);
    const nack = routeStatus()!.lastNack!;
    expect(nack.errorDetail.message).toMatch(/weight/i);
    expect(nack.version).toBe(cache.get(CLIENT)!.versions.get(TypeUrl.route));
    expect(warnings.slice(nacksBefore)).toContainEqual(
      expect.objectContaining({
        proxy: CLIENT,
        type: "RDS",
        error_detail: expect.objectContaining({ message: nack.errorDetail.message }),
      }),
    );
    expect(await registry.getSingleMetricAsString("rigging_xds_nacks_total")).not.toBe("");
    expect(
      await server.metrics.nacks
        .get()
        .then(m => m.values.find(v => v.labels.type === "RDS")?.value),
    ).toBeGreaterThanOrEqual(1);
    // The client keeps serving with its last good config.
    const still = await countEcho(client, 100);
    expect((still.a ?? 0) + (still.b ?? 0)).toBe(100);
  });
});
