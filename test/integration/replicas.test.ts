import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import { certificateServiceClient } from "../../ca/server/proto";
import { runDev, type DevSession } from "../../cli/dev/runner";
import { electionIntervals } from "../../control-plane/lease-decision";
import { PUBLISHED_BY_ANNOTATION } from "../../control-plane/root-cert-configmaps";
import { makeCsr, rsaKeyPair } from "../ca/fixtures";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { create, createNamespace, eventually, getJson } from "../harness/kube";
import { repoRoot } from "../harness/shared";
import { requestToken } from "../harness/tokens";
import { freeLoopbackPort } from "../harness/xds-echo";

/**
 * Issue 17 item 1 with real processes: two control-plane replicas (the built module, as `rig dev`
 * runs it) start together against a real API server with no CA Secret, race to create the
 * root, and elect one leader on a Lease; the leader is then killed with SIGKILL.
 */

const LEASE_SECONDS = 3;
const LEASE =
  "/apis/coordination.k8s.io/v1/namespaces/pepr-system/leases/rigging-control-plane-leader";

interface Replica {
  session: DevSession;
  lines: string[];
  tlsPort: number;
}
interface ConfigMapView {
  metadata: { annotations?: Record<string, string> };
  data?: Record<string, string>;
}
interface LeaseView {
  spec: { holderIdentity?: string; leaseTransitions?: number };
}
type CreateCertificate = (
  req: unknown,
  md: grpc.Metadata,
  opts: { deadline: number },
  cb: (err: grpc.ServiceError | null, res?: { cert_chain: string[] }) => void,
) => void;

let cluster: LocalCluster;
const replicas: Replica[] = [];

const logged = (r: Replica, msg: string) =>
  r.lines.map(l => JSON.parse(l) as Record<string, unknown>).filter(l => l.msg === msg);
const holder = async () =>
  (await cluster.api("GET", LEASE)).status === 200
    ? ((await getJson<LeaseView>(cluster, LEASE)).spec.holderIdentity ?? "")
    : undefined;
const rootConfigMap = (ns: string) =>
  getJson<ConfigMapView>(cluster, `/api/v1/namespaces/${ns}/configmaps/istio-ca-root-cert`);
const identityOf = (r: Replica) =>
  [
    ...logged(r, "became the control-plane leader"),
    ...logged(r, "following the control-plane leader"),
  ]
    .map(l => l.identity as string)
    .find(Boolean);

async function startReplica(): Promise<Replica> {
  const tlsPort = await freeLoopbackPort();
  const lines: string[] = [];
  const session = await runDev({
    build: false,
    moduleLog: line => {
      if (line.startsWith("{")) lines.push(line);
    },
    env: {
      LOG_LEVEL: "info",
      RIGGING_XDS_ADDRESS: "off",
      RIGGING_XDS_TLS_ADDRESS: `127.0.0.1:${tlsPort}`,
      RIGGING_LEASE_DURATION_SECONDS: String(LEASE_SECONDS),
    },
  });
  return { session, lines, tlsPort };
}

