/**
 * Authorization and mTLS on the proxyless gRPC data plane: grpc-js-xds `XdsServer`s and clients
 * on loopback, configured only by resources compiled from store objects (Services, Pods,
 * EndpointSlices, PeerAuthentication, AuthorizationPolicy) and served by an in-process
 * `DiscoveryServer`; certificates issued by our CA and read through `file_watcher` providers.
 */
import "./enable-grpc-rbac";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { Registry } from "prom-client";
import { createSelfSignedRoot } from "../../../ca/self-signed-root";
import {
  nodeKeyGenerator,
  nodeSigner,
  systemClock,
  systemRandomBytes,
} from "../../../ca/server/node-crypto";
import type { IstioObject } from "../../../mesh/api";
import { applyEvent, storeOf, type MeshStore, type StoreObject } from "../../../mesh/store";
import { SnapshotCache } from "../../../xds/cache/snapshot-cache";
import { compile } from "../../../xds/compile";
import { TypeUrl } from "../../../xds/encode/type-urls";
import { DiscoveryServer } from "../../../xds/server/discovery-server";
import { pinXdsServerToLoopback } from "../../harness/xds-bootstrap";
import { ECHO_SERVICE, echoHandlers, freeLoopbackPort } from "../../harness/xds-echo";
import { mtlsBootstrapOptions, writeWorkloadCertFolder } from "../../harness/xds-mtls";
import { checkedSnapshot, decoded, named } from "./fixtures";
import { eventually } from "../../harness/poll";

jest.setTimeout(120_000);

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const WHO = "/rigging.test.Echo/Who";
const SECRET = "/rigging.test.Echo/Secret";
const ECHO = "echo.default.svc.cluster.local:9080";
const SPOOF = "spoof.default.svc.cluster.local:9081";
const node = (name: string) => `sidecar~127.0.0.1~${name}.default~default.svc.cluster.local`;
const MESHED = { "security.istio.io/tlsMode": "istio" };
const NODES = {
  echo: { id: node("echo"), labels: { app: "echo", ...MESHED } },
  spoof: { id: node("spoof"), labels: { app: "spoof", ...MESHED } },
  client: { id: node("client"), labels: { app: "client", ...MESHED } },
  intruder: { id: node("intruder"), labels: { app: "intruder", ...MESHED } },
} as const;
const raw = (b: Buffer): Buffer => b;

/** A second method on the echo service, so one method can be denied while another works. */
const SECRET_SERVICE: grpc.ServiceDefinition = {
  Secret: { ...ECHO_SERVICE.Who!, path: SECRET },
};

/** One unary call of `path`; resolves to the answer or `error:<code>`. */
function call(client: grpc.Client, path: string, deadlineMs = 3_000): Promise<string> {
  return new Promise(resolve =>
    client.makeUnaryRequest(
      path,
      raw,
      raw,
      Buffer.alloc(0),
      { deadline: Date.now() + deadlineMs },
      (err: grpc.ServiceError | null, value?: Buffer) =>
        resolve(err ? `error:${err.code}` : String(value)),
    ),
  );
}

async function calls(client: grpc.Client, path: string, n = 20): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const who of await Promise.all(Array.from({ length: n }, () => call(client, path))))
    out[who] = (out[who] ?? 0) + 1;
  return out;
}

function istio(kind: string, name: string, namespace: string, spec: Json): StoreObject {
  const group = ["PeerAuthentication", "AuthorizationPolicy"].includes(kind)
    ? "security.istio.io"
    : "networking.istio.io";
  return {
    apiVersion: `${group}/v1`,
    kind,
    metadata: { name, namespace },
    spec,
  } as unknown as IstioObject as StoreObject;
}

