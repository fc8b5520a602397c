import { spawn, spawnSync } from "node:child_process";
import { createPrivateKey, sign, X509Certificate } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:tls";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { Registry } from "prom-client";
import { certificateServiceClient } from "../../ca/server/proto";
import { nodeCaDeps } from "../../ca/server/node-crypto";
import { describe as describeError } from "../../cli/agent/cert-agent";
import { certificateRequest, requestCertificate } from "../../cli/agent/request-certificate";
import { runDev, type DevSession } from "../../cli/dev/runner";
import { repoRoot } from "../../cli/local-cluster/binaries";
import { kubernetesCaSecretStore } from "../../control-plane/ca-secrets";
import { jsonLinesToStderr } from "../../control-plane/logger";
import { MeshCa } from "../../control-plane/mesh-ca";
import { createSnapshot } from "../../xds/cache/snapshot";
import { SnapshotCache } from "../../xds/cache/snapshot-cache";
import { DiscoveryServer } from "../../xds/server/discovery-server";
import { makeCsr, opensslVerify, rsaKeyPair, scratchDir } from "../ca/fixtures";
import { OpensslCa } from "../ca/openssl-ca";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { create, eventually, getJson } from "../harness/kube";
import { pinXdsServerToLoopback } from "../harness/xds-bootstrap";
import { callEcho, ECHO_SERVICE, echoHandlers, freeLoopbackPort } from "../harness/xds-echo";
import { mtlsBootstrapOptions, withClientMtls, withServerMtls } from "../harness/xds-mtls";
import {
  clientListener,
  edsCluster,
  endpoints,
  serverListener,
  serverRoute,
  weightedRoute,
} from "../harness/xds-resources";

/**
 * Issue 4 against a real API server: the module (`rig dev`) runs the CA on 127.0.0.1, tokens come
 * from the TokenRequest API and are checked by TokenReview, roots are read from the published
 * `istio-ca-root-cert` ConfigMaps, and two grpc-js-xds workloads talk mTLS with certificates
 * `rig agent certs` wrote.
 */

interface ConfigMapView {
  data?: Record<string, string>;
}
type CreateCertificate = (
  req: unknown,
  md: grpc.Metadata,
  opts: { deadline: number },
  cb: (err: grpc.ServiceError | null, res?: { cert_chain: string[] }) => void,
) => void;

const SPIFFE_AX = "spiffe://cluster.local/ns/a/sa/x";
const MAX_TTL = 90 * 24 * 3600;

let cluster: LocalCluster;
let session: DevSession;
let tlsPort: number;
const moduleLines: string[] = [];
const tokensSeen: string[] = [];
const tmp = scratchDir();

async function namespace(name: string, serviceAccounts: string[] = []): Promise<void> {
  await create(cluster, "/api/v1/namespaces", { metadata: { name } });
  for (const sa of serviceAccounts) {
    await create(cluster, `/api/v1/namespaces/${name}/serviceaccounts`, { metadata: { name: sa } });
  }
}

