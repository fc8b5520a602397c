/**
 * Real data plane for the compiler: grpc-js-xds clients and echo backends on 127.0.0.x,
 * configured only by resources compiled from store objects (ServiceEntries, WorkloadEntries
 * and Istio's own bookinfo VirtualServices/DestinationRules) and served by an in-process
 * `DiscoveryServer`. No Kubernetes, no traffic off loopback.
 */
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { Registry } from "prom-client";
import type { IstioObject } from "../../../mesh/api";
import { applyEvent, storeOf, type MeshStore, type StoreObject } from "../../../mesh/store";
import { compile } from "../../../xds/compile";
import { SnapshotCache } from "../../../xds/cache/snapshot-cache";
import { TypeUrl } from "../../../xds/encode/type-urls";
import { DiscoveryServer } from "../../../xds/server/discovery-server";
import { bootstrapOptions } from "../../harness/xds-bootstrap";
import {
  FAULT_ABORT_25,
  FAULT_DELAY_50_200MS,
  flakyRoutes,
  RETRY_UNAVAILABLE,
} from "../../harness/reviews-scenarios";
import {
  countAnswers as count,
  echoHandlers,
  expectBinomial,
  runEcho as run,
  startEchoServer as startServer,
  timedEcho as call,
} from "../../harness/xds-echo";
import { checkedSnapshot, istioPath, loadYaml, storeObjects } from "./fixtures";
import { until } from "../../harness/poll";

jest.setTimeout(120_000);

const RPCS = 1_000;
const REVIEWS = "reviews.default.svc.cluster.local:9080";
const FLAKY = "flaky.default.svc.cluster.local:9090";
const STICKY = "sticky.default.svc.cluster.local:9080";
const CLIENT = "sidecar~127.0.0.1~client.default~default.svc.cluster.local";
const LOCKED = "sidecar~127.0.0.1~locked.default~default.svc.cluster.local";

function vsFrom(file: string, name = "reviews"): StoreObject {
  const doc = storeObjects(loadYaml(istioPath("samples/bookinfo/networking", file))).find(
    o => o.kind === "VirtualService" && o.metadata.name === name,
  );
  if (!doc) throw new Error(`${file} has no VirtualService ${name}`);
  return doc;
}

function object(
  kind: string,
  name: string,
  spec: Record<string, unknown>,
  labels?: Record<string, string>,
): StoreObject {
  return {
    apiVersion: "networking.istio.io/v1",
    kind,
    metadata: { name, namespace: "default", ...(labels ? { labels } : {}) },
    spec,
  } as unknown as IstioObject as StoreObject;
}

