/**
 * DestinationRule TLS on the proxyless gRPC data plane: a real grpc-js-xds client and an
 * `XdsServer` in STRICT mTLS on loopback, configured only by compiled resources. DISABLE sends
 * plaintext, which the server refuses; ISTIO_MUTUAL is served; SIMPLE, which grpc-js-xds cannot
 * honour, fails closed — the client ACKs the cluster with no endpoints and its calls fail
 * UNAVAILABLE instead of going out in the clear.
 */
import type * as grpc from "@grpc/grpc-js";
import type { IstioObject } from "../../../mesh/api";
import type { StoreObject } from "../../../mesh/store";
import { TypeUrl } from "../../../xds/encode/type-urls";
import { InProcessMesh } from "../../harness/in-process-mesh";
import { callEcho, ECHO_SERVICE, echoHandlers, freeLoopbackPort } from "../../harness/xds-echo";
import { eventually } from "../../harness/poll";

jest.setTimeout(120_000);

/* eslint-disable @typescript-eslint/no-explicit-any -- bootstrap JSON */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

/** One call's answer, or `error:<code>`. */
const call = (client: grpc.Client) => callEcho(client, 2_000);
const threeCalls = (client: grpc.Client) => Promise.all([1, 2, 3].map(() => call(client)));

function istio(kind: string, name: string, spec: Json, namespace = "default"): StoreObject {
  const group = kind === "PeerAuthentication" ? "security.istio.io" : "networking.istio.io";
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

describe("DestinationRule TLS from a proxyless gRPC client to a STRICT server", () => {
  let mesh: InProcessMesh;

  /** Applies a DestinationRule with `tls`; resolves once the client ACKed clusters and endpoints. */
  async function withRule(tls: Json): Promise<grpc.Client> {
    mesh.apply(istio("DestinationRule", "echo", { host: "echo", trafficPolicy: { tls } }));
    const want = {
      cds: mesh.version("client", TypeUrl.cluster),
      eds: mesh.version("client", TypeUrl.endpoint),
    };
    // A fresh channel each time, so no reconnect backoff from an earlier phase carries over.
    const client = mesh.client("client", "echo.default.svc.cluster.local:9080");
    const first = call(client); // the first call makes the channel subscribe
    await eventually("the client's ACK of its clusters and endpoints", async () =>
      // throws (and is retried until the deadline) if the client NACKed its configuration
      mesh.acked("client", TypeUrl.cluster, want.cds, true) &&
      mesh.acked("client", TypeUrl.endpoint, want.eds, true)
        ? true
        : undefined,
    );
    await first; // its answer depends on timing; the phases assert fresh calls
    return client;
  }

  beforeAll(async () => {
    const port = await freeLoopbackPort();
    mesh = await InProcessMesh.start({
      yaml: STRICT,
      workloads: [{ name: "echo", service: { port: 9080, targetPort: port } }, { name: "client" }],
      certificates: ["echo", "client"],
    });
    await mesh.server("echo", port, [[ECHO_SERVICE, echoHandlers("echo")]]);
  });

  afterAll(async () => {
    await mesh?.stop();
  });

  // ISTIO_MUTUAL first: it also proves the server is up, so the refusals below are TLS's doing.
  it("ISTIO_MUTUAL: mesh certificates, served", async () => {
    const client = await withRule({ mode: "ISTIO_MUTUAL" });
    const served = async () => ((await call(client)) === "echo" ? "ok" : undefined);
    expect(await eventually("an mTLS call", served)).toBe("ok");
    expect(await threeCalls(client)).toEqual(["echo", "echo", "echo"]);
  });

  it("DISABLE: plaintext, refused by the STRICT server", async () => {
    const client = await withRule({ mode: "DISABLE" });
    expect(await threeCalls(client)).toEqual(["error:14", "error:14", "error:14"]);
  });

  it("SIMPLE: inexpressible for grpc-js-xds, fails closed even where plaintext would work", async () => {
    // The server now takes plaintext, so only failing closed (not Istio's plaintext) fails here.
    mesh.apply(
      istio("PeerAuthentication", "default", { mtls: { mode: "DISABLE" } }, "istio-system"),
    );
    await mesh.waitForAck("echo", TypeUrl.listener, "the server's plaintext listener ACK");
    const client = await withRule({ mode: "SIMPLE", caCertificates: "/etc/ca.pem" });
    expect(await threeCalls(client)).toEqual(["error:14", "error:14", "error:14"]);
    // Control: plaintext asked for by DISABLE is served by the same server.
    const plaintext = await withRule({ mode: "DISABLE" });
    const served = async () => ((await call(plaintext)) === "echo" ? "ok" : undefined);
    expect(await eventually("a plaintext call", served)).toBe("ok");
  });
});
