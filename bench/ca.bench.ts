/**
 * Certificate-signing throughput for RSA 2048, against the raw `crypto.sign` limit of this
 * machine measured in the same run. Run: `npx tsx bench/ca.bench.ts [seconds-per-case]`.
 *
 * Cases (each a full workload issuance — CSR parse + self-signature check + build + sign —
 * except the baseline):
 *   raw crypto.sign      Node/OpenSSL RSASSA-PKCS1-v1_5 over a TBSCertificate-sized buffer
 *   issue, Node signer   ca/ with the injected native signer (the production wiring)
 *   issue, forge signer  ca/ with pure-JS node-forge signing (the default when nothing is injected)
 *   CreateCertificate    one gRPC call over TLS on loopback, fake authenticator (no TokenReview)
 */
import { createPrivateKey, sign } from "node:crypto";
import { credentials, Metadata, type Client, type ServiceError } from "@grpc/grpc-js";
import forge from "node-forge";
import type { Authority } from "../ca/authority";
import { issueServingCertificate, issueWorkloadCertificate } from "../ca/issue";
import { createSelfSignedRoot } from "../ca/self-signed-root";
import { nodeKeyGenerator, nodeSigner, systemRandomBytes } from "../ca/server/node-crypto";
import { certificateServiceClient } from "../ca/server/proto";
import { startCertificateServer } from "../ca/server/serve";
import { forgeSigner, signCertificate } from "../ca/sign";
import { DEFAULT_TTL_POLICY } from "../ca/ttl";
import { ok } from "../mesh/result";

const seconds = Number(process.argv[2] ?? 3);
const now = () => new Date();
const deps = { now, randomBytes: systemRandomBytes };
const identity = { trustDomain: "cluster.local", namespace: "a", serviceAccount: "x" };

function rate(name: string, budgetSeconds: number, op: () => void): number {
  op(); // warm-up
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < budgetSeconds * 1000) {
    op();
    n++;
  }
  const perSecond = n / ((performance.now() - start) / 1000);
  console.log(
    `${name.padEnd(24)} ${perSecond.toFixed(1).padStart(9)} /s   (${n} in ~${budgetSeconds}s)`,
  );
  return perSecond;
}

function authority(): Authority {
  const r = createSelfSignedRoot({ key: nodeKeyGenerator(), signerFor: nodeSigner, ...deps });
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.value.authority;
}

function csr(): string {
  const keyPem = nodeKeyGenerator()();
  const key = forge.pki.privateKeyFromPem(keyPem);
  const req = forge.pki.createCertificationRequest();
  req.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  req.setAttributes([
    {
      name: "extensionRequest",
      extensions: [
        {
          name: "subjectAltName",
          altNames: [{ type: 6, value: "spiffe://cluster.local/ns/a/sa/x" }],
        },
      ],
    },
  ]);
  signCertificate(req, nodeSigner(keyPem));
  return forge.pki.certificationRequestToPem(req);
}

async function grpcLatency(ca: Authority, csrPem: string, calls: number): Promise<number[]> {
  const serverKey = nodeKeyGenerator()();
  const publicKeyPem = forge.pki.publicKeyToPem(
    forge.pki.setRsaPublicKey(
      forge.pki.privateKeyFromPem(serverKey).n,
      forge.pki.privateKeyFromPem(serverKey).e,
    ),
  );
  const serving = issueServingCertificate(
    ca,
    { publicKeyPem, dnsNames: ["istiod.istio-system.svc"], ttlSeconds: 3600 },
    deps,
  );
  if (!serving.ok) throw new Error(serving.errors.join());
  const server = await startCertificateServer({
    host: "127.0.0.1",
    port: 0,
    tls: { certChainPem: serving.value.certChain.join(""), privateKeyPem: serverKey },
    authority: () => ca,
    authenticate: async () => ok({ namespace: "a", serviceAccount: "x" }),
    trustDomain: () => "cluster.local",
    policy: DEFAULT_TTL_POLICY,
    deps,
  });
  const Service = certificateServiceClient();
  const client: Client = new Service(
    `127.0.0.1:${server.port}`,
    credentials.createSsl(Buffer.from(ca.rootPem)),
    {
      "grpc.ssl_target_name_override": "istiod.istio-system.svc",
    },
  );
  const md = new Metadata();
  md.set("authorization", "Bearer t");
  const once = () =>
    new Promise<number>((resolve, reject) => {
      const start = performance.now();
      (client as unknown as Record<string, (...a: unknown[]) => void>).CreateCertificate!(
        { csr: csrPem, validity_duration: 3600 },
        md,
        (err: ServiceError | null) => (err ? reject(err) : resolve(performance.now() - start)),
      );
    });
  await once(); // connection set-up and TLS handshake are not part of a steady-state call
  const samples: number[] = [];
  for (let i = 0; i < calls; i++) samples.push(await once());
  client.close();
  await server.close();
  return samples.sort((a, b) => a - b);
}

async function main(): Promise<void> {
  const ca = authority();
  const csrPem = csr();
  const request = { csrPem, identity, requestedTtlSeconds: 3600 };
  const forgeCa = { ...ca, sign: forgeSigner(ca.key.reveal()) };
  // The baseline signs as many bytes as a real workload TBSCertificate holds.
  const sample = issueWorkloadCertificate(ca, request, DEFAULT_TTL_POLICY, deps);
  if (!sample.ok) throw new Error(sample.errors.join());
  const tbs = forge.pki.certificateFromPem(sample.value.certPem).tbsCertificate;
  const tbsSized = new Uint8Array(forge.asn1.toDer(tbs).length());
  const key = createPrivateKey(ca.key.reveal());

  console.log(
    `RSA 2048, sha256WithRSAEncryption, TBS ${tbsSized.length} bytes, node ${process.version}, ${seconds}s per case\n`,
  );
  const raw = rate("raw crypto.sign", seconds, () => sign("sha256", tbsSized, key));
  const native = rate("issue, Node signer", seconds, () => {
    if (!issueWorkloadCertificate(ca, request, DEFAULT_TTL_POLICY, deps).ok)
      throw new Error("refused");
  });
  const pure = rate("issue, forge signer", seconds, () => {
    if (!issueWorkloadCertificate(forgeCa, request, DEFAULT_TTL_POLICY, deps).ok)
      throw new Error("refused");
  });
  const latencies = await grpcLatency(ca, csrPem, 50);
  const pct = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;

  console.log(`\nissue, Node signer  / raw crypto.sign: ${(native / raw).toFixed(3)}`);
  console.log(`issue, forge signer / raw crypto.sign: ${(pure / raw).toFixed(4)}`);
  console.log(`issue, Node signer  / issue, forge signer: ${(native / pure).toFixed(1)}x`);
  console.log(
    `CreateCertificate over TLS loopback (fake authenticator, Node signer), ${latencies.length} calls: ` +
      `p50 ${pct(0.5).toFixed(2)} ms, p90 ${pct(0.9).toFixed(2)} ms, max ${pct(1).toFixed(2)} ms`,
  );
}

main().catch(e => {
  console.error(e);
  process.exit(1);
});
