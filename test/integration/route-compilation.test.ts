/**
 * Issue 7 end to end: a real API server, the built module (its watches feed the mesh runtime,
 * which serves ADS on a free loopback port), and grpc-js-xds clients whose only configuration is
 * what the module compiled from objects applied through the API server. Backends are gRPC echo
 * servers on 127.0.0.21–25, registered as WorkloadEntries selected by MESH_INTERNAL STATIC
 * ServiceEntries (the API server refuses loopback addresses in EndpointSlices). No packet goes
 * anywhere but loopback.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { parseAllDocuments } from "yaml";
import type { DevSession } from "../../cli/dev/runner";
import { freePort } from "../../cli/local-cluster/ports";
import { fetchProxyReports } from "../../cli/xds/csds-client";
import type { TypeReport } from "../../xds/status/client-status";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { eventually } from "../harness/kube";
import { startTestModule } from "../harness/module";
import {
  FAULT_ABORT_25,
  FAULT_DELAY_50_200MS,
  flakyRoutes,
  RETRY_UNAVAILABLE,
} from "../harness/reviews-scenarios";
import { repoRoot, sharedPath } from "../harness/shared";
import { bootstrapOptions } from "../harness/xds-bootstrap";
import {
  countAnswers,
  echoHandlers,
  expectBinomial,
  runEcho,
  startEchoServer,
  timedEcho,
} from "../harness/xds-echo";

const RPCS = 1_000;
const REVIEWS = "reviews.default.svc.cluster.local:9080";
const FLAKY = "flaky.default.svc.cluster.local:9090";
const SLOW = "slow.default.svc.cluster.local:9070";
const nodeId = (pod: string, ip: string) =>
  `sidecar~${ip}~${pod}.default~default.svc.cluster.local`;
const CLIENT = nodeId("client", "127.0.0.5");
const FLAKY_CLIENT = nodeId("flaky-client", "127.0.0.6");
const SLOW_CLIENT = nodeId("slow-client", "127.0.0.7");
/** Consecutive RPCs that must all reach the new version for a change to count as propagated. */
const STREAK = 20;

interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

const sleep = (ms: number) => new Promise(r => setTimeout(r, ms));

function istio(kind: string, name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: "networking.istio.io/v1",
    kind,
    metadata: { name, namespace: "default" },
    spec,
  };
}

/** Istio's own bookinfo object `kind`/`name` from `samples/bookinfo/networking/<file>`. */
function bookinfo(file: string, kind = "VirtualService", name = "reviews"): KubeObject {
  const text = readFileSync(sharedPath("istio", "samples", "bookinfo", "networking", file), "utf8");
  const doc = parseAllDocuments(text)
    .map(d => d.toJSON() as KubeObject | null)
    .find(o => o?.kind === kind && o.metadata.name === name);
  if (!doc) throw new Error(`${file} has no ${kind} ${name}`);
  return { ...doc, metadata: { ...doc.metadata, namespace: "default" } };
}

/** Nearest-rank percentile of `values` (ms). */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

