// One `CreateCertificate` through gRPC over TLS, with the caller's token checked by a real
// TokenReview against a local kube-apiserver, against the same call with the token check
// answered in-process (the baseline), measured in one run on one control plane pair.
//
//   npx tsx bench/ca-tokenreview.bench.ts [calls=200]
import * as grpc from "@grpc/grpc-js";
import { nodeCaDeps } from "../ca/server/node-crypto";
import { certificateServiceClient } from "../ca/server/proto";
import { certificateRequest } from "../cli/agent/request-certificate";
import { startCluster } from "../cli/local-cluster/cluster";
import { jsonLinesToStderr } from "../control-plane/logger";
import { MeshCa } from "../control-plane/mesh-ca";
import { startControlPlane, type ControlPlane } from "../control-plane/start";
import { tokenReviewAuthenticator } from "../control-plane/token-review";
import { ok } from "../mesh/result";
import { MemoryStore } from "../test/control-plane/fakes";

type Call = (
  req: unknown,
  md: grpc.Metadata,
  opts: { deadline: number },
  cb: (err: grpc.ServiceError | null, res?: { cert_chain: string[] }) => void,
) => void;

const calls = Number(process.argv[2] ?? 200);
const quiet = { ...jsonLinesToStderr, info: () => undefined };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function measure(
  plane: ControlPlane,
  ca: MeshCa,
  token: string,
  csr: string,
): Promise<number[]> {
  const Service = certificateServiceClient();
  const client = new Service(
    `127.0.0.1:${plane.xdsTlsPort()}`,
    grpc.credentials.createSsl(Buffer.from(ca.bundle())),
    {
      "grpc.ssl_target_name_override": "localhost",
    },
  ) as unknown as grpc.Client & { CreateCertificate: Call };
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${token}`);
  const once = () =>
    new Promise<void>((resolve, reject) =>
      client.CreateCertificate(
        { csr, validity_duration: "3600" },
        md,
        { deadline: Date.now() + 10_000 },
        err => (err ? reject(new Error(`${err.code}: ${err.details}`)) : resolve()),
      ),
    );
  for (let i = 0; i < 10; i++) await once(); // warm-up: TLS session, JIT
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await once();
    ms.push(performance.now() - t);
  }
  client.close();
  return ms.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const cluster = await startCluster({ nodes: 1 });
  const planes: ControlPlane[] = [];
  try {
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    await cluster.api("POST", "/api/v1/namespaces", { metadata: { name: "a" } });
    await cluster.api("POST", "/api/v1/namespaces/a/serviceaccounts", { metadata: { name: "x" } });
    const res = await cluster.api("POST", "/api/v1/namespaces/a/serviceaccounts/x/token", {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      spec: { audiences: ["istio-ca"], expirationSeconds: 3600 },
    });
    const token = (res.body as { status: { token: string } }).status.token;
    const csr = certificateRequest(nodeCaDeps.generateKey());
    const start = async (authenticate: Parameters<typeof startControlPlane>[0]["authenticate"]) => {
      const ca = new MeshCa({ store: new MemoryStore(), logger: quiet, deps: nodeCaDeps });
      const plane = startControlPlane({
        xdsTlsAddress: "127.0.0.1:0",
        ca,
        deps: nodeCaDeps,
        authenticate,
        logger: quiet,
      });
      planes.push(plane);
      await plane.ready;
      return { plane, ca };
    };
    const fake = await start(async () => ok({ namespace: "a", serviceAccount: "x" }));
    const real = await start(tokenReviewAuthenticator());
    const baseline = await measure(fake.plane, fake.ca, token, csr);
    const reviewed = await measure(real.plane, real.ca, token, csr);
    const row = (name: string, ms: number[]) =>
      `${name.padEnd(34)} p50 ${percentile(ms, 50).toFixed(2).padStart(7)} ms   p99 ${percentile(ms, 99).toFixed(2).padStart(7)} ms`;
    console.log(
      `CreateCertificate over TLS on loopback, ${calls} sequential calls each (RSA 2048 leaf, 1 h TTL)`,
    );
    console.log(row("token check in-process (baseline)", baseline));
    console.log(row("TokenReview against kube-apiserver", reviewed));
    console.log(
      `ratio p50 ${(percentile(reviewed, 50) / percentile(baseline, 50)).toFixed(2)}x, p99 ${(percentile(reviewed, 99) / percentile(baseline, 99)).toFixed(2)}x`,
    );
  } finally {
    await Promise.all(planes.map(p => p.stop()));
    await cluster.stop();
  }
}

void main().then(
  () => process.exit(0),
  err => {
    console.error(err);
    process.exit(1);
  },
);
