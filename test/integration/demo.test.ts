/**
 * `npm start`'s demo end to end (the README's first command): the same `runDemo` that
 * scripts/start.ts runs, against a local cluster and the module, with the demo's pods running as
 * grpc-js-xds processes in this test process on 127.0.11.x. Asserts on what it prints: the
 * injection and the refusal, the canary's counts, STRICT mTLS refusing plaintext, the DENY on
 * one method, and every proxy SYNCED in `rig proxy-status`.
 */
import type { DevSession } from "../../cli/dev/runner";
import { freePort } from "../../cli/local-cluster/ports";
import { DASHBOARD_TITLE, runDemo } from "../../scripts/demo";
import type { MeshDemo } from "../../scripts/demo-mesh";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { kubectl } from "../harness/kube";
import { startTestModule } from "../harness/module";

const CALLS = 1000;

describe("npm start's demo", () => {
  let cluster: LocalCluster;
  let session: DevSession;
  let mesh: MeshDemo | undefined;
  const printed: string[] = [];
  const moduleLog: string[] = [];
  let output = "";
  let lines: string[] = [];
  let xdsAddress = "";

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    const [xdsPort, tlsPort] = [await freePort(), await freePort()];
    xdsAddress = `127.0.0.1:${xdsPort}`;
    session = await startTestModule({
      moduleLog: line => moduleLog.push(line),
      env: {
        RIGGING_XDS_ADDRESS: `127.0.0.1:${xdsPort}`,
        RIGGING_XDS_TLS_ADDRESS: `127.0.0.1:${tlsPort}`,
      },
    });
    try {
      mesh = await runDemo(
        (args, input) => kubectl(cluster, args, input),
        line => printed.push(line),
        {
          xdsAddress: `127.0.0.1:${xdsPort}`,
          caAddress: `127.0.0.1:${tlsPort}`,
          hostNet: "127.0.11",
          calls: CALLS,
        },
      );
    } catch (err) {
      // What the demo printed up to the failure says which step broke.
      throw new Error(
        `${String(err)}\n--- the demo printed:\n${printed.join("\n")}` +
          `\n--- the module's last log lines:\n${moduleLog.slice(-60).join("\n")}`,
      );
    }
    output = printed.join("\n");
    lines = output.split("\n");
    console.log(output); // the transcript the README shows
  }, 240_000);

  afterAll(async () => {
    mesh?.stop();
    await session?.stop();
    await cluster?.stop();
  });

  const lineAfter = (prefix: string, from = 0) => {
    const i = lines.findIndex((l, n) => n >= from && l.startsWith(prefix));
    if (i < 0) throw new Error(`no line starting ${JSON.stringify(prefix)} in:\n${output}`);
    return { line: lines[i]!, index: i };
  };

  it("injects the sidecar and refuses a Deployment that opts out in a mesh-required namespace", () => {
    expect(output).toMatch(/^hello-\S+\s+Running\s+istio-init,istio-proxy\s+hello$/m);
    expect(output).toMatch(
      /denied the request: Deployment demo\/legacy: spec\.template\.metadata\.annotations\["sidecar\.istio\.io\/inject"\]/,
    );
  });

  it("shows the shop's pods with their pod IPs and the loopback addresses they run on", () => {
    for (const [pod, sa] of [
      ["productpage-", "productpage"],
      ["reviews-v1-", "reviews"],
      ["reviews-v2-", "reviews"],
    ])
      expect(output).toMatch(
        new RegExp(`^${pod}\\S+\\s+10\\.244\\.\\d+\\.\\d+\\s+127\\.0\\.11\\.\\d\\s+${sa}$`, "m"),
      );
  });

  it("splits the canary 80/20 across v1 and v2", () => {
    const { line } = lineAfter(`productpage → reviews, ${CALLS} calls: `);
    const m = /v1: (\d+) {2}v2: (\d+)$/.exec(line);
    expect(m).not.toBeNull();
    const [v1, v2] = [Number(m![1]), Number(m![2])];
    expect(v1 + v2).toBe(CALLS);
    // Within 5 standard deviations of Binomial(1000, 0.2).
    expect(Math.abs(v2 - CALLS * 0.2)).toBeLessThanOrEqual(5 * Math.sqrt(CALLS * 0.2 * 0.8));
  });

  it("lets a plaintext client in before STRICT, refuses it after, and keeps mTLS calls working", () => {
    const before = lineAfter("legacy → ");
    expect(before.line).toMatch(/ Get: v1$/);
    const strict = lineAfter("$ kubectl apply -f examples/demo/strict-mtls.yaml", before.index);
    expect(lines[strict.index + 1]).toMatch(
      /peerauthentication.security.istio.io\/default created/,
    );
    const after = lineAfter("legacy → ", strict.index);
    expect(after.line).toMatch(/ Get: UNAVAILABLE: /);
    const mtls = lineAfter("productpage → reviews Get (mTLS", after.index).line;
    expect(mtls).toMatch(/: v[12]; 100 more calls: v1: \d+ {2}v2: \d+$/);
  });

  it("denies the Delete method and still serves Get", () => {
    expect(lineAfter("productpage → reviews Delete: ").line).toMatch(/: PERMISSION_DENIED: /);
    expect(lineAfter("productpage → reviews Get: ").line).toMatch(/Get: +v[12]$/);
  });

  it("lists every pod's proxy as SYNCED in rig proxy-status", () => {
    const { index } = lineAfter("$ npx rig proxy-status");
    expect(lines[index + 1]).toMatch(/^NAME\s+CLUSTER\s+CDS\s+LDS\s+EDS\s+RDS\s+SDS\s+VERSION$/);
    const rows = lines.slice(index + 2).filter(l => /\.shop\s/.test(l));
    expect(rows.map(r => r.split(/\s+/)[0]!.replace(/-[a-z0-9]+-[a-z0-9]+\.shop$/, ""))).toEqual([
      "productpage",
      "reviews-v1",
      "reviews-v1",
      "reviews-v2",
    ]);
    for (const row of rows) {
      expect(row).toMatch(/\bSYNCED\b/);
      expect(row).not.toMatch(/ERROR|STALE/);
    }
    expect(output).toMatch(/^demo: \d+\.\d s$/m);
  });

  it("ends with the rig dashboard line to open", () => {
    expect(lines.slice(-2)).toEqual([
      `# ${DASHBOARD_TITLE}`,
      `$ npx rig dashboard --xds-address ${xdsAddress}   # then open http://127.0.0.1:20001/`,
    ]);
  });
});
