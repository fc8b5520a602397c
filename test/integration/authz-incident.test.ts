/**
 * Issue 8's incident-response case end to end: a DENY AuthorizationPolicy on one gRPC method,
 * applied with kubectl while traffic flows, stops that method on a real grpc-js-xds `XdsServer`
 * within the propagation time, and every other method keeps working. The server and client are
 * configured only by what the module compiled; the server's workload is a WorkloadEntry on
 * 127.0.0.41 selected by a ServiceEntry. Loopback only.
 */
import "../xds/compile/enable-grpc-rbac";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import type { DevSession } from "../../cli/dev/runner";
import { freePort } from "../../cli/local-cluster/ports";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { applyOrFail, eventually } from "../harness/kube";
import { startTestModule } from "../harness/module";
import { bootstrapOptions, pinXdsServerToLoopback } from "../harness/xds-bootstrap";
import { ECHO_SERVICE, echoHandlers, freeLoopbackPort } from "../harness/xds-echo";

const WHO = "/rigging.test.Echo/Who";
const SECRET = "/rigging.test.Echo/Secret";
const SERVER_IP = "127.0.0.41";
const SERVER = `sidecar~${SERVER_IP}~echo.default~default.svc.cluster.local`;
const CLIENT = "sidecar~127.0.0.5~client.default~default.svc.cluster.local";
const raw = (b: Buffer): Buffer => b;

function call(client: grpc.Client, path: string): Promise<string> {
  return new Promise(resolve =>
    client.makeUnaryRequest(
      path,
      raw,
      raw,
      Buffer.alloc(0),
      { deadline: Date.now() + 3_000 },
      (err, value) => resolve(err ? `error:${err.code}` : String(value)),
    ),
  );
}

describe("a DENY policy on one method, applied during an incident", () => {
  let cluster: LocalCluster;
  let session: DevSession;
  let server: grpcXds.XdsServer;
  let client: grpc.Client;
  let xdsPort = 0;
  const moduleLines: string[] = [];

  const apply = (docs: unknown[]) => applyOrFail(cluster, docs);

  beforeAll(async () => {
    grpcXds.register();
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    xdsPort = await freePort();
    session = await startTestModule({
      env: { RIGGING_XDS_ADDRESS: `127.0.0.1:${xdsPort}`, RIGGING_XDS_TLS_ADDRESS: "off" },
    });
    const port = await freeLoopbackPort();
    apply([
      {
        apiVersion: "networking.istio.io/v1",
        kind: "ServiceEntry",
        metadata: { name: "echo", namespace: "default" },
        spec: {
          hosts: ["echo.default.svc.cluster.local"],
          ports: [{ number: 9080, name: "grpc", protocol: "GRPC", targetPort: port }],
          location: "MESH_INTERNAL",
          resolution: "STATIC",
          workloadSelector: { labels: { app: "echo" } },
        },
      },
      {
        apiVersion: "networking.istio.io/v1",
        kind: "WorkloadEntry",
        metadata: { name: "echo", namespace: "default" },
        spec: {
          address: SERVER_IP,
          labels: { app: "echo" },
          serviceAccount: "echo",
          ports: { grpc: port },
        },
      },
    ]);
    server = new grpcXds.XdsServer(
      bootstrapOptions(xdsPort, SERVER, { app: "echo" }) as ConstructorParameters<
        typeof grpcXds.XdsServer
      >[0],
    );
    server.addService(ECHO_SERVICE, echoHandlers("echo"));
    server.addService(
      { Secret: { ...ECHO_SERVICE.Who!, path: SECRET } },
      { Secret: echoHandlers("secret").Who! },
    );
    const address = `${SERVER_IP}:${port}`;
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(address, grpc.ServerCredentials.createInsecure(), err =>
        err ? reject(err) : resolve(),
      );
      pinXdsServerToLoopback(server, address);
    });
    client = new grpc.Client(
      "xds:///echo.default.svc.cluster.local:9080",
      grpc.credentials.createInsecure(),
      bootstrapOptions(xdsPort, CLIENT, { app: "client" }),
    );
    await eventually("the client to reach both methods through the module's xDS", async () =>
      (await call(client, WHO)) === "echo" && (await call(client, SECRET)) === "secret"
        ? true
        : undefined,
    );
  }, 240_000);

  afterAll(async () => {
    if (process.env.RIGGING_TEST_VERBOSE) {
      const rig = (...args: string[]) =>
        spawnSync(process.execPath, [join(__dirname, "..", "..", "bin", "rig.cjs"), ...args], {
          encoding: "utf8",
        });
      console.log(rig("proxy-status", "--xds-address", `127.0.0.1:${xdsPort}`).stdout);
      console.log(
        rig(
          "proxy-config",
          "echo.default",
          "listeners",
          "--xds-address",
          `127.0.0.1:${xdsPort}`,
          "-o",
          "json",
        ).stdout.slice(0, 3000),
      );
      console.log(moduleLines.slice(-30).join("\n"));
    }
    client?.close();
    server?.forceShutdown();
    await session?.stop();
    await cluster?.stop();
  });

  it("stops the denied method within the propagation time while the other keeps working", async () => {
    // Traffic flows on both methods while the policy is applied; record what every call got.
    let stop = false;
    const seen: Array<{ at: number; path: string; answer: string }> = [];
    const traffic = (async () => {
      while (!stop) {
        const [who, secret] = await Promise.all([call(client, WHO), call(client, SECRET)]);
        const at = performance.now();
        seen.push({ at, path: WHO, answer: who }, { at, path: SECRET, answer: secret });
        await new Promise(r => setTimeout(r, 10));
      }
    })();
    await new Promise(r => setTimeout(r, 300));
    const applied = performance.now();
    apply([
      {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: { name: "deny-secret", namespace: "default" },
        spec: {
          selector: { matchLabels: { app: "echo" } },
          action: "DENY",
          rules: [{ to: [{ operation: { paths: [SECRET] } }] }],
        },
      },
    ]);
    const firstDenied = await eventually("the first denied Secret call", async () =>
      seen.find(
        s =>
          s.path === SECRET &&
          s.at > applied &&
          s.answer === `error:${grpc.status.PERMISSION_DENIED}`,
      ),
    );
    await new Promise(r => setTimeout(r, 500));
    stop = true;
    await traffic;
    const ms = firstDenied.at - applied;
    console.log(`DENY propagation: kubectl apply → first PERMISSION_DENIED in ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(10_000);
    // Once denied, the method stays denied; the other method never failed.
    const after = seen.filter(s => s.at > firstDenied.at);
    expect(new Set(after.filter(s => s.path === SECRET).map(s => s.answer))).toEqual(
      new Set([`error:${grpc.status.PERMISSION_DENIED}`]),
    );
    expect(new Set(seen.filter(s => s.path === WHO).map(s => s.answer))).toEqual(new Set(["echo"]));
  });
});
