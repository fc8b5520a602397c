/**
 * Real data plane for the compiler: grpc-js-xds clients and echo backends on 127.0.0.x,
 * configured only by resources compiled from store objects (ServiceEntries, WorkloadEntries
 * and Istio's own bookinfo VirtualServices/DestinationRules) and served by the in-process mesh
 * (test/harness/in-process-mesh.ts). The echo backends are plain gRPC servers the mesh knows
 * only by those WorkloadEntries and ServiceEntries. No Kubernetes, no traffic off loopback.
 */
import * as grpc from "@grpc/grpc-js";
import type { IstioObject } from "../../../mesh/api";
import type { StoreObject } from "../../../mesh/store";
import { TypeUrl } from "../../../xds/encode/type-urls";
import { InProcessMesh } from "../../harness/in-process-mesh";
import {
  FAULT_ABORT_25,
  FAULT_DELAY_50_200MS,
  flakyRoutes,
  RETRY_UNAVAILABLE,
} from "../../harness/reviews-scenarios";
import {
  countAnswers as count,
  ECHO_SERVICE,
  echoHandlers,
  expectBinomial,
  runEcho as run,
  timedEcho as call,
} from "../../harness/xds-echo";
import { istioPath, loadYaml, storeObjects } from "./fixtures";

jest.setTimeout(120_000);

const RPCS = 1_000;
const REVIEWS = "reviews.default.svc.cluster.local:9080";
const FLAKY = "flaky.default.svc.cluster.local:9090";
const STICKY = "sticky.default.svc.cluster.local:9080";

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
  let mesh: InProcessMesh;
  let client: grpc.Client;
  let flakyAttempts = 0;

  /** Publishes the store's change and waits for the client, once connected, to ACK its routes. */
  async function apply(...objects: StoreObject[]): Promise<void> {
    mesh.apply(...objects);
    // Each channel's XdsClient is its own connection; the one watching a changed route ACKs.
    if (mesh.connected("client")) {
      await mesh.waitForAck("client", TypeUrl.route, "the client's route ACK");
      await new Promise(r => setTimeout(r, 150)); // the ACK precedes the resolver's update by a tick
    }
  }

  /** A flaky backend's handler: the first attempt of a call fails half the time (UNAVAILABLE). */
  const flakyHandlers: grpc.UntypedServiceImplementation = {
    Who: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
      flakyAttempts++;
      const retry = call.metadata.get("grpc-previous-rpc-attempts").length > 0;
      if (!retry && Math.random() < 0.5) done({ code: grpc.status.UNAVAILABLE, details: "flaky" });
      else done(null, Buffer.from("flaky"));
    },
  };

  beforeAll(async () => {
    mesh = await InProcessMesh.start({
      // "client" calls; "locked" is a workload a Sidecar confines. Plain backends join below.
      workloads: [{ name: "client" }, { name: "locked" }],
    });
    const objects: StoreObject[] = [];
    // reviews v1..v3 on 127.0.0.11..13, registered as WorkloadEntries selected by a ServiceEntry.
    for (const v of [1, 2, 3]) {
      const port = await mesh.plainServer(`127.0.0.1${v}`, [[ECHO_SERVICE, echoHandlers(`v${v}`)]]);
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
    const flakyPort = await mesh.plainServer("127.0.0.14", [[ECHO_SERVICE, flakyHandlers]]);
    objects.push(
      object("ServiceEntry", "flaky", {
        hosts: ["flaky.default.svc.cluster.local"],
        ports: [{ number: 9090, name: "grpc", protocol: "GRPC" }],
        location: "MESH_INTERNAL",
        resolution: "STATIC",
        endpoints: [{ address: "127.0.0.14", ports: { grpc: flakyPort } }],
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
    await apply(...objects);
    client = mesh.client("client", REVIEWS);
  });

  afterAll(async () => {
    await mesh?.stop();
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
    const flakyClient = mesh.client("client", FLAKY);
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
  });

  it("ring hash by header: one user sticks to one backend, many users spread", async () => {
    const sticky = mesh.client("client", STICKY);
    for (const user of ["alice", "bob", "carol"]) {
      const counts = count(await run(sticky, 100, { "x-user": user }));
      expect(Object.keys(counts)).toHaveLength(1);
      expect(Object.keys(counts)[0]).toMatch(/^v[123]$/);
    }
    const seen = new Set<string>();
    for (let u = 0; u < 40; u++) seen.add((await call(sticky, { "x-user": `user-${u}` })).who);
    expect(seen.size).toBeGreaterThan(1);
  });

  it("a Sidecar resource hiding a service makes it unreachable for the workloads it selects", async () => {
    const reviews = mesh.client("locked", REVIEWS);
    const flaky = mesh.client("locked", FLAKY);
    expect((await call(reviews)).who).toMatch(/^v[123]$/);
    // The listener is absent from the snapshot; grpc-js-xds fails the call once it gives up
    // waiting for it (UNAVAILABLE), or the deadline comes first (DEADLINE_EXCEEDED).
    expect(mesh.compiled("locked").listeners.map(l => l.name)).toEqual([REVIEWS]);
    const hidden = await call(flaky);
    expect(hidden.who).toMatch(/^error:(4|14)$/);
  });
});
