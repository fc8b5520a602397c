/**
 * Authorization and mTLS on the proxyless gRPC data plane: grpc-js-xds `XdsServer`s and clients
 * on loopback, configured only by resources compiled from store objects (Services, Pods,
 * EndpointSlices, PeerAuthentication, AuthorizationPolicy) and served by an in-process
 * `DiscoveryServer`; certificates issued by our CA and read through `file_watcher` providers.
 */
import "./enable-grpc-rbac";
import type * as grpc from "@grpc/grpc-js";
import type { IstioObject } from "../../../mesh/api";
import type { StoreObject } from "../../../mesh/store";
import { TypeUrl } from "../../../xds/encode/type-urls";
import { InProcessMesh, workloadObjects } from "../../harness/in-process-mesh";
import { ECHO_SERVICE, echoHandlers, freeLoopbackPort } from "../../harness/xds-echo";
import { decoded, named } from "./fixtures";
import { eventually } from "../../harness/poll";

jest.setTimeout(120_000);

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const WHO = "/rigging.test.Echo/Who";
const SECRET = "/rigging.test.Echo/Secret";
const ECHO = "echo.default.svc.cluster.local:9080";
const SPOOF = "spoof.default.svc.cluster.local:9081";
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

const STRICT = `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: default, namespace: istio-system }
spec: { mtls: { mode: STRICT } }
`;

/** A Service on `port` and its proxyless pod on 127.0.0.1:`targetPort` running as `sa`. */
const workload = (app: string, port: number, targetPort: number, sa: string) =>
  workloadObjects({ name: app, serviceAccount: sa, service: { port, targetPort } });

describe("authorization and mTLS hold on proxyless gRPC (compiled config, real grpc-js-xds)", () => {
  let mesh: InProcessMesh;
  let ports: { echo: number; spoof: number };

  /** Publishes the store's change and waits for the echo server to ACK its new listener. */
  async function apply(...objects: StoreObject[]): Promise<void> {
    mesh.apply(...objects);
    await mesh.waitForAck("echo", TypeUrl.listener, "the echo server's listener ACK");
  }

  async function remove(object: StoreObject): Promise<void> {
    mesh.remove(object);
    await mesh.waitForAck("echo", TypeUrl.listener, "the echo server's listener ACK");
  }

  const compiledFor = (who: string) => mesh.compiled(who);

  async function startServer(who: "echo" | "spoof", port: number, identity: string) {
    await mesh.server(
      who,
      port,
      [
        [ECHO_SERVICE, echoHandlers(who)],
        [SECRET_SERVICE, { Secret: echoHandlers(`${who}-secret`).Who! }],
      ],
      identity,
    );
  }

  const meshClient = (who: "client" | "intruder", target: string) => mesh.client(who, target);

  beforeAll(async () => {
    ports = { echo: await freeLoopbackPort(), spoof: await freeLoopbackPort() };
    mesh = await InProcessMesh.start({
      yaml: STRICT,
      workloads: [
        { name: "echo", service: { port: 9080, targetPort: ports.echo } },
        { name: "spoof", service: { port: 9081, targetPort: ports.spoof } },
        { name: "client" },
        { name: "intruder" },
      ],
      // "impostor" is a real mesh identity, just not the one the registry says runs `spoof`.
      certificates: ["echo", "impostor", "client", "intruder"],
    }); // publishes: no server connected yet, nothing to ACK
    await startServer("echo", ports.echo, "echo");
    await startServer("spoof", ports.spoof, "impostor");
    mesh.publish();
    await mesh.waitForAck("echo", TypeUrl.listener, "the echo server's listener ACK");
  });

  afterAll(async () => {
    await mesh?.stop();
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

    const plaintext = mesh.plainClient(`127.0.0.1:${ports.echo}`);
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
    const refused = mesh.plainClient(`127.0.0.1:${ports.echo}`);
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
    const plaintext = mesh.plainClient(`127.0.0.1:${ports.echo}`);
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