/** A Service, its proxyless pod on 127.0.0.1 running as `serviceAccount`, and its EndpointSlice. */
function workload(app: string, port: number, targetPort: number, sa: string): StoreObject[] {
  return [
    {
      kind: "Service",
      metadata: { name: app, namespace: "default" },
      spec: { selector: { app }, ports: [{ name: "grpc", port, targetPort }] },
    },
    {
      kind: "Pod",
      metadata: {
        name: app,
        namespace: "default",
        labels: { app, ...MESHED },
        annotations: { "inject.istio.io/templates": "grpc-agent" },
      },
      spec: { serviceAccountName: sa },
      status: { podIP: "127.0.0.1", phase: "Running" },
    },
    {
      kind: "EndpointSlice",
      metadata: {
        name: `${app}-1`,
        namespace: "default",
        labels: { "kubernetes.io/service-name": app },
      },
      endpoints: [
        {
          addresses: ["127.0.0.1"],
          conditions: { ready: true },
          targetRef: { kind: "Pod", name: app, namespace: "default" },
        },
      ],
      ports: [{ name: "grpc", port: targetPort }],
    },
  ];
}

/** The node's bootstrap, with its labels and the `default` file_watcher certificate provider. */
function meshOptions(adsPort: number, who: keyof typeof NODES, certDir: string) {
  return mtlsBootstrapOptions(adsPort, NODES[who].id, certDir, NODES[who].labels);
}

