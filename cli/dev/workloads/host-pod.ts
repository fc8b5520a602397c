/**
 * A pod played by this host: under `rig dev` the local cluster's nodes are kwok's fakes, so the
 * pods the API server lists run nowhere. A host pod is the process side of one such pod — a
 * proxyless gRPC server or client that identifies as the pod over xDS (Istio's node id with the
 * pod's name and namespace, its labels and ServiceAccount as node metadata), holds the pod's
 * SPIFFE certificate from the mesh CA (obtained with a token of the pod's ServiceAccount, as
 * `rig agent certs` does), and listens on a loopback address that the pod's
 * `rigging.dev/host-address` annotation names, so the mesh routes to it there.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { nodeKeyGenerator, systemClock } from "../../../ca/server/node-crypto";
import { renewOnce } from "../../agent/cert-agent";
import { grpcBootstrapOptions, pinXdsServerToLoopback } from "./grpc-bootstrap";

/** The pod a host process plays, as the API server lists it. */
export interface HostPodIdentity {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  /** The 127.0.0.0/8 address the process listens on (the pod's host-address annotation). */
  readonly hostAddress: string;
}

/** Where the control plane is, and what the pod needs from it. */
export interface MeshAccess {
  /** Plaintext ADS, `127.0.0.1:15010` under `rig dev`. */
  readonly xdsAddress: string;
  /** The CA on the TLS port, `127.0.0.1:15012` under `rig dev`. */
  readonly caAddress: string;
  /** The name the CA's serving certificate carries for `caAddress` (`localhost` on loopback). */
  readonly caServerName: string;
  /** The mesh's roots (`root-cert.pem` of the `istio-ca-root-cert` ConfigMap). */
  readonly rootCertPem: string;
  /** A token of the pod's ServiceAccount for audience `istio-ca`. */
  readonly token: string;
}

/** Istio's node id for a pod; the IP field is where its process listens (its server listeners). */
export function hostPodNodeId(pod: HostPodIdentity): string {
  return `sidecar~${pod.hostAddress}~${pod.name}.${pod.namespace}~${pod.namespace}.svc.cluster.local`;
}

/** A pod running on this host: its identity, certificate, bootstrap, servers and channels. */
export class HostPod {
  readonly #stoppers: Array<() => void> = [];

  /** Use {@link prepareHostPod}. */
  constructor(
    readonly pod: HostPodIdentity,
    /** Istio's node id the process sends. */
    readonly nodeId: string,
    /** The folder with `cert-chain.pem`, `key.pem`, `root-cert.pem`. */
    readonly certDir: string,
    /** Channel or server options: the pod's bootstrap. */
    readonly options: Record<string, string>,
    private readonly dir: string,
  ) {}

  /**
   * Serves `service` as the pod: an `XdsServer` on `<hostAddress>:<port>` (loopback only) that
   * takes its listener — mTLS or plaintext, and the RBAC filters of AuthorizationPolicies — from
   * the control plane. It accepts calls once that listener has arrived.
   */
  async serve(
    port: number,
    service: grpc.ServiceDefinition,
    handlers: grpc.UntypedServiceImplementation,
  ): Promise<grpcXds.XdsServer> {
    const server = new grpcXds.XdsServer(
      this.options as ConstructorParameters<typeof grpcXds.XdsServer>[0],
    );
    server.addService(service, handlers);
    const address = `${this.pod.hostAddress}:${port}`;
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(
        address,
        new grpcXds.XdsServerCredentials(grpc.ServerCredentials.createInsecure()),
        err => (err ? reject(err) : resolve()),
      );
      pinXdsServerToLoopback(server, address);
    });
    this.#stoppers.push(() => server.forceShutdown());
    return server;
  }

  /**
   * A channel of the pod to `xds:///<target>`: routes, clusters, endpoints and TLS all come from
   * the control plane (plaintext unless a DestinationRule or auto-mTLS says ISTIO_MUTUAL).
   */
  dial(target: string): grpc.Client {
    const client = new grpc.Client(
      `xds:///${target}`,
      new grpcXds.XdsChannelCredentials(grpc.credentials.createInsecure()),
      this.options,
    );
    this.#stoppers.push(() => client.close());
    return client;
  }

  /** Stops what the pod runs and deletes its folder. */
  stop(): void {
    for (const stop of this.#stoppers.splice(0)) stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Obtains the pod's certificate from the mesh CA and prepares its bootstrap. */
export async function prepareHostPod(pod: HostPodIdentity, mesh: MeshAccess): Promise<HostPod> {
  if (!/^127\.\d+\.\d+\.\d+$/.test(pod.hostAddress))
    throw new Error(
      `pod ${pod.namespace}/${pod.name}: ${pod.hostAddress} is not a loopback address`,
    );
  const dir = mkdtempSync(join(tmpdir(), `rigging-pod-${pod.name}-`));
  const certDir = join(dir, "certs");
  try {
    writeFileSync(join(dir, "istio-token"), mesh.token, { mode: 0o600 });
    writeFileSync(join(dir, "root-cert.pem"), mesh.rootCertPem);
    await renewOnce({
      ca: { address: mesh.caAddress, serverName: mesh.caServerName },
      tokenFile: join(dir, "istio-token"),
      rootCertFile: join(dir, "root-cert.pem"),
      outDir: certDir,
      ttlSeconds: 0,
      generateKey: nodeKeyGenerator(),
      now: systemClock,
      log: () => {},
    });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `pod ${pod.namespace}/${pod.name}: no certificate from the CA at ${mesh.caAddress}: ${
        err instanceof Error ? err.message : String(err)
      }`,
    );
  }
  const nodeId = hostPodNodeId(pod);
  const options = grpcBootstrapOptions({
    xdsAddress: mesh.xdsAddress,
    nodeId,
    namespace: pod.namespace,
    labels: pod.labels,
    serviceAccount: pod.serviceAccount,
    certDir,
    // Istio's single-cluster name, which istioctl proxy-status shows for every proxy.
    cluster: "Kubernetes",
  });
  return new HostPod(pod, nodeId, certDir, options, dir);
}