function issue(port: number, bearer: string, roots: string): Promise<string[]> {
  const Service = certificateServiceClient();
  const client = new Service(`127.0.0.1:${port}`, grpc.credentials.createSsl(Buffer.from(roots)), {
    "grpc.ssl_target_name_override": "localhost",
  }) as unknown as grpc.Client & { CreateCertificate: CreateCertificate };
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${bearer}`);
  const csr = makeCsr(rsaKeyPair().privateKeyPem, [{ uri: "spiffe://cluster.local/ns/a/sa/x" }]);
  return new Promise((resolve, reject) =>
    client.CreateCertificate(
      { csr, validity_duration: "3600" },
      md,
      { deadline: Date.now() + 10_000 },
      (err, res) => {
        client.close();
        if (err) reject(new Error(`CreateCertificate on ${port}: ${err.details}`));
        else resolve(res!.cert_chain);
      },
    ),
  );
}

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 1 });
  process.env.KUBECONFIG = cluster.kubeconfigPath;
  await createNamespace(cluster, "a");
  await create(cluster, "/api/v1/namespaces/a/serviceaccounts", { metadata: { name: "x" } });
  // Started together: both find no CA Secret and no Lease.
  replicas.push(...(await Promise.all([startReplica(), startReplica()])));
  for (const r of replicas) {
    await eventually("both CA ports", async () =>
      logged(r, "xDS + CA (TLS) listening").length > 0 ? true : undefined,
    ).catch(err => {
      throw new Error(`${String(err)}; module log:\n${r.lines.slice(-30).join("\n")}`);
    });
  }
});

afterAll(async () => {
  for (const r of replicas) await r.session.stop().catch(() => undefined);
  await cluster?.stop();
});

describe("two control-plane replicas", () => {
  it("racing on an empty cluster end with one root, and both issue certificates chaining to it", async () => {
    const secret = await getJson<{ data: Record<string, string> }>(
      cluster,
      "/api/v1/namespaces/pepr-system/secrets/rigging-ca",
    );
    const root = new X509Certificate(Buffer.from(secret.data["root-cert.pem"]!, "base64"));
    const generated = replicas.map(
      r => logged(r, "generated a self-signed root CA and persisted it").length,
    );
    const lost = replicas.map(
      r =>
        logged(r, "another replica created the self-signed root first; signing under its root")
          .length,
    );
    console.log(
      `CA race: created the root ${JSON.stringify(generated)}, lost the create (HTTP 409) ${JSON.stringify(lost)}, root ${root.fingerprint256.slice(0, 23)}`,
    );
    expect(generated.reduce((a, b) => a + b)).toBe(1);
    const token = await requestToken(cluster, "a", "x");
    for (const r of replicas) {
      const chain = await issue(r.tlsPort, token, root.toString());
      const leaf = new X509Certificate(chain[0]!);
      expect(leaf.checkIssued(root)).toBe(true);
      expect(leaf.verify(root.publicKey)).toBe(true);
      expect(new X509Certificate(chain[chain.length - 1]!).fingerprint256).toBe(
        root.fingerprint256,
      );
    }
  });

  it("creating the root at the same instant: the API server takes one create, both end with its root", async () => {
    // Released together by a barrier file, each contender reads no Secret, generates a root and
    // creates it: one create wins, the other gets 409 and adopts the winner's root. A namespace of
    // its own, so the running replicas' Secret watch stays out of it.
    await createNamespace(cluster, "race");
    const dir = mkdtempSync(join(tmpdir(), "rigging-ca-race-"));
    const barrier = join(dir, "go");
    const contender = () => {
      const child = spawn(
        join(repoRoot, "node_modules", ".bin", "tsx"),
        [join(repoRoot, "test", "harness", "ca-race-child.ts"), barrier, "race"],
        { cwd: repoRoot, env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath } },
      );
      let out = "";
      let err = "";
      child.stdout.on("data", c => (out += c));
      child.stderr.on("data", c => (err += c));
      return new Promise<{ root: string; log: string }>((resolve, reject) =>
        child.on("close", code =>
          code === 0
            ? resolve({ root: (JSON.parse(out) as { root: string }).root, log: err })
            : reject(new Error(`contender exited ${code}: ${err}`)),
        ),
      );
    };
    const running = [contender(), contender()];
    // tsx takes a few seconds to load; both are waiting on the barrier by then.
    await new Promise(r => setTimeout(r, 8_000));
    writeFileSync(barrier, "");
    const [a, b] = await Promise.all(running);
    rmSync(dir, { recursive: true, force: true });
    const outcome = [a!, b!].map(c =>
      c.log.includes("generated a self-signed root CA and persisted it")
        ? "created"
        : c.log.includes("another replica created the self-signed root first")
          ? "lost the create (409)"
          : "read it",
    );
    console.log(`CA race at a barrier: ${JSON.stringify(outcome)}`);
    expect(outcome.filter(o => o === "created")).toHaveLength(1);
    // Both read "absent" and both created: the conflict path, not a late read, decided it.
    expect(outcome).toContain("lost the create (409)");
    expect(a!.root).toBe(b!.root);
    const secret = await getJson<{ data: Record<string, string> }>(
      cluster,
      "/api/v1/namespaces/race/secrets/rigging-ca",
    );
    expect(Buffer.from(secret.data["root-cert.pem"]!, "base64").toString()).toBe(a!.root);
  });

  it("elect one leader that alone publishes the roots; after SIGKILL the other takes over within the lease", async () => {
    const leaderId = await eventually("a Lease holder", async () => (await holder()) || undefined);
    const leader = replicas.find(r => identityOf(r) === leaderId)!;
    const follower = replicas.find(r => r !== leader)!;
    expect(leader).toBeDefined();
    expect(logged(leader, "became the control-plane leader")).toHaveLength(1);
    expect(logged(follower, "became the control-plane leader")).toHaveLength(0);
    expect(logged(follower, "following the control-plane leader")[0]?.leader).toBe(leaderId);
    const cm = await eventually("the root ConfigMap in a", async () =>
      rootConfigMap("a").catch(() => undefined),
    );
    expect(cm.metadata.annotations?.[PUBLISHED_BY_ANNOTATION]).toBe(leaderId);
    expect(
      logged(leader, "published the mesh root certificate to every namespace").length,
    ).toBeGreaterThan(0);
    expect(logged(follower, "published the mesh root certificate to every namespace")).toHaveLength(
      0,
    );

    const followerId = identityOf(follower)!;
    leader.session.child.kill("SIGKILL");
    const killedAt = Date.now();
    await eventually(
      "the follower holding the Lease",
      async () => ((await holder()) === followerId ? true : undefined),
      30_000,
    );
    const takeoverMs = Date.now() - killedAt;
    const { retryMs } = electionIntervals(LEASE_SECONDS);
    console.log(
      `leader takeover after SIGKILL: ${takeoverMs} ms (lease ${LEASE_SECONDS} s, retry ${retryMs} ms; bound lease + 2 retries = ${LEASE_SECONDS * 1000 + 2 * retryMs} ms)`,
    );
    // client-go's bound: a follower times the lease from when it last saw a renewal (up to one
    // retry after it), and notices expiry on its next retry.
    expect(takeoverMs).toBeLessThanOrEqual(LEASE_SECONDS * 1000 + 2 * retryMs);
    const lease = await getJson<LeaseView>(cluster, LEASE);
    expect(lease.spec.leaseTransitions).toBe(1);
    expect(logged(follower, "became the control-plane leader")[0]).toMatchObject({
      previousLeader: leaderId,
      reason: "expired",
    });

    // The new leader republishes everywhere, and serves namespaces created after the takeover.
    await eventually("a republished by the new leader", async () =>
      (await rootConfigMap("a")).metadata.annotations?.[PUBLISHED_BY_ANNOTATION] === followerId
        ? true
        : undefined,
    );
    await createNamespace(cluster, "b");
    const b = await eventually("the root ConfigMap in b", async () =>
      rootConfigMap("b").catch(() => undefined),
    );
    expect(b.metadata.annotations?.[PUBLISHED_BY_ANNOTATION]).toBe(followerId);
    expect(b.data?.["root-cert.pem"]).toBe(cm.data?.["root-cert.pem"]);
  });
});