describe("authorization and mTLS hold on proxyless gRPC (compiled config, real grpc-js-xds)", () => {
  const cache = new SnapshotCache();
  const logger = { warn: () => undefined, info: () => undefined, debug: () => undefined };
  const tmp = mkdtempSync(join(tmpdir(), "rigging-authz-"));
  let ads: DiscoveryServer;
  let adsPort: number;
  let store: MeshStore;
  let ports: { echo: number; spoof: number };
  const certs: Record<string, string> = {};
  const servers: grpcXds.XdsServer[] = [];
  const clients: grpc.Client[] = [];

  /** Compiles every node's snapshot and waits for the echo server to ACK its new listener. */
  async function publish(waitForAck = true): Promise<void> {
    for (const { id, labels } of Object.values(NODES)) {
      const compiled = compile(store, {
        id,
        metadata: { GENERATOR: "grpc", NAMESPACE: "default", LABELS: labels },
      });
      if (!compiled.ok) throw new Error(compiled.errors.join("\n"));
      cache.set(id, checkedSnapshot(compiled.value));
    }
    if (!waitForAck) return;
    const version = cache.get(NODES.echo.id)!.versions.get(TypeUrl.listener);
    await eventually("the echo server's listener ACK", async () =>
      ads.status
        .byNode(NODES.echo.id)
        .some(c => c.types.get(TypeUrl.listener)?.lastAck?.version === version)
        ? true
        : undefined,
    );
  }

  async function apply(...objects: StoreObject[]): Promise<void> {
    for (const o of objects) store = applyEvent(store, { type: "MODIFIED", object: o });
    await publish();
  }

  async function remove(object: StoreObject): Promise<void> {
    store = applyEvent(store, { type: "DELETED", object });
    await publish();
  }

  function compiledFor(who: keyof typeof NODES) {
    const compiled = compile(store, {
      id: NODES[who].id,
      metadata: { GENERATOR: "grpc", NAMESPACE: "default", LABELS: NODES[who].labels },
    });
    if (!compiled.ok) throw new Error(compiled.errors.join("\n"));
    return compiled.value;
  }

  async function startServer(who: "echo" | "spoof", port: number, certDir: string) {
    const server = new grpcXds.XdsServer(
      meshOptions(adsPort, who, certDir) as ConstructorParameters<typeof grpcXds.XdsServer>[0],
    );
    server.addService(ECHO_SERVICE, echoHandlers(who));
    server.addService(SECRET_SERVICE, { Secret: echoHandlers(`${who}-secret`).Who! });
    const address = `127.0.0.1:${port}`;
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(
        address,
        new grpcXds.XdsServerCredentials(grpc.ServerCredentials.createInsecure()),
        err => (err ? reject(err) : resolve()),
      );
      pinXdsServerToLoopback(server, address);
    });
    servers.push(server);
  }

  function meshClient(who: "client" | "intruder", target: string): grpc.Client {
    const client = new grpc.Client(
      `xds:///${target}`,
      new grpcXds.XdsChannelCredentials(grpc.credentials.createInsecure()),
      meshOptions(adsPort, who, certs[who]!),
    );
    clients.push(client);
    return client;
  }

  beforeAll(async () => {
    grpcXds.register();
    const made = createSelfSignedRoot({
      key: nodeKeyGenerator(),
      now: systemClock,
      randomBytes: systemRandomBytes,
      signerFor: nodeSigner,
    });
    if (!made.ok) throw new Error(made.errors.join("\n"));
    const rootPem = made.value.files["root-cert.pem"];
    // "impostor" is a real mesh identity, just not the one the registry says runs `spoof`.
    for (const sa of ["echo", "impostor", "client", "intruder"])
      certs[sa] = writeWorkloadCertFolder(made.value.authority, rootPem, sa, tmp);

    ads = new DiscoveryServer({ cache, registry: new Registry(), logger });
    adsPort = await ads.listen("127.0.0.1:0");
    ports = { echo: await freeLoopbackPort(), spoof: await freeLoopbackPort() };
    store = storeOf([
      istio("PeerAuthentication", "default", "istio-system", { mtls: { mode: "STRICT" } }),
      ...workload("echo", 9080, ports.echo, "echo"),
      ...workload("spoof", 9081, ports.spoof, "spoof"),
    ]);
    await publish(false); // no server connected yet: nothing to ACK
    await startServer("echo", ports.echo, certs.echo!);
    await startServer("spoof", ports.spoof, certs.impostor!);
    await publish();
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const s of servers) s.forceShutdown();
    await ads?.stop(100);
    rmSync(tmp, { recursive: true, force: true });
  });

  it("STRICT: the server listens with mTLS, a meshed client is served, a plaintext client is refused", async () => {
    const compiled = compiledFor("echo");
    const listener = decoded(
      named(compiled.listeners, `xds.istio.io/grpc/lds/inbound/127.0.0.1:${ports.echo}`),
    ) as Json;
    const tls = listener.filter_chains[0].transport_socket.typed_config;
    expect(tls["@type"]).toMatch(/DownstreamTlsContext$/);
    expect(tls.require_client_certificate).toEqual({ value: true });
    expect(tls.common_tls_context.validation_context.ca_certificate_provider_instance).toEqual({
      instance_name: "default",
      certificate_name: "ROOTCA",
    });
    const cluster = decoded(
      named(compiledFor("client").clusters, "outbound|9080||echo.default.svc.cluster.local"),
    ) as Json;
    expect(cluster.transport_socket.typed_config.common_tls_context).toMatchObject({
      tls_certificate_provider_instance: { instance_name: "default", certificate_name: "default" },
      validation_context: {
        match_subject_alt_names: [{ exact: "spiffe://cluster.local/ns/default/sa/echo" }],
      },
    });

    const client = meshClient("client", ECHO);
    expect(
      await eventually("an mTLS call", async () =>
        (await call(client, WHO)) === "echo" ? "ok" : undefined,
      ),
    ).toBe("ok");
    expect(await calls(client, WHO)).toEqual({ echo: 20 });

    const plaintext = new grpc.Client(`127.0.0.1:${ports.echo}`, grpc.credentials.createInsecure());
    clients.push(plaintext);
    expect(await calls(plaintext, WHO, 5)).toEqual({ "error:14": 5 });
  });

  it("a DENY on one method answers PERMISSION_DENIED there while the other method keeps working", async () => {
    const client = meshClient("client", ECHO);
    expect(await calls(client, SECRET, 5)).toEqual({ "echo-secret": 5 });
    await apply(
      istio("AuthorizationPolicy", "deny-secret", "default", {
        selector: { matchLabels: { app: "echo" } },
        action: "DENY",
        rules: [{ to: [{ operation: { paths: [SECRET] } }] }],
      }),
    );
    await eventually("the DENY to hold", async () =>
      (await call(client, SECRET)) === "error:7" ? true : undefined,
    );
    expect(await calls(client, SECRET)).toEqual({ "error:7": 20 });
    expect(await calls(client, WHO)).toEqual({ echo: 20 });
  });

  it("an ALLOW for one principal admits only that ServiceAccount", async () => {
    const client = meshClient("client", ECHO);
    const intruder = meshClient("intruder", ECHO);
    // Before the policy, the intruder is an ordinary meshed caller and is served.
    await eventually("the intruder served", async () =>
      (await call(intruder, WHO)) === "echo" ? true : undefined,
    );
    await apply(
      istio("AuthorizationPolicy", "only-client", "default", {
        selector: { matchLabels: { app: "echo" } },
        action: "ALLOW",
        rules: [{ from: [{ source: { principals: ["cluster.local/ns/default/sa/client"] } }] }],
      }),
    );
    await eventually("the ALLOW to hold", async () =>
      (await call(intruder, WHO)) === "error:7" ? true : undefined,
    );
    expect(await calls(intruder, WHO)).toEqual({ "error:7": 20 });
    expect(await calls(client, WHO)).toEqual({ echo: 20 });
  });

  it("secure naming: a server whose certificate is not the registry's identity is refused", async () => {
    const cluster = decoded(
      named(compiledFor("client").clusters, "outbound|9081||spoof.default.svc.cluster.local"),
    ) as Json;
    expect(
      cluster.transport_socket.typed_config.common_tls_context.validation_context
        .match_subject_alt_names,
    ).toEqual([{ exact: "spiffe://cluster.local/ns/default/sa/spoof" }]);
    const client = meshClient("client", SPOOF);
    // The server presents a valid mesh certificate, but for sa/impostor.
    expect(await calls(client, WHO, 5)).toEqual({ "error:14": 5 });
    // Control: once the registry says sa/impostor runs spoof, the same server is accepted.
    await apply(...workload("spoof", 9081, ports.spoof, "impostor"));
    await eventually("the spoof server accepted", async () =>
      (await call(client, WHO)) === "spoof" ? true : undefined,
    );
  });

  it("port-level DISABLE: that port takes plaintext, and meshed clients follow it to plaintext", async () => {
    await remove(istio("AuthorizationPolicy", "only-client", "default", {}));
    const refused = new grpc.Client(`127.0.0.1:${ports.echo}`, grpc.credentials.createInsecure());
    clients.push(refused);
    expect(await call(refused, WHO)).toBe("error:14");
    await apply(
      istio("PeerAuthentication", "echo", "default", {
        selector: { matchLabels: { app: "echo" } },
        mtls: { mode: "STRICT" },
        portLevelMtls: { [ports.echo]: { mode: "DISABLE" } },
      }),
    );
    const listener = decoded(
      named(compiledFor("echo").listeners, `xds.istio.io/grpc/lds/inbound/127.0.0.1:${ports.echo}`),
    ) as Json;
    expect(listener.filter_chains[0].transport_socket).toBeUndefined();
    const cluster = decoded(
      named(compiledFor("client").clusters, "outbound|9080||echo.default.svc.cluster.local"),
    ) as Json;
    expect(cluster.transport_socket).toBeUndefined();
    // A fresh channel: the refused one sits in reconnect backoff.
    const plaintext = new grpc.Client(`127.0.0.1:${ports.echo}`, grpc.credentials.createInsecure());
    clients.push(plaintext);
    await eventually("plaintext served", async () =>
      (await call(plaintext, WHO)) === "echo" ? true : undefined,
    );
    const client = meshClient("client", ECHO);
    await eventually("the meshed client served", async () =>
      (await call(client, WHO)) === "echo" ? true : undefined,
    );
    expect(await calls(plaintext, WHO)).toEqual({ echo: 20 });
    expect(await calls(client, WHO)).toEqual({ echo: 20 });
  });
});
