/**
 * Istio's own agent against Rigging (issue 13, item 4). pilot-agent, built from Istio's Go module
 * at the pinned version, runs as a host process laid out like its container (see
 * test/harness/pilot-agent.ts) with a real projected-style ServiceAccount token from the
 * TokenRequest API. It talks only to the module's TLS port (xDS + CA, TokenReview against the
 * local API server) on loopback; grpc-js-xds clients and servers read nothing but the bootstrap,
 * socket and certificates the agent wrote.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { connect } from "node:tls";
import { dirname, join } from "node:path";
import { createPrivateKey, X509Certificate } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import type { DevSession } from "../../cli/dev/runner";
import { freePort } from "../../cli/local-cluster/ports";
import { isXdsTypeUrl } from "../../xds/encode/type-urls";
import { opensslVerify } from "../ca/fixtures";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { applyOrFail, create, eventually } from "../harness/kube";
import { startTestModule } from "../harness/module";
import {
  pilotAgentBinary,
  startPilotAgent,
  type AgentSpec,
  type RunningAgent,
} from "../harness/pilot-agent";
import { AGENT_METADATA, AGENT_TYPE_URLS } from "../harness/pilot-agent-protocol";
import { fetchSecrets } from "../harness/sds-client";
import { expiredToken, requestToken } from "../harness/tokens";
import { BOOTSTRAP_OPTION, pinXdsServerToLoopback } from "../harness/xds-bootstrap";
import {
  countAnswers,
  ECHO_SERVICE,
  echoHandlers,
  freeLoopbackPort,
  runEcho,
} from "../harness/xds-echo";

const NS = "grpc";
const HOST = `echo.${NS}.svc.cluster.local`;
const TD = "cluster.local";
const spiffe = (ns: string, sa: string) => `spiffe://${TD}/ns/${ns}/sa/${sa}`;
const pemBlocks = (pem: string) =>
  pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g) ?? [];

describe("Istio's pilot-agent against Rigging's control plane", () => {
  let cluster: LocalCluster;
  let session: DevSession;
  let tlsPort: number;
  let root: string;
  const moduleLines: string[] = [];
  const agents: RunningAgent[] = [];
  const servers: grpcXds.XdsServer[] = [];
  const clients: grpc.Client[] = [];

  const agent = async (
    overrides: Partial<AgentSpec> & Pick<AgentSpec, "podName" | "serviceAccount" | "ip">,
  ): Promise<RunningAgent> => {
    const spec: AgentSpec = {
      namespace: NS,
      labels: { app: overrides.podName },
      token: await requestToken(cluster, NS, overrides.serviceAccount),
      rootCert: root,
      tlsPort,
      statusPort: await freePort(),
      template: "grpc-agent",
      ...overrides,
    };
    const a = startPilotAgent(spec);
    agents.push(a);
    return a;
  };

  /** Waits until the agent has written its certificate files; returns the leaf and ms since start. */
  const certificateOf = async (a: RunningAgent) => {
    const chainFile = join(a.certDir, "cert-chain.pem");
    const at = await eventually(
      `pilot-agent to write ${chainFile}`,
      async () => {
        try {
          return statSync(join(a.certDir, "root-cert.pem")).size > 0 && statSync(chainFile).size > 0
            ? performance.now()
            : undefined;
        } catch {
          return undefined;
        }
      },
      30_000,
    ).catch(err => {
      throw new Error(`${String(err)}\nagent log:\n${a.lines.slice(-30).join("\n")}`);
    });
    const chain = readFileSync(chainFile, "utf8");
    const leaf = new X509Certificate(pemBlocks(chain)[0]!);
    return { chain, leaf, ms: at - a.startedAt, readAt: Date.now() };
  };

  beforeAll(async () => {
    pilotAgentBinary(); // fails at once, with the build command, if the binary is missing
    grpcXds.register();
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    tlsPort = await freePort();
    await create(cluster, "/api/v1/namespaces", { metadata: { name: NS } });
    await create(cluster, "/api/v1/namespaces", { metadata: { name: "other" } });
    for (const sa of ["client", "echo", "sidecar"])
      await create(cluster, `/api/v1/namespaces/${NS}/serviceaccounts`, { metadata: { name: sa } });
    await create(cluster, "/api/v1/namespaces/other/serviceaccounts", {
      metadata: { name: "intruder" },
    });
    session = await startTestModule({
      moduleLog: line => void moduleLines.push(line),
      env: {
        // Debug: the module logs each request for a type it does not serve.
        LOG_LEVEL: "debug",
        RIGGING_XDS_ADDRESS: "off",
        RIGGING_XDS_TLS_ADDRESS: `127.0.0.1:${tlsPort}`,
      },
    });
    root = await eventually(`istio-ca-root-cert in ${NS}`, async () => {
      const res = await cluster.api(
        "GET",
        `/api/v1/namespaces/${NS}/configmaps/istio-ca-root-cert`,
      );
      return res.status === 200
        ? (res.body as { data?: Record<string, string> }).data?.["root-cert.pem"]
        : undefined;
    });
    await eventually("the module's TLS port", async () =>
      moduleLines.some(l => l.includes("xDS + CA (TLS) listening")) ? true : undefined,
    );
  }, 240_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of servers) s.forceShutdown();
    for (const a of agents) await a.stop();
    await session?.stop();
    await cluster?.stop();
  });

  describe("proxyless (Istio's grpc-agent template: no Envoy)", () => {
    let client: RunningAgent;

    it("obtains a workload certificate for the token's namespace and ServiceAccount that verifies against istio-ca-root-cert, and rotates it", async () => {
      client = await agent({
        podName: "client",
        serviceAccount: "client",
        ip: "127.0.0.51",
        env: { SECRET_TTL: "20s" },
      });
      const first = await certificateOf(client);
      console.log(`pilot-agent start → workload certificate on disk: ${first.ms.toFixed(0)} ms`);
      expect(first.leaf.subjectAltName).toBe(`URI:${spiffe(NS, "client")}`);
      expect(readFileSync(join(client.certDir, "root-cert.pem"), "utf8").trim()).toBe(root.trim());
      const blocks = pemBlocks(first.chain);
      const verified = opensslVerify(
        { root, leaf: blocks[0]!, untrusted: blocks.slice(1).join("") || undefined },
        new Date(),
        "sslclient",
      );
      expect(verified.output).toContain("OK");
      expect(verified.status).toBe(0);
      const key = readFileSync(join(client.certDir, "key.pem"), "utf8");
      expect(first.leaf.checkPrivateKey(createPrivateKey(key))).toBe(true);

      // SECRET_TTL=20s: the agent renews at about half-life and rewrites the files.
      const rotated = await eventually(
        "the agent to rotate its certificate",
        async () => {
          const leaf = new X509Certificate(
            pemBlocks(readFileSync(join(client.certDir, "cert-chain.pem"), "utf8"))[0]!,
          );
          return leaf.serialNumber !== first.leaf.serialNumber ? leaf : undefined;
        },
        45_000,
      );
      expect(rotated.subjectAltName).toBe(`URI:${spiffe(NS, "client")}`);
      expect(Date.parse(rotated.validTo)).toBeGreaterThan(Date.parse(first.leaf.validTo));
      // The agent asked for SECRET_TTL, and Rigging's CA honoured it.
      expect(Date.parse(first.leaf.validTo)).toBeLessThanOrEqual(first.readAt + 21_000);
    });

    it("its bootstrap and xDS proxy lead grpc-js-xds servers and a client to Rigging's routes and mTLS, and a VirtualService change reaches the client", async () => {
      // One port on two loopback IPs: Rigging names a proxyless server's listener by the
      // ServiceEntry's targetPort (as the authz tests do), so both workloads serve the same port.
      const port = await freeLoopbackPort();
      const ports = { v1: port, v2: port };
      const ips = { v1: "127.0.0.52", v2: "127.0.0.53" };
      const labels = (v: string) => ({
        app: "echo",
        version: v,
        "security.istio.io/tlsMode": "istio",
      });
      const routeTo = (subset: string) => ({
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "echo", namespace: NS },
        spec: { hosts: [HOST], http: [{ route: [{ destination: { host: HOST, subset } }] }] },
      });
      applyOrFail(cluster, [
        {
          apiVersion: "networking.istio.io/v1",
          kind: "ServiceEntry",
          metadata: { name: "echo", namespace: NS },
          spec: {
            hosts: [HOST],
            ports: [{ number: 9080, name: "grpc", protocol: "GRPC", targetPort: port }],
            location: "MESH_INTERNAL",
            resolution: "STATIC",
            workloadSelector: { labels: { app: "echo" } },
          },
        },
        ...(["v1", "v2"] as const).map(v => ({
          apiVersion: "networking.istio.io/v1",
          kind: "WorkloadEntry",
          metadata: {
            name: `echo-${v}`,
            namespace: NS,
            annotations: { "inject.istio.io/templates": "grpc-agent" },
          },
          spec: {
            address: ips[v],
            labels: labels(v),
            serviceAccount: "echo",
            ports: { grpc: ports[v] },
          },
        })),
        {
          apiVersion: "networking.istio.io/v1",
          kind: "DestinationRule",
          metadata: { name: "echo", namespace: NS },
          spec: {
            host: HOST,
            subsets: ["v1", "v2"].map(v => ({ name: v, labels: { version: v } })),
          },
        },
        routeTo("v1"),
        {
          apiVersion: "security.istio.io/v1",
          kind: "PeerAuthentication",
          metadata: { name: "default", namespace: NS },
          spec: { mtls: { mode: "STRICT" } },
        },
      ]);

      // Each server: its agent, then an XdsServer on the agent's bootstrap as soon as it exists.
      const firstXds: number[] = [];
      for (const v of ["v1", "v2"] as const) {
        const a = await agent({
          podName: `echo-${v}`,
          serviceAccount: "echo",
          ip: ips[v],
          labels: labels(v),
        });
        const bootstrap = await eventually(`echo-${v}'s gRPC bootstrap`, async () => {
          try {
            return readFileSync(a.bootstrapPath, "utf8");
          } catch {
            return undefined;
          }
        });
        const server = new grpcXds.XdsServer({
          [BOOTSTRAP_OPTION]: bootstrap,
        } as ConstructorParameters<typeof grpcXds.XdsServer>[0]);
        servers.push(server);
        server.addService(ECHO_SERVICE, echoHandlers(v));
        const address = `${ips[v]}:${ports[v]}`;
        await new Promise<void>((resolve, reject) => {
          server.bindAsync(
            address,
            new grpcXds.XdsServerCredentials(grpc.ServerCredentials.createInsecure()),
            err => (err ? reject(err) : resolve()),
          );
          pinXdsServerToLoopback(server, address);
        });
        const response = await a.waitForLine(/upstream response/);
        firstXds.push(response.at - a.startedAt);
      }
      console.log(
        `pilot-agent start → first xDS response relayed: ${firstXds.map(ms => `${ms.toFixed(0)} ms`).join(", ")}`,
      );

      const channel = new grpc.Client(
        `xds:///${HOST}:9080`,
        new grpcXds.XdsChannelCredentials(grpc.credentials.createInsecure()),
        { [BOOTSTRAP_OPTION]: readFileSync(client.bootstrapPath, "utf8") },
      );
      clients.push(channel);
      await eventually("the client to reach echo v1 through the agent", async () =>
        countAnswers(await runEcho(channel, 5, {}, 2_000)).v1 === 5 ? true : undefined,
      ).catch(err => {
        throw new Error(
          `${String(err)}\nclient agent:\n${client.lines.slice(-20).join("\n")}\nmodule:\n${moduleLines.slice(-20).join("\n")}`,
        );
      });
      expect(countAnswers(await runEcho(channel, 100))).toEqual({ v1: 100 });

      // STRICT: the server takes only mTLS, and presents the certificate its agent obtained.
      const plain = new grpc.Client(`${ips.v1}:${ports.v1}`, grpc.credentials.createInsecure());
      clients.push(plain);
      expect(countAnswers(await runEcho(plain, 3, {}, 2_000))).toEqual({
        [`error:${grpc.status.UNAVAILABLE}`]: 3,
      });
      const served = await new Promise<X509Certificate>((resolve, reject) => {
        const socket = connect(
          {
            host: ips.v1,
            port: ports.v1,
            ca: readFileSync(join(client.certDir, "root-cert.pem")),
            cert: readFileSync(join(client.certDir, "cert-chain.pem")),
            key: readFileSync(join(client.certDir, "key.pem")),
            checkServerIdentity: () => undefined,
            ALPNProtocols: ["h2"],
          },
          () => {
            resolve(new X509Certificate(socket.getPeerCertificate().raw));
            socket.end();
          },
        );
        socket.on("error", reject);
      });
      expect(served.subjectAltName).toBe(`URI:${spiffe(NS, "echo")}`);

      const changed = performance.now();
      applyOrFail(cluster, [routeTo("v2")]);
      await eventually(
        "the VirtualService change to reach the client through the agent",
        async () =>
          countAnswers(await runEcho(channel, 5, {}, 2_000)).v2 === 5 ? true : undefined,
      );
      console.log(
        `VirtualService change → client on v2 (through pilot-agent): ${(performance.now() - changed).toFixed(0)} ms`,
      );
      expect(countAnswers(await runEcho(channel, 100))).toEqual({ v2: 100 });
    }, 300_000);

    it("sends only type URLs and node metadata that Rigging serves, or that are listed with istiod's answer", async () => {
      const requested = new Set<string>();
      for (const a of agents)
        for (const line of a.lines) {
          const m = /request for type url (\S+)/.exec(line);
          if (m) requested.add(m[1]!);
        }
      expect(requested.size).toBeGreaterThan(0);
      const unserved = [...requested].filter(t => !isXdsTypeUrl(t)).sort();
      expect(unserved).toEqual(unserved.filter(t => t in AGENT_TYPE_URLS));
      for (const t of unserved) {
        // Rigging answers as istiod does: nothing (the stream stays up, as the traffic above shows).
        expect(AGENT_TYPE_URLS[t]!.istiodAnswers).toBe("nothing");
        expect(moduleLines.some(l => l.includes("unserved type") && l.includes(t))).toBe(true);
      }
      const bootstrap = JSON.parse(readFileSync(client.bootstrapPath, "utf8")) as {
        node: { id: string; metadata: Record<string, unknown> };
      };
      expect(bootstrap.node.id).toBe(`sidecar~127.0.0.51~client.${NS}~${NS}.svc.cluster.local`);
      const keys = Object.keys(bootstrap.node.metadata).sort();
      expect(keys.filter(k => !(k in AGENT_METADATA))).toEqual([]);
      expect(bootstrap.node.metadata).toMatchObject({
        NAMESPACE: NS,
        SERVICE_ACCOUNT: "client",
        GENERATOR: "grpc",
        LABELS: { app: "client" },
      });
    });
  });

  describe("bad input: the agent is refused and its log says why", () => {
    it.each<[string, () => Promise<Partial<AgentSpec>>, RegExp]>([
      [
        "a token of another namespace than the node claims",
        async () => ({ token: await requestToken(cluster, "other", "intruder") }),
        /failed to sign CSR.*InvalidArgument.*csr: asks for SAN URI:spiffe:\/\/cluster\.local\/ns\/grpc\/sa\/client; only URI:spiffe:\/\/cluster\.local\/ns\/other\/sa\/intruder/,
      ],
      [
        "a token for another audience",
        async () => ({ token: await requestToken(cluster, NS, "client", ["vault"]) }),
        /failed to sign CSR.*Unauthenticated.*authentication: token refused.*audience/,
      ],
      [
        "an expired token",
        async () => ({ token: await expiredToken(cluster, NS, "client") }),
        /failed to sign CSR.*Unauthenticated.*authentication: token refused.*expired/,
      ],
    ])("%s", async (_, input, reason) => {
      const a = await agent({
        podName: "client",
        serviceAccount: "client",
        ip: "127.0.0.54",
        ...(await input()),
      });
      try {
        const { line } = await a.waitForLine(reason);
        expect(line).toMatch(reason);
        expect(() => statSync(join(a.certDir, "cert-chain.pem"))).toThrow();
      } finally {
        await a.stop();
      }
    });
  });

  describe("sidecar template (Envoy expected, none on this machine)", () => {
    it("gets as far as starting Envoy with its bootstrap, then stops because /usr/local/bin/envoy does not exist", async () => {
      const a = await agent({
        podName: "sidecar",
        serviceAccount: "sidecar",
        ip: "127.0.0.55",
        template: "sidecar",
      });
      const stop = await a.waitForLine(/Envoy exited with error|failed to start/);
      console.log(`sidecar template stops at: ${stop.line}`);
      expect(stop.line).toContain("/usr/local/bin/envoy");
      // Istio's agent had written Envoy's bootstrap and was starting Envoy with it.
      const command = await a.waitForLine(/Envoy command: \[-c \S*envoy-rev\.json/);
      expect(command.at).toBeLessThanOrEqual(stop.at);
      // The agent ends with Envoy (status 0: Istio treats it as the proxy having exited).
      expect(await a.exited).toBe(0);
    });

    it("with a stand-in process where Envoy would run, serves the workload certificate and root over its SDS socket to a gRPC SDS client", async () => {
      // Not Envoy: a process that stays up with Envoy's arguments, so the agent keeps serving SDS.
      const standIn = join(mkdtempSync(join(tmpdir(), "rigging-envoy-")), "envoy");
      writeFileSync(standIn, `#!/bin/sh\necho "$@" > "$0.args"\nexec sleep 600\n`, { mode: 0o755 });
      const a = await agent({
        podName: "sidecar",
        serviceAccount: "sidecar",
        ip: "127.0.0.56",
        template: "sidecar",
        envoyBinary: standIn,
      });
      await eventually("Envoy's stand-in to start", async () => {
        try {
          return readFileSync(`${standIn}.args`, "utf8");
        } catch {
          return undefined;
        }
      }).then(args => expect(args).toMatch(/-c \S*envoy-rev\.json/));
      const envoyBootstrap = readFileSync(join(a.root, "etc/istio/proxy/envoy-rev.json"), "utf8");
      // Envoy would fetch xDS through the agent's socket and certificates from its SDS socket.
      expect(envoyBootstrap).toContain(join(a.root, "etc/istio/proxy/XDS"));
      expect(envoyBootstrap).toContain("./var/run/secrets/workload-spiffe-uds/socket");
      const [identity, rootCa] = await fetchSecrets(
        a.sdsSocket,
        `sidecar~127.0.0.56~sidecar.${NS}~${NS}.svc.cluster.local`,
        ["default", "ROOTCA"],
      );
      const leaf = new X509Certificate(pemBlocks(identity!.certificateChain!)[0]!);
      expect(leaf.subjectAltName).toBe(`URI:${spiffe(NS, "sidecar")}`);
      expect(leaf.checkPrivateKey(createPrivateKey(identity!.privateKey!))).toBe(true);
      expect(rootCa!.trustedCa!.trim()).toBe(root.trim());
      await a.stop();
      rmSync(dirname(standIn), { recursive: true, force: true });
    });
  });
});