describe("route compilation end to end: API server → module → ADS → grpc-js-xds", () => {
  let cluster: LocalCluster;
  let session: DevSession | undefined;
  let xdsPort: number;
  const moduleLines: string[] = [];
  const backends: grpc.Server[] = [];
  const clients: grpc.Client[] = [];
  let client: grpc.Client;
  let flakyAttempts = 0;

  const channel = (target: string, node: string, app: string): grpc.Client => {
    const c = new grpc.Client(
      `xds:///${target}`,
      grpc.credentials.createInsecure(),
      bootstrapOptions(xdsPort, node, { app }),
    );
    clients.push(c);
    return c;
  };

  function run(
    command: string,
    args: string[],
    input?: string,
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, {
        env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath },
        stdio: ["pipe", "pipe", "pipe"],
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", c => (stdout += c));
      child.stderr.on("data", c => (stderr += c));
      child.on("error", reject);
      child.on("close", code => resolve({ code, stdout, stderr }));
      child.stdin.end(input ?? "");
    });
  }

  const kubectlApply = (obj: KubeObject) =>
    run(join(cluster.state.binDir, "kubectl"), ["apply", "-f", "-"], JSON.stringify(obj));

  async function apply(obj: KubeObject): Promise<void> {
    const res = await kubectlApply(obj);
    if (res.code !== 0)
      throw new Error(`kubectl apply ${obj.kind}/${obj.metadata.name}: ${res.stderr}`);
  }

  /** `work`, unless the module exits first (a crashed watch, say): then fail with its last lines. */
  function unlessModuleExits<T>(work: Promise<T>): Promise<T> {
    const exit = session!.exited.then(code => {
      throw new Error(
        `the module exited (${code}); its last lines:\n${moduleLines.slice(-30).join("\n")}`,
      );
    });
    return Promise.race([work, exit]);
  }

  /** RDS state of every ADS connection of `node`, by connection id, read over CSDS. */
  async function routeStates(node: string): Promise<Map<string, TypeReport | undefined>> {
    const reports = await fetchProxyReports(
      { xdsAddress: `127.0.0.1:${xdsPort}`, timeout: "5" },
      { nodeId: node },
    );
    return new Map(reports.map(r => [r.connection?.id ?? r.nodeId, r.types.RDS]));
  }

  /**
   * Applies a changed VirtualService and waits until every connection of `node` has ACKed
   * route configuration different from what it held before.
   */
  async function applyRoutes(node: string, obj: KubeObject): Promise<void> {
    const before = await routeStates(node);
    await apply(obj);
    const acked = eventually(
      `${node} to ACK new routes after ${obj.kind}/${obj.metadata.name} changed`,
      async () => {
        const now = await routeStates(node);
        const done =
          now.size > 0 &&
          [...now].every(
            ([id, t]) =>
              t?.state === "SYNCED" &&
              t.acked?.version === t.version &&
              t.version !== before.get(id)?.version,
          );
        return done ? true : undefined;
      },
      15_000,
    );
    await unlessModuleExits(acked);
    await sleep(150); // the ACK precedes the resolver's update by a tick
  }

  beforeAll(async () => {
    grpcXds.register();
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    xdsPort = await freePort();
    session = await startTestModule({
      env: { RIGGING_XDS_ADDRESS: `127.0.0.1:${xdsPort}`, RIGGING_XDS_TLS_ADDRESS: "off" },
      moduleLog: line => moduleLines.push(line),
    });

    const workload = (name: string, address: string, port: number, labels: object) =>
      istio("WorkloadEntry", name, { address, ports: { grpc: port }, labels });
    const serviceEntry = (host: string, port: number, app: string) =>
      istio("ServiceEntry", host, {
        hosts: [`${host}.default.svc.cluster.local`],
        ports: [{ number: port, name: "grpc", protocol: "GRPC" }],
        location: "MESH_INTERNAL",
        resolution: "STATIC",
        workloadSelector: { labels: { app } },
      });

    // reviews v1..v3 on 127.0.0.21..23.
    for (const v of [1, 2, 3]) {
      const address = `127.0.0.2${v}`;
      const { port, server } = await startEchoServer(address, echoHandlers(`v${v}`));
      backends.push(server);
      await apply(workload(`reviews-v${v}`, address, port, { app: "reviews", version: `v${v}` }));
    }
    // flaky on 127.0.0.24: a call's first attempt fails half the time with UNAVAILABLE.
    const flaky = await startEchoServer("127.0.0.24", {
      Who: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
        flakyAttempts++;
        const retry = call.metadata.get("grpc-previous-rpc-attempts").length > 0;
        if (!retry && Math.random() < 0.5)
          done({ code: grpc.status.UNAVAILABLE, details: "flaky" });
        else done(null, Buffer.from("flaky"));
      },
    });
    backends.push(flaky.server);
    await apply(workload("flaky", "127.0.0.24", flaky.port, { app: "flaky" }));
    // slow on 127.0.0.25: answers after 400 ms.
    const slow = await startEchoServer("127.0.0.25", {
      Who: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
        setTimeout(() => done(null, Buffer.from("slow")), 400);
      },
    });
    backends.push(slow.server);
    await apply(workload("slow", "127.0.0.25", slow.port, { app: "slow" }));

    await apply(serviceEntry("reviews", 9080, "reviews"));
    await apply(serviceEntry("flaky", 9090, "flaky"));
    await apply(serviceEntry("slow", 9070, "slow"));
    await apply(bookinfo("destination-rule-reviews.yaml", "DestinationRule"));
    await apply(bookinfo("virtual-service-reviews-v3.yaml"));

    client = channel(REVIEWS, CLIENT, "client");
    await unlessModuleExits(
      eventually(
        "the client to reach reviews v3 through the module's xDS",
        async () => ((await timedEcho(client, {}, 2_000)).who === "v3" ? true : undefined),
        60_000,
      ),
    );
  }, 240_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const b of backends) b.forceShutdown();
    await session?.stop();
    await cluster?.stop();
    // The module logs at warn and above here: anything it said helps read a failure.
    if (moduleLines.length > 0)
      console.log(`module log (last 40 lines):\n${moduleLines.slice(-40).join("\n")}`);
  });

  it.each([
    ["virtual-service-all-v1.yaml", { v1: 1 }],
    ["virtual-service-reviews-80-20.yaml", { v1: 0.8, v2: 0.2 }],
    ["virtual-service-reviews-90-10.yaml", { v1: 0.9, v2: 0.1 }],
    ["virtual-service-reviews-50-v3.yaml", { v1: 0.5, v3: 0.5 }],
    ["virtual-service-reviews-v2-v3.yaml", { v2: 0.5, v3: 0.5 }],
    ["virtual-service-reviews-v3.yaml", { v3: 1 }],
  ])("%s gives the promised split over 1,000 RPCs", async (file, want: Record<string, number>) => {
    await applyRoutes(CLIENT, bookinfo(file));
    const counts = countAnswers(await runEcho(client, RPCS));
    console.log(`${file}: ${JSON.stringify(counts)}`);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(RPCS);
    for (const v of ["v1", "v2", "v3"]) expectBinomial(counts[v] ?? 0, RPCS, want[v] ?? 0);
  });

  it.each([
    ["virtual-service-reviews-jason-v2-v3.yaml", "v2", "v3"],
    ["virtual-service-reviews-test-v2.yaml", "v2", "v1"],
  ])("%s: end-user jason goes to %s, everyone else to %s", async (file, jason, others) => {
    await applyRoutes(CLIENT, bookinfo(file));
    const asJason = countAnswers(await runEcho(client, RPCS, { "end-user": "jason" }));
    const asOthers = countAnswers(await runEcho(client, RPCS, { "end-user": "alice" }));
    console.log(`${file}: jason ${JSON.stringify(asJason)}, others ${JSON.stringify(asOthers)}`);
    expect(asJason).toEqual({ [jason]: RPCS });
    expect(asOthers).toEqual({ [others]: RPCS });
  });

  it("fault abort: 25 % of calls fail with the injected gRPC status", async () => {
    await applyRoutes(CLIENT, istio("VirtualService", "reviews", FAULT_ABORT_25));
    const counts = countAnswers(await runEcho(client, RPCS));
    console.log(`fault abort 25%: ${JSON.stringify(counts)}`);
    expect((counts["error:10"] ?? 0) + (counts.v1 ?? 0)).toBe(RPCS);
    expectBinomial(counts["error:10"] ?? 0, RPCS, 0.25);
  });

  it("fault delay: half the calls take at least the fixed delay", async () => {
    await applyRoutes(CLIENT, istio("VirtualService", "reviews", FAULT_DELAY_50_200MS));
    const results = await runEcho(client, 400);
    const slow = results.filter(r => r.ms >= 190).length;
    console.log(`fault delay 50% x 200ms: ${slow}/400 slow`);
    expect(countAnswers(results)).toEqual({ v2: 400 });
    expectBinomial(slow, 400, 0.5);
  });

  it("retry on UNAVAILABLE recovers every call to a flaky backend; no retries lets half fail", async () => {
    const flaky = channel(FLAKY, FLAKY_CLIENT, "flaky-client");
    // Subscribe first (Istio's default route retries UNAVAILABLE), so the changes below
    // change routes this client watches and their ACK can be awaited.
    await eventually("the flaky client to connect", async () =>
      (await timedEcho(flaky, {}, 2_000)).who === "flaky" ? true : undefined,
    );
    const flakyVs = (retries: Record<string, unknown>) =>
      istio("VirtualService", "flaky", flakyRoutes(retries));
    await applyRoutes(FLAKY_CLIENT, flakyVs({ attempts: 0 }));
    const without = countAnswers(await runEcho(flaky, RPCS));
    await applyRoutes(FLAKY_CLIENT, flakyVs(RETRY_UNAVAILABLE));
    const before = flakyAttempts;
    const withRetry = countAnswers(await runEcho(flaky, RPCS));
    console.log(
      `flaky: no retries ${JSON.stringify(without)}; retries ${JSON.stringify(withRetry)} in ${flakyAttempts - before} attempts`,
    );
    expectBinomial(without["error:14"] ?? 0, RPCS, 0.5);
    expect(withRetry).toEqual({ flaky: RPCS });
    expectBinomial(flakyAttempts - before - RPCS, RPCS, 0.5);
  });

  it("timeout: a route timeout shorter than the backend fails calls at the timeout", async () => {
    const slow = channel(SLOW, SLOW_CLIENT, "slow-client");
    const untimed = await eventually("the slow client to connect", async () => {
      const r = await timedEcho(slow, {}, 3_000);
      return r.who === "slow" ? r : undefined;
    });
    expect(untimed.ms).toBeGreaterThanOrEqual(390);
    await applyRoutes(
      SLOW_CLIENT,
      istio("VirtualService", "slow", {
        hosts: ["slow.default.svc.cluster.local"],
        http: [
          {
            route: [{ destination: { host: "slow.default.svc.cluster.local" } }],
            timeout: "150ms",
          },
        ],
      }),
    );
    const results = await runEcho(slow, 50, {}, 3_000);
    const ms = results.map(r => r.ms);
    console.log(
      `timeout 150ms vs 400ms backend: ${JSON.stringify(countAnswers(results))}, ${Math.min(...ms).toFixed(0)}–${Math.max(...ms).toFixed(0)} ms`,
    );
    expect(countAnswers(results)).toEqual({ "error:4": 50 });
    for (const t of ms) expect(t).toBeGreaterThanOrEqual(140);
    // The route timeout, not the client's own 3 s deadline, ended every call: the median sits near
    // 150 ms, and none comes near the 3 s deadline (a busy machine can delay a single call past the
    // backend's 400 ms, which is why no single call is held under it).
    const sorted = [...ms].sort((a, b) => a - b);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(300);
    for (const t of ms) expect(t).toBeLessThan(2_000);
  });

  it("propagation: kubectl apply of a changed VirtualService reaches the client's traffic (20 changes)", async () => {
    const allV1 = bookinfo("virtual-service-all-v1.yaml");
    const allV2 = istio("VirtualService", "reviews", {
      hosts: ["reviews"],
      http: [{ route: [{ destination: { host: "reviews", subset: "v2" } }] }],
    });
    const propagation: number[] = [];
    const kubectlMs: number[] = [];
    for (let i = 0; i < 20; i++) {
      const [target, vs] = i % 2 === 0 ? ["v1", allV1] : ["v2", allV2];
      const started = performance.now();
      const applying = kubectlApply(vs).then(res => {
        kubectlMs.push(performance.now() - started);
        return res;
      });
      // Sequential RPCs until STREAK consecutive ones all reach the new version; the change
      // counts from the first RPC of that streak.
      let streak = 0;
      let streakStart = 0;
      while (streak < STREAK) {
        const at = performance.now();
        if (at - started > 10_000) throw new Error(`change ${i} to ${target} took over 10 s`);
        const { who } = await timedEcho(client, {}, 2_000);
        if (who === target) {
          if (streak++ === 0) streakStart = at;
        } else {
          streak = 0;
        }
      }
      propagation.push(streakStart - started);
      const res = await applying;
      expect(res.stderr).toBe("");
      expect(res.code).toBe(0);
    }
    const fmt = (v: number) => `${v.toFixed(0)} ms`;
    console.log(
      `propagation over 20 changes (kubectl apply → ${STREAK} consecutive RPCs on the new version): ` +
        `p50 ${fmt(percentile(propagation, 50))}, p99 ${fmt(percentile(propagation, 99))}, ` +
        `max ${fmt(Math.max(...propagation))}; kubectl apply itself p50 ${fmt(percentile(kubectlMs, 50))}, ` +
        `p99 ${fmt(percentile(kubectlMs, 99))}; all: ${propagation.map(v => v.toFixed(0)).join(", ")}`,
    );
    expect(propagation).toHaveLength(20);
    for (const ms of propagation) expect(ms).toBeLessThan(10_000);
  });

  it("invalid config that slips past the webhook is never published: the last valid routes stay", async () => {
    await applyRoutes(CLIENT, bookinfo("virtual-service-all-v1.yaml"));
    // Weights that sum to 0 pass the CRD schema; Istio's validation refuses them, and
    // grpc-js-xds would NACK the weighted clusters they compile to.
    const invalid = istio("VirtualService", "reviews", {
      hosts: ["reviews"],
      http: [
        {
          route: [
            { destination: { host: "reviews", subset: "v2" }, weight: 0 },
            { destination: { host: "reviews", subset: "v3" }, weight: 0 },
          ],
        },
      ],
    });
    const denied = await kubectlApply(invalid);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toContain("total destination weight = 0");

    // What an unreachable or missing webhook lets through: take the module's validating
    // webhook configurations away (the module keeps running and watching), apply, restore.
    const paths = session!.webhookNames
      .filter(n => n.startsWith("ValidatingWebhookConfiguration/"))
      .map(
        n =>
          `/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/${n.split("/")[1]}`,
      );
    expect(paths.length).toBeGreaterThan(0);
    const saved: KubeObject[] = [];
    for (const path of paths) {
      const got = await cluster.api("GET", path);
      expect(got.status).toBe(200);
      saved.push(got.body as KubeObject);
      expect((await cluster.api("DELETE", path)).status).toBe(200);
    }
    const before = await routeStates(CLIENT);
    const warnings = () =>
      moduleLines.filter(
        l => l.includes("invalid Istio config ignored") && l.includes('"name":"reviews"'),
      ).length;
    const warned = warnings();
    try {
      await eventually("the API server to store the invalid VirtualService", async () =>
        (await kubectlApply(invalid)).code === 0 ? true : undefined,
      );
      await eventually("the module to report the invalid VirtualService", async () =>
        warnings() > warned ? true : undefined,
      );
      await sleep(500); // several debounce periods: a push, had there been one, is out
      const counts = countAnswers(await runEcho(client, RPCS));
      console.log(
        `after an invalid VirtualService slipped past the webhook: ${JSON.stringify(counts)}`,
      );
      expect(counts).toEqual({ v1: RPCS });
      const after = await routeStates(CLIENT);
      for (const [id, t] of after) {
        expect(t?.state).toBe("SYNCED");
        expect(t?.nacks).toBe(0);
        expect(t?.version).toBe(before.get(id)?.version);
      }
    } finally {
      for (const config of saved) {
        const { name, labels, annotations } = config.metadata;
        const res = await cluster.api(
          "POST",
          "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations",
          { ...config, metadata: { name, labels, annotations } },
        );
        expect(res.status).toBe(201);
      }
    }
    // A valid change afterwards is compiled and followed as usual.
    await applyRoutes(
      CLIENT,
      istio("VirtualService", "reviews", {
        hosts: ["reviews"],
        http: [{ route: [{ destination: { host: "reviews", subset: "v3" } }] }],
      }),
    );
    expect(countAnswers(await runEcho(client, 200))).toEqual({ v3: 200 });
  });

  it("rig proxy-status shows every client SYNCED", async () => {
    const res = await run(process.execPath, [
      join(repoRoot, "bin", "rig.cjs"),
      "proxy-status",
      "--xds-address",
      `127.0.0.1:${xdsPort}`,
    ]);
    console.log(`rig proxy-status:\n${res.stdout}${res.stderr}`);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const [header, ...rows] = res.stdout
      .trim()
      .split("\n")
      .map(l => l.trim().split(/\s+/));
    expect(header).toEqual(["NAME", "CLUSTER", "CDS", "LDS", "EDS", "RDS", "SDS", "VERSION"]);
    for (const name of ["client.default", "flaky-client.default", "slow-client.default"]) {
      const row = rows.find(r => r[0] === name);
      expect(row?.slice(2, 6)).toEqual(["SYNCED", "SYNCED", "SYNCED", "SYNCED"]);
    }
  });
});