async function token(ns: string, sa: string, audiences = ["istio-ca"]): Promise<string> {
  const res = await cluster.api("POST", `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, {
    apiVersion: "authentication.k8s.io/v1",
    kind: "TokenRequest",
    spec: { audiences, expirationSeconds: 3600 },
  });
  if (res.status !== 201) throw new Error(`TokenRequest ${ns}/${sa}: HTTP ${res.status}`);
  const t = (res.body as { status: { token: string } }).status.token;
  tokensSeen.push(t);
  return t;
}

/** A token the cluster's own key signed, for a real ServiceAccount, that expired an hour ago. */
async function expiredToken(ns: string, sa: string): Promise<string> {
  const account = await getJson<{ metadata: { uid: string } }>(
    cluster,
    `/api/v1/namespaces/${ns}/serviceaccounts/${sa}`,
  );
  const now = Math.floor(Date.now() / 1000);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const unsigned = `${b64({ alg: "RS256", typ: "JWT" })}.${b64({
    iss: "https://kubernetes.default.svc.cluster.local",
    sub: `system:serviceaccount:${ns}:${sa}`,
    aud: ["istio-ca"],
    iat: now - 7200,
    nbf: now - 7200,
    exp: now - 3600,
    "kubernetes.io": { namespace: ns, serviceaccount: { name: sa, uid: account.metadata.uid } },
  })}`;
  const key = createPrivateKey(readFileSync(join(cluster.state.dir, "pki", "sa.key")));
  const t = `${unsigned}.${sign("sha256", Buffer.from(unsigned), key).toString("base64url")}`;
  tokensSeen.push(t);
  return t;
}

async function publishedRoot(ns: string): Promise<string> {
  return eventually(`istio-ca-root-cert in ${ns}`, async () => {
    const res = await cluster.api("GET", `/api/v1/namespaces/${ns}/configmaps/istio-ca-root-cert`);
    return res.status === 200 ? (res.body as ConfigMapView).data?.["root-cert.pem"] : undefined;
  });
}

/** One raw CreateCertificate with a CSR and TTL of the test's choosing. */
function createCertificate(
  bearer: string,
  csr: string,
  ttl: number,
  roots: string,
): Promise<{ chain: string[] } | { code: string; message: string }> {
  const Service = certificateServiceClient();
  const client = new Service(
    `127.0.0.1:${tlsPort}`,
    grpc.credentials.createSsl(Buffer.from(roots)),
    {
      "grpc.ssl_target_name_override": "localhost",
    },
  ) as unknown as grpc.Client & { CreateCertificate: CreateCertificate };
  const md = new grpc.Metadata();
  md.set("authorization", `Bearer ${bearer}`);
  return new Promise(resolve =>
    client.CreateCertificate(
      { csr, validity_duration: String(ttl) },
      md,
      { deadline: Date.now() + 10_000 },
      (err, res) => {
        client.close();
        if (err) resolve({ code: grpc.status[err.code], message: err.details });
        else resolve({ chain: res!.cert_chain });
      },
    ),
  );
}

/** Runs `rig agent certs --once` as a separate process, as a workload's init step would. */
function agentCertsOnce(tokenFile: string, rootFile: string, outDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        join(repoRoot, "bin", "rig.cjs"),
        "agent",
        "certs",
        "--once",
        `--ca-address=127.0.0.1:${tlsPort}`,
        `--token-file=${tokenFile}`,
        `--root-cert=${rootFile}`,
        `--out-dir=${outDir}`,
      ],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", c => (out += c));
    child.stderr.on("data", c => (out += c));
    child.on("close", code =>
      code === 0 ? resolve(out) : reject(new Error(`rig agent certs exited ${code}:\n${out}`)),
    );
  });
}

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 1 });
  process.env.KUBECONFIG = cluster.kubeconfigPath;
  const [xdsPort, port] = [await freeLoopbackPort(), await freeLoopbackPort()];
  tlsPort = port;
  await namespace("a", ["x", "y", "server", "client"]);
  session = await runDev({
    build: false,
    moduleLog: line => void moduleLines.push(line),
    env: {
      // Info, not the test default (warn): lifecycle lines are what a leak would hide in.
      LOG_LEVEL: "info",
      RIGGING_XDS_ADDRESS: `127.0.0.1:${xdsPort}`,
      RIGGING_XDS_TLS_ADDRESS: `127.0.0.1:${tlsPort}`,
    },
  });
  await publishedRoot("a");
  await eventually("the CA port", async () =>
    moduleLines.some(l => l.includes("xDS + CA (TLS) listening")) ? true : undefined,
  ).catch(err => {
    throw new Error(`${String(err)}; module log:\n${moduleLines.slice(-40).join("\n")}`);
  });
});

afterAll(async () => {
  await session?.stop();
  await cluster?.stop();
  tmp.cleanup();
});

describe("the CA on a real API server", () => {
  it("a token for ns/a sa/x gets a certificate whose only SAN is its SPIFFE ID, verifying against the published root", async () => {
    const root = await publishedRoot("a");
    const key = rsaKeyPair();
    const got = await createCertificate(await token("a", "x"), makeCsr(key.privateKeyPem), 0, root);
    if (!("chain" in got)) throw new Error(JSON.stringify(got));
    const leaf = new X509Certificate(got.chain[0]!);
    expect(leaf.subjectAltName).toBe(`URI:${SPIFFE_AX}`);
    expect(leaf.checkPrivateKey(createPrivateKey(key.privateKeyPem))).toBe(true);
    expect(got.chain.at(-1)).toBe(root);
    const verified = opensslVerify(
      { root, leaf: got.chain[0]!, untrusted: got.chain.slice(1, -1).join("") || undefined },
      new Date(),
      "sslclient",
    );
    expect(verified.output).toContain("OK");
    expect(verified.status).toBe(0);
  });

  it.each<[string, () => Promise<[string, string, number]>, string, RegExp]>([
    [
      "a token for another ServiceAccount than the CSR names",
      async () => [
        await token("a", "y"),
        makeCsr(rsaKeyPair().privateKeyPem, [{ uri: SPIFFE_AX }]),
        0,
      ],
      "INVALID_ARGUMENT",
      /csr: asks for SAN URI:spiffe:\/\/cluster.local\/ns\/a\/sa\/x; only URI:spiffe:\/\/cluster.local\/ns\/a\/sa\/y/,
    ],
    [
      "an expired token",
      async () => [await expiredToken("a", "x"), makeCsr(rsaKeyPair().privateKeyPem), 0],
      "UNAUTHENTICATED",
      /authentication: token refused by the API server's TokenReview for audience "istio-ca".*expired/,
    ],
    [
      "a token for another audience",
      async () => [await token("a", "x", ["vault"]), makeCsr(rsaKeyPair().privateKeyPem), 0],
      "UNAUTHENTICATED",
      /authentication: token refused .*audience/,
    ],
    [
      "a token for the API server's own audience",
      async () => [
        await token("a", "x", ["https://kubernetes.default.svc.cluster.local"]),
        makeCsr(rsaKeyPair().privateKeyPem),
        0,
      ],
      "UNAUTHENTICATED",
      /authentication: token refused/,
    ],
    [
      "a CSR with extra SANs",
      async () => [
        await token("a", "x"),
        makeCsr(rsaKeyPair().privateKeyPem, [{ uri: SPIFFE_AX }, { dns: "evil.example.com" }]),
        0,
      ],
      "INVALID_ARGUMENT",
      /csr: asks for SAN DNS:evil.example.com/,
    ],
    [
      "a malformed CSR",
      async () => [
        await token("a", "x"),
        "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
        0,
      ],
      "INVALID_ARGUMENT",
      /^csr: /,
    ],
    [
      "a TTL over the maximum",
      async () => [await token("a", "x"), makeCsr(rsaKeyPair().privateKeyPem), MAX_TTL + 1],
      "INVALID_ARGUMENT",
      new RegExp(`validity_duration: ${MAX_TTL + 1}s exceeds the maximum of ${MAX_TTL}s`),
    ],
    [
      "a garbage token",
      async () => ["not-a-token", makeCsr(rsaKeyPair().privateKeyPem), 0],
      "UNAUTHENTICATED",
      /authentication: token refused/,
    ],
  ])("refuses %s", async (_, input, code, message) => {
    const [bearer, csr, ttl] = await input();
    const got = await createCertificate(bearer, csr, ttl, await publishedRoot("a"));
    expect(got).toEqual({ code, message: expect.stringMatching(message) });
  });

  it("every namespace created gets istio-ca-root-cert within seconds", async () => {
    const expected = await publishedRoot("a");
    const started = Date.now();
    await Promise.all(["n1", "n2", "n3"].map(ns => namespace(ns)));
    for (const ns of ["n1", "n2", "n3"]) {
      expect(await publishedRoot(ns)).toBe(expected);
    }
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("puts back an istio-ca-root-cert someone deleted or edited", async () => {
    const expected = await publishedRoot("n1");
    await cluster.api("DELETE", "/api/v1/namespaces/n1/configmaps/istio-ca-root-cert");
    await eventually(
      "the ConfigMap back",
      async () => ((await publishedRoot("n1")) === expected ? true : undefined),
      10_000,
    );
    await cluster.api("PUT", "/api/v1/namespaces/n2/configmaps/istio-ca-root-cert", {
      metadata: { name: "istio-ca-root-cert", namespace: "n2" },
      data: { "root-cert.pem": "tampered" },
    });
    await eventually(
      "the ConfigMap repaired",
      async () => ((await publishedRoot("n2")) === expected ? true : undefined),
      10_000,
    );
  });

  it("two workloads with certificates from `rig agent certs` talk mTLS over grpc-js-xds, and keep talking after a rotation", async () => {
    grpcXds.register();
    const rootFile = join(tmp.dir, "mesh-root.pem");
    writeFileSync(rootFile, await publishedRoot("a"));
    const dirs = { server: join(tmp.dir, "server-certs"), client: join(tmp.dir, "client-certs") };
    const tokenFiles = {
      server: join(tmp.dir, "server-token"),
      client: join(tmp.dir, "client-token"),
    };
    const refresh = async () => {
      for (const who of ["server", "client"] as const) {
        writeFileSync(tokenFiles[who], await token("a", who));
        const out = await agentCertsOnce(tokenFiles[who], rootFile, dirs[who]);
        expect(out).toMatch(/wrote cert-chain.pem, key.pem, root-cert.pem/);
        expect(out).not.toMatch(/PRIVATE KEY|eyJ/);
      }
    };
    await refresh();
    const leafOf = (who: "server" | "client") =>
      new X509Certificate(readFileSync(join(dirs[who], "cert-chain.pem"), "utf8"));
    expect(leafOf("server").subjectAltName).toBe("URI:spiffe://cluster.local/ns/a/sa/server");

    const TARGET = "echo.a.svc.cluster.local:80";
    const CLIENT = "sidecar~127.0.0.1~client.a~a.svc.cluster.local";
    const SERVER = "sidecar~127.0.0.1~server.a~a.svc.cluster.local";
    const cache = new SnapshotCache();
    const ads = new DiscoveryServer({ cache, registry: new Registry() });
    const adsPort = await ads.listen("127.0.0.1:0");
    const servicePort = await freeLoopbackPort();
    const snapshot = createSnapshot([
      clientListener(TARGET, "echo-route"),
      weightedRoute("echo-route", TARGET, { "echo-mtls": 100 }),
      withClientMtls(edsCluster("echo-mtls"), ["spiffe://cluster.local/ns/a/sa/server"]),
      endpoints("echo-mtls", [servicePort]),
      withServerMtls(serverListener(servicePort, "inbound-route")),
      serverRoute("inbound-route"),
    ]);
    if (!snapshot.ok) throw new Error(snapshot.errors.join("\n"));
    cache.set(CLIENT, snapshot.value);
    cache.set(SERVER, snapshot.value);

    const server = new grpcXds.XdsServer(
      mtlsBootstrapOptions(adsPort, SERVER, dirs.server) as ConstructorParameters<
        typeof grpcXds.XdsServer
      >[0],
    );
    server.addService(ECHO_SERVICE, echoHandlers("mtls-server"));
    const address = `127.0.0.1:${servicePort}`;
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(
        address,
        new grpcXds.XdsServerCredentials(grpc.ServerCredentials.createInsecure()),
        err => (err ? reject(err) : resolve()),
      );
      pinXdsServerToLoopback(server, address);
    });
    const xdsClient = () =>
      new grpc.Client(
        `xds:///${TARGET}`,
        new grpcXds.XdsChannelCredentials(grpc.credentials.createInsecure()),
        mtlsBootstrapOptions(adsPort, CLIENT, dirs.client),
      );
    const client = xdsClient();
    const servedLeaf = () =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(
          {
            host: "127.0.0.1",
            port: servicePort,
            ca: readFileSync(join(dirs.client, "root-cert.pem")),
            cert: readFileSync(join(dirs.client, "cert-chain.pem")),
            key: readFileSync(join(dirs.client, "key.pem")),
            checkServerIdentity: () => undefined,
            ALPNProtocols: ["h2"],
          },
          () => {
            resolve(socket.getPeerCertificate().fingerprint256);
            socket.end();
          },
        );
        socket.on("error", reject);
      });
    try {
      expect(
        await eventually(
          "an mTLS call",
          async () => {
            const who = await callEcho(client);
            return who === "mtls-server" ? who : undefined;
          },
          20_000,
        ),
      ).toBe("mtls-server");
      // The port really demands TLS with a client certificate: a plaintext caller is turned away.
      const plain = new grpc.Client(address, grpc.credentials.createInsecure());
      expect(await callEcho(plain, 2000)).toMatch(/^error:/);
      plain.close();
      const before = await servedLeaf();
      expect(before).toBe(leafOf("server").fingerprint256);

      await refresh(); // forced rotation: new keys and certificates for both workloads
      const rotated = leafOf("server").fingerprint256;
      expect(rotated).not.toBe(before);
      await eventually(
        "the server presenting its new certificate",
        async () => ((await servedLeaf()) === rotated ? true : undefined),
        10_000,
      );
      for (let i = 0; i < 20; i++) expect(await callEcho(client)).toBe("mtls-server");
      const fresh = xdsClient();
      expect(
        await eventually(
          "a new client after rotation",
          async () => {
            const who = await callEcho(fresh);
            return who === "mtls-server" ? who : undefined;
          },
          20_000,
        ),
      ).toBe("mtls-server");
      fresh.close();
    } finally {
      client.close();
      server.forceShutdown();
      await ads.stop(100);
    }
  });

  it("a plug-in CA from cacerts with an intermediate: chains verify with openssl, and the new root reaches every namespace next to the old one", async () => {
    const oldRoot = await publishedRoot("a");
    const dir = scratchDir();
    try {
      const gen = new OpensslCa(dir.dir);
      const root = gen.root("root", "/O=Plugin Root");
      const inter = gen.issue("inter", "/O=Plugin Intermediate", "root");
      const b64 = (s: string) => Buffer.from(s).toString("base64");
      await create(cluster, "/api/v1/namespaces/pepr-system/secrets", {
        metadata: { name: "cacerts" },
        data: {
          "ca-cert.pem": b64(inter),
          "ca-key.pem": b64(gen.read("inter-key.pem")),
          "root-cert.pem": b64(root),
          "cert-chain.pem": b64(inter + root),
        },
      });
      for (const ns of ["a", "n1", "n2", "n3", "default", "pepr-system"]) {
        await eventually(
          `the plug-in root in ${ns}`,
          async () => {
            const bundle = await publishedRoot(ns);
            return bundle.startsWith(root) && bundle.includes(oldRoot) ? true : undefined;
          },
          15_000,
        );
      }
      const bundle = await publishedRoot("a");
      const got = await eventually(
        "a certificate from the plug-in CA",
        async () => {
          const r = await createCertificate(
            await token("a", "x"),
            makeCsr(rsaKeyPair().privateKeyPem),
            0,
            bundle,
          );
          return "chain" in r && r.chain.at(-1) === root ? r.chain : undefined;
        },
        15_000,
      );
      expect(got).toHaveLength(3);
      writeFileSync(dir.path("root-cert.pem"), root);
      writeFileSync(dir.path("leaf.pem"), got[0]!);
      writeFileSync(dir.path("chain.pem"), got[1]!);
      const out = spawnSync(
        "openssl",
        ["verify", "-CAfile", "root-cert.pem", "-untrusted", "chain.pem", "leaf.pem"],
        { cwd: dir.dir, encoding: "utf8" },
      );
      expect(`${out.stdout}${out.stderr}`).toBe("leaf.pem: OK\n");

      // Bad input: a cacerts whose key does not match keeps the plug-in authority in service.
      await cluster.api("PUT", "/api/v1/namespaces/pepr-system/secrets/cacerts", {
        metadata: { name: "cacerts", namespace: "pepr-system" },
        data: {
          "ca-cert.pem": b64(inter),
          "ca-key.pem": b64(gen.rsaKey("other")),
          "root-cert.pem": b64(root),
          "cert-chain.pem": b64(inter + root),
        },
      });
      await eventually(
        "the refusal in the module log",
        async () =>
          moduleLines.some(l =>
            l.includes(
              "Secret pepr-system/cacerts: ca-key.pem: does not match the public key of ca-cert.pem",
            ),
          )
            ? true
            : undefined,
        10_000,
      );
      const still = await createCertificate(
        await token("a", "x"),
        makeCsr(rsaKeyPair().privateKeyPem),
        0,
        bundle,
      );
      expect("chain" in still && still.chain.at(-1)).toBe(root);
    } finally {
      dir.cleanup();
    }
  });

  it("two CA starters racing on an empty namespace end with one root", async () => {
    await namespace("race");
    const starters = [0, 1, 2].map(
      () =>
        new MeshCa({
          store: kubernetesCaSecretStore("race"),
          logger: jsonLinesToStderr,
          deps: nodeCaDeps,
        }),
    );
    await Promise.all(starters.map(s => s.bootstrap()));
    const roots = new Set(starters.map(s => s.authority()!.rootPem));
    expect(roots.size).toBe(1);
  });

  it("the agent's errors name the gRPC status", async () => {
    const err = await requestCertificate(
      {
        address: `127.0.0.1:${tlsPort}`,
        rootsPem: await publishedRoot("a"),
        serverName: "localhost",
      },
      "not-a-token",
      0,
      nodeCaDeps.generateKey,
    ).catch(e => e);
    expect(describeError(err)).toMatch(/^UNAUTHENTICATED: authentication: token refused/);
    expect(certificateRequest(nodeCaDeps.generateKey())).toMatch(/BEGIN CERTIFICATE REQUEST/);
  });

  it("nothing leaks key material or tokens into the module's log", () => {
    const log = moduleLines.join("\n");
    expect(moduleLines.length).toBeGreaterThan(0);
    expect(log).not.toMatch(/PRIVATE KEY/);
    expect(log).not.toMatch(/BEGIN CERTIFICATE REQUEST/);
    for (const t of tokensSeen) {
      expect(log).not.toContain(t);
      expect(log).not.toContain(t.split(".")[2]!);
    }
  });
});