describe("compiled config drives grpc-js-xds clients (bookinfo reviews as a gRPC echo service)", () => {
  const cache = new SnapshotCache();
  const logger = { warn: () => undefined, info: () => undefined, debug: () => undefined };
  let server: DiscoveryServer;
  let adsPort: number;
  let store: MeshStore;
  const backends: grpc.Server[] = [];
  let client: grpc.Client;
  let flakyAttempts = 0;

  /** Compiles for every node, publishes, and waits for `node` to ACK the new routes. */
  async function publish(waitFor = CLIENT): Promise<void> {
    for (const [id, labels] of [
      [CLIENT, { app: "client" }],
      [LOCKED, { app: "locked" }],
    ] as const) {
      const compiled = compile(store, {
        id,
        metadata: { GENERATOR: "grpc", NAMESPACE: "default", LABELS: labels },
      });
      if (!compiled.ok) throw new Error(compiled.errors.join("\n"));
      cache.set(id, checkedSnapshot(compiled.value));
    }
    // Each channel's XdsClient is its own connection; the one watching a changed route ACKs.
    const version = cache.get(waitFor)!.versions.get(TypeUrl.route);
    const connections = () => server.status.byNode(waitFor);
    if (connections().length > 0) {
      await until(
        "route ACK",
        () => connections().some(c => c.types.get(TypeUrl.route)?.lastAck?.version === version),
        10_000,
      );
      await new Promise(r => setTimeout(r, 150)); // the ACK precedes the resolver's update by a tick
    }
  }

  async function apply(...objects: StoreObject[]): Promise<void> {
    for (const o of objects) store = applyEvent(store, { type: "MODIFIED", object: o });
    await publish();
  }

  beforeAll(async () => {
    grpcXds.register();
    server = new DiscoveryServer({ cache, registry: new Registry(), logger });
    adsPort = await server.listen("127.0.0.1:0");
    const objects: StoreObject[] = [];
    // reviews v1..v3 on 127.0.0.11..13, registered as WorkloadEntries selected by a ServiceEntry.
    for (const v of [1, 2, 3]) {
      const { port, server: s } = await startServer(`127.0.0.1${v}`, echoHandlers(`v${v}`));
      backends.push(s);
      objects.push(
        object("WorkloadEntry", `reviews-v${v}`, {
          address: `127.0.0.1${v}`,
          ports: { grpc: port },
          labels: { app: "reviews", version: `v${v}` },
        }),
      );
    }
    for (const host of ["reviews", "sticky"]) {
      objects.push(
        object("ServiceEntry", host, {
          hosts: [`${host}.default.svc.cluster.local`],
          ports: [{ number: 9080, name: "grpc", protocol: "GRPC" }],
          location: "MESH_INTERNAL",
          resolution: "STATIC",
          workloadSelector: { labels: { app: "reviews" } },
        }),
      );
    }
    // A backend whose first attempt of a call fails half the time with UNAVAILABLE.
    const flaky = await startServer("127.0.0.14", {
      Who: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
        flakyAttempts++;
        const retry = call.metadata.get("grpc-previous-rpc-attempts").length > 0;
        if (!retry && Math.random() < 0.5)
          done({ code: grpc.status.UNAVAILABLE, details: "flaky" });
        else done(null, Buffer.from("flaky"));
      },
    });
    backends.push(flaky.server);
    objects.push(
      object("ServiceEntry", "flaky", {
        hosts: ["flaky.default.svc.cluster.local"],
        ports: [{ number: 9090, name: "grpc", protocol: "GRPC" }],
        location: "MESH_INTERNAL",
        resolution: "STATIC",
        endpoints: [{ address: "127.0.0.14", ports: { grpc: flaky.port } }],
      }),
      // Istio's own subsets and RANDOM policy (proxyless gRPC falls back to round robin).
      ...storeObjects(
        loadYaml(istioPath("samples/bookinfo/networking/destination-rule-reviews.yaml")),
      ),
      object("DestinationRule", "sticky", {
        host: "sticky",
        trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: "x-user" } } },
      }),
      // The "locked" workload may only reach reviews.
      object("Sidecar", "locked", {
        workloadSelector: { labels: { app: "locked" } },
        egress: [{ hosts: ["./reviews.default.svc.cluster.local"] }],
      }),
      vsFrom("virtual-service-all-v1.yaml"),
    );
    store = storeOf(objects);
    await publish();
    client = new grpc.Client(
      `xds:///${REVIEWS}`,
      grpc.credentials.createInsecure(),
      bootstrapOptions(adsPort, CLIENT, { app: "client" }),
    );
  });

  afterAll(async () => {
    client?.close();
    for (const b of backends) b.forceShutdown();
    await server?.stop(100);
  });

  it.each([
    ["virtual-service-all-v1.yaml", { v1: 1 }],
    ["virtual-service-reviews-80-20.yaml", { v1: 0.8, v2: 0.2 }],
    ["virtual-service-reviews-90-10.yaml", { v1: 0.9, v2: 0.1 }],
    ["virtual-service-reviews-50-v3.yaml", { v1: 0.5, v3: 0.5 }],
    ["virtual-service-reviews-v2-v3.yaml", { v2: 0.5, v3: 0.5 }],
    ["virtual-service-reviews-v3.yaml", { v3: 1 }],
  ])("%s gives the promised split over 1,000 RPCs", async (file, want: Record<string, number>) => {
    await apply(vsFrom(file));
    const counts = count(await run(client, RPCS));
    console.log(`${file}: ${JSON.stringify(counts)}`);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(RPCS);
    for (const v of ["v1", "v2", "v3"]) expectBinomial(counts[v] ?? 0, RPCS, want[v] ?? 0);
  });

  it.each([
    ["virtual-service-reviews-jason-v2-v3.yaml", "v2", "v3"],
    ["virtual-service-reviews-test-v2.yaml", "v2", "v1"],
  ])("%s: end-user jason goes to %s, everyone else to %s", async (file, jason, others) => {
    await apply(vsFrom(file));
    const asJason = count(await run(client, RPCS, { "end-user": "jason" }));
    const asOthers = count(await run(client, RPCS, { "end-user": "alice" }));
    console.log(`${file}: jason ${JSON.stringify(asJason)}, others ${JSON.stringify(asOthers)}`);
    expect(asJason).toEqual({ [jason]: RPCS });
    expect(asOthers).toEqual({ [others]: RPCS });
  });

  it("fault abort: 25 % of calls fail with the injected gRPC status", async () => {
    await apply(object("VirtualService", "reviews", FAULT_ABORT_25));
    const counts = count(await run(client, RPCS));
    console.log(`fault abort 25%: ${JSON.stringify(counts)}`);
    expect((counts["error:10"] ?? 0) + (counts.v1 ?? 0)).toBe(RPCS);
    expectBinomial(counts["error:10"] ?? 0, RPCS, 0.25);
  });

  it("fault delay: half the calls take at least the fixed delay", async () => {
    await apply(object("VirtualService", "reviews", FAULT_DELAY_50_200MS));
    const results = await run(client, 200);
    const slow = results.filter(r => r.ms >= 190).length;
    console.log(`fault delay 50% x 200ms: ${slow}/200 slow`);
    expect(count(results)).toEqual({ v2: 200 });
    expectBinomial(slow, 200, 0.5);
  });

  it("retry on UNAVAILABLE recovers every call to a flaky backend; no retries lets half fail", async () => {
    const flakyClient = new grpc.Client(
      `xds:///${FLAKY}`,
      grpc.credentials.createInsecure(),
      bootstrapOptions(adsPort, CLIENT, { app: "client" }),
    );
    try {
      // Subscribe first (Istio's default route already retries UNAVAILABLE twice), so the
      // pushes below change a route the client watches and the ACK can be awaited.
      expect((await call(flakyClient)).who).toBe("flaky");
      await apply(object("VirtualService", "flaky", flakyRoutes({ attempts: 0 })));
      const without = count(await run(flakyClient, RPCS));
      await apply(object("VirtualService", "flaky", flakyRoutes(RETRY_UNAVAILABLE)));
      const before = flakyAttempts;
      const withRetry = count(await run(flakyClient, RPCS));
      console.log(
        `flaky: no retries ${JSON.stringify(without)}; retries ${JSON.stringify(withRetry)} in ${flakyAttempts - before} attempts`,
      );
      expectBinomial(without["error:14"] ?? 0, RPCS, 0.5);
      expect(withRetry).toEqual({ flaky: RPCS });
      expectBinomial(flakyAttempts - before - RPCS, RPCS, 0.5);
    } finally {
      flakyClient.close();
    }
  });

  it("ring hash by header: one user sticks to one backend, many users spread", async () => {
    const sticky = new grpc.Client(
      `xds:///${STICKY}`,
      grpc.credentials.createInsecure(),
      bootstrapOptions(adsPort, CLIENT, { app: "client" }),
    );
    try {
      for (const user of ["alice", "bob", "carol"]) {
        const counts = count(await run(sticky, 100, { "x-user": user }));
        expect(Object.keys(counts)).toHaveLength(1);
        expect(Object.keys(counts)[0]).toMatch(/^v[123]$/);
      }
      const seen = new Set<string>();
      for (let u = 0; u < 40; u++) seen.add((await call(sticky, { "x-user": `user-${u}` })).who);
      expect(seen.size).toBeGreaterThan(1);
    } finally {
      sticky.close();
    }
  });

  it("a Sidecar resource hiding a service makes it unreachable for the workloads it selects", async () => {
    const locked = (target: string) =>
      new grpc.Client(
        `xds:///${target}`,
        grpc.credentials.createInsecure(),
        bootstrapOptions(adsPort, LOCKED, { app: "locked" }),
      );
    const reviews = locked(REVIEWS);
    const flaky = locked(FLAKY);
    try {
      expect((await call(reviews)).who).toMatch(/^v[123]$/);
      // The listener is absent from the snapshot; grpc-js-xds fails the call once it gives up
      // waiting for it (UNAVAILABLE), or the deadline comes first (DEADLINE_EXCEEDED).
      const compiled = compile(store, {
        id: LOCKED,
        metadata: { GENERATOR: "grpc", LABELS: { app: "locked" } },
      });
      expect(compiled.ok && compiled.value.listeners.map(l => l.name)).toEqual([REVIEWS]);
      const hidden = await call(flaky);
      expect(hidden.who).toMatch(/^error:(4|14)$/);
    } finally {
      reviews.close();
      flaky.close();
    }
  });
});
