/**
 * The in-process mesh for data-plane tests: a store built from Istio YAML (or store objects) and
 * proxyless gRPC workloads, compiled per workload into checked snapshots and served by a
 * `DiscoveryServer` on loopback, and real grpc-js-xds clients and `XdsServer`s that take their
 * configuration (and, with certificates, their mTLS identity) from it. No Kubernetes, no traffic
 * off loopback. The store can change mid-test ({@link InProcessMesh.apply}); plain gRPC
 * backends, registered by the test's own WorkloadEntries or ServiceEntries, can run beside it.
 *
 * A test file that imports this module runs in the jest project `dataplane` (jest.config.mjs).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { Registry } from "prom-client";
import { parseAllDocuments } from "yaml";
import { createSelfSignedRoot } from "../../ca/self-signed-root";
import {
  nodeKeyGenerator,
  nodeSigner,
  systemClock,
  systemRandomBytes,
} from "../../ca/server/node-crypto";
import { applyEvent, storeOf, type MeshStore, type StoreObject } from "../../mesh/store";
import { SnapshotCache } from "../../xds/cache/snapshot-cache";
import { compile, type CompiledResources } from "../../xds/compile";
import type { XdsTypeUrl } from "../../xds/encode/type-urls";
import { DiscoveryServer } from "../../xds/server/discovery-server";
import { checkedSnapshot } from "../xds/compile/fixtures";
import { eventually } from "./poll";
import { bootstrapOptions, pinXdsServerToLoopback } from "./xds-bootstrap";
import { mtlsBootstrapOptions, writeWorkloadCertFolder } from "./xds-mtls";

/**
 * The label Istio puts on pods that hold mesh certificates: auto-mTLS follows it, and a
 * PERMISSIVE proxyless server with it listens in mTLS. So only a mesh with certificates sets it.
 */
const MESHED = { "security.istio.io/tlsMode": "istio" };

/**
 * A proxyless gRPC workload in namespace `default`, on 127.0.0.1 unless given an `address`. Its
 * xDS node is `sidecar~<address>~<name>.default~…`, labelled `app: <name>`, meshed when the mesh
 * issues certificates, and any `labels`. A workload with a `service` has a Service of its name with one `grpc` port, a Pod
 * (`grpc-agent` template) and the EndpointSlice between them; any other has only its node (a
 * client, or a server the test registers itself, e.g. by a WorkloadEntry).
 */
export interface MeshWorkload {
  readonly name: string;
  /** The loopback address its node reports and its server binds. @default "127.0.0.1" */
  readonly address?: string;
  /** Labels its node reports, over `app: <name>` and the meshed label. @default none */
  readonly labels?: Readonly<Record<string, string>>;
  /** The ServiceAccount the registry says it runs as. @default name */
  readonly serviceAccount?: string;
  /** The Service: its port and the pod's port behind it. @default none (a client) */
  readonly service?: { readonly port: number; readonly targetPort: number };
}

/** What the mesh starts with. */
export interface InProcessMeshOptions {
  /** Istio configuration (and any other store kinds) as YAML documents, in `default` unless named. */
  readonly yaml?: string;
  /** Store objects besides the YAML, e.g. built around ports known only at run time. @default none */
  readonly objects?: readonly StoreObject[];
  readonly workloads: readonly MeshWorkload[];
  /**
   * Mesh identities to issue certificates for, from a fresh self-signed root, each into a folder
   * laid out as `rig agent certs` writes it. Clients and servers started with one get mTLS
   * bootstraps (a `file_watcher` provider named `default`). Without any, every client and
   * server bootstraps plaintext. @default none
   */
  readonly certificates?: readonly string[];
}

/** The xDS node id of a workload. */
export const meshNodeId = (name: string, address = "127.0.0.1"): string =>
  `sidecar~${address}~${name}.default~default.svc.cluster.local`;

/** The labels a workload's node reports (its pod's, when it has one). */
const workloadLabels = (workload: MeshWorkload, meshed: boolean): Record<string, string> => ({
  app: workload.name,
  ...(meshed ? MESHED : {}),
  ...workload.labels,
});

/**
 * The store objects of `workload`: for a serving one its Service, Pod and EndpointSlice, the pod
 * labelled meshed unless `meshed` is false.
 */
export function workloadObjects(workload: MeshWorkload, meshed = true): StoreObject[] {
  const { name, service } = workload;
  if (!service) return []; // a client: its node is enough
  return [
    {
      kind: "Service",
      metadata: { name, namespace: "default" },
      spec: {
        selector: { app: name },
        ports: [{ name: "grpc", port: service.port, targetPort: service.targetPort }],
      },
    },
    {
      kind: "Pod",
      metadata: {
        name,
        namespace: "default",
        labels: workloadLabels(workload, meshed),
        annotations: { "inject.istio.io/templates": "grpc-agent" },
      },
      spec: { serviceAccountName: workload.serviceAccount ?? name },
      status: { podIP: "127.0.0.1", phase: "Running" },
    },
    {
      kind: "EndpointSlice",
      metadata: {
        name: `${name}-1`,
        namespace: "default",
        labels: { "kubernetes.io/service-name": name },
      },
      endpoints: [
        {
          addresses: ["127.0.0.1"],
          conditions: { ready: true },
          targetRef: { kind: "Pod", name, namespace: "default" },
        },
      ],
      ports: [{ name: "grpc", port: service.targetPort }],
    },
  ] as StoreObject[];
}

/** Store objects from YAML documents, each in `default` unless its metadata names a namespace. */
export function yamlObjects(yaml: string): StoreObject[] {
  return parseAllDocuments(yaml)
    .map(d => d.toJS() as Record<string, unknown> | null)
    .filter((d): d is Record<string, unknown> => d !== null && typeof d === "object")
    .map(d => {
      const metadata = (d.metadata ?? {}) as Record<string, unknown>;
      return {
        ...d,
        metadata: { ...metadata, namespace: metadata.namespace ?? "default" },
      } as unknown as StoreObject;
    });
}

const quiet = { warn: () => undefined, info: () => undefined, debug: () => undefined };

/** A running in-process mesh; {@link InProcessMesh.stop} closes everything it started. */
export class InProcessMesh {
  /** The mesh's current store; {@link apply} and {@link remove} change it. */
  store: MeshStore;
  readonly #workloads: ReadonlyMap<string, MeshWorkload>;
  /** Whether the mesh issues certificates, and so labels its workloads meshed. */
  readonly #meshed: boolean;
  readonly #tmp = mkdtempSync(join(tmpdir(), "rigging-mesh-"));
  readonly #certs = new Map<string, string>();
  readonly #clients: grpc.Client[] = [];
  readonly #servers: grpcXds.XdsServer[] = [];
  readonly #plainServers: grpc.Server[] = [];

  private constructor(
    /** The xDS server every client and server of the mesh talks to. */
    readonly ads: DiscoveryServer,
    /** Its port on 127.0.0.1. */
    readonly adsPort: number,
    /** Where each workload's compiled snapshot is published (the xDS server's cache). */
    readonly cache: SnapshotCache,
    options: InProcessMeshOptions,
  ) {
    this.#meshed = (options.certificates?.length ?? 0) > 0;
    this.#workloads = new Map(options.workloads.map(w => [w.name, w]));
    this.store = storeOf([
      ...(options.yaml ? yamlObjects(options.yaml) : []),
      ...(options.objects ?? []),
      ...options.workloads.flatMap(w => workloadObjects(w, this.#meshed)),
    ]);
  }

  /** Builds the store, issues the certificates, starts the xDS server and publishes. */
  static async start(options: InProcessMeshOptions): Promise<InProcessMesh> {
    grpcXds.register();
    const cache = new SnapshotCache();
    const ads = new DiscoveryServer({ cache, registry: new Registry(), logger: quiet });
    const mesh = new InProcessMesh(ads, await ads.listen("127.0.0.1:0"), cache, options);
    if (options.certificates?.length) {
      const made = createSelfSignedRoot({
        key: nodeKeyGenerator(),
        now: systemClock,
        randomBytes: systemRandomBytes,
        signerFor: nodeSigner,
      });
      if (!made.ok) throw new Error(made.errors.join("\n"));
      for (const sa of options.certificates) {
        mesh.#certs.set(
          sa,
          writeWorkloadCertFolder(
            made.value.authority,
            made.value.files["root-cert.pem"],
            sa,
            mesh.#tmp,
          ),
        );
      }
    }
    mesh.publish();
    return mesh;
  }

  #workload(name: string): MeshWorkload {
    const workload = this.#workloads.get(name);
    if (!workload) throw new Error(`no workload ${name} in the mesh`);
    return workload;
  }

  /** The xDS node id of workload `name`. */
  nodeId(name: string): string {
    return meshNodeId(name, this.#workload(name).address);
  }

  /** The labels a workload's node reports (its pod's, when it has one). */
  labels(name: string): Record<string, string> {
    return workloadLabels(this.#workload(name), this.#meshed);
  }

  /** Compiles a workload's resources from the current store. */
  compiled(name: string): CompiledResources {
    const result = compile(this.store, {
      id: this.nodeId(name),
      metadata: { GENERATOR: "grpc", NAMESPACE: "default", LABELS: this.labels(name) },
    });
    if (!result.ok) throw new Error(result.errors.join("\n"));
    return result.value;
  }

  /** Compiles every workload's snapshot from the current store and publishes it. */
  publish(): void {
    for (const name of this.#workloads.keys())
      this.cache.set(this.nodeId(name), checkedSnapshot(this.compiled(name)));
  }

  /** Adds or replaces objects in the store, then publishes. */
  apply(...objects: StoreObject[]): void {
    for (const object of objects) this.store = applyEvent(this.store, { type: "MODIFIED", object });
    this.publish();
  }

  /** Deletes an object from the store, then publishes. */
  remove(object: StoreObject): void {
    this.store = applyEvent(this.store, { type: "DELETED", object });
    this.publish();
  }

  /** The version of `typeUrl` in a workload's published snapshot. */
  version(name: string, typeUrl: XdsTypeUrl): string | undefined {
    return this.cache.get(this.nodeId(name))?.versions.get(typeUrl);
  }

  /**
   * Whether some connection of the workload ACKed `typeUrl` at `version`. Throws if any of its
   * connections NACKed anything, when `failOnNack`.
   */
  acked(
    name: string,
    typeUrl: XdsTypeUrl,
    version: string | undefined,
    failOnNack = false,
  ): boolean {
    const connections = this.ads.status.byNode(this.nodeId(name));
    if (failOnNack && connections.some(c => [...c.types.values()].some(t => t.lastNack)))
      throw new Error(`${name} NACKed its configuration`);
    return connections.some(c => c.types.get(typeUrl)?.lastAck?.version === version);
  }

  /** Whether some client or server of the workload holds a stream to the xDS server. */
  connected(name: string): boolean {
    return this.ads.status.byNode(this.nodeId(name)).length > 0;
  }

  /** Waits until the workload ACKed the published version of `typeUrl`. */
  async waitForAck(name: string, typeUrl: XdsTypeUrl, what = `${name}'s ACK`): Promise<void> {
    const version = this.version(name, typeUrl);
    await eventually(what, async () => (this.acked(name, typeUrl, version) ? true : undefined));
  }

  /**
   * Channel options: the workload's bootstrap, with the `default` provider over `identity`'s
   * folder; plaintext in a mesh started without certificates.
   */
  options(name: string, identity: string): Record<string, string> {
    if (!this.#meshed) return bootstrapOptions(this.adsPort, this.nodeId(name), this.labels(name));
    const dir = this.#certs.get(identity);
    if (!dir) throw new Error(`no certificate issued for ${identity}`);
    return mtlsBootstrapOptions(this.adsPort, this.nodeId(name), dir, this.labels(name));
  }

  /**
   * A grpc-js-xds client of workload `name` calling `target` (`host:port`), with the mesh
   * certificate of `identity` (@default its ServiceAccount, the workload's name).
   */
  client(name: string, target: string, identity = name): grpc.Client {
    const client = new grpc.Client(
      `xds:///${target}`,
      new grpcXds.XdsChannelCredentials(grpc.credentials.createInsecure()),
      this.options(name, identity),
    );
    this.#clients.push(client);
    return client;
  }

  /** A plain (non-xDS, plaintext) client of `address`, closed with the mesh. */
  plainClient(address: string): grpc.Client {
    const client = new grpc.Client(address, grpc.credentials.createInsecure());
    this.#clients.push(client);
    return client;
  }

  /**
   * Starts workload `name`'s grpc-js-xds `XdsServer` on its address and `port` with `services`,
   * using the mesh certificate of `identity` (@default the workload's name).
   */
  async server(
    name: string,
    port: number,
    services: readonly [grpc.ServiceDefinition, grpc.UntypedServiceImplementation][],
    identity = name,
  ): Promise<grpcXds.XdsServer> {
    const server = new grpcXds.XdsServer(
      this.options(name, identity) as ConstructorParameters<typeof grpcXds.XdsServer>[0],
    );
    for (const [definition, handlers] of services) server.addService(definition, handlers);
    const address = `${this.#workload(name).address ?? "127.0.0.1"}:${port}`;
    await new Promise<void>((resolve, reject) => {
      server.bindAsync(
        address,
        new grpcXds.XdsServerCredentials(grpc.ServerCredentials.createInsecure()),
        err => (err ? reject(err) : resolve()),
      );
      pinXdsServerToLoopback(server, address);
    });
    this.#servers.push(server);
    return server;
  }

  /**
   * Starts a plain (non-xDS, plaintext) gRPC server with `services` on `host` (a 127.0.0.x
   * address), on a port the system picks; returns the port. The mesh knows it only through the
   * store objects the test registers it with; it is closed with the mesh.
   */
  async plainServer(
    host: string,
    services: readonly [grpc.ServiceDefinition, grpc.UntypedServiceImplementation][],
  ): Promise<number> {
    if (!/^127\.\d+\.\d+\.\d+$/.test(host)) throw new Error(`${host} is not a loopback address`);
    const server = new grpc.Server();
    for (const [definition, handlers] of services) server.addService(definition, handlers);
    this.#plainServers.push(server);
    return new Promise<number>((resolve, reject) =>
      server.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (err, port) =>
        err ? reject(err) : resolve(port),
      ),
    );
  }

  /** Closes every client and server it started, stops the xDS server, deletes the certificates. */
  async stop(): Promise<void> {
    for (const c of this.#clients) c.close();
    for (const s of this.#servers) s.forceShutdown();
    for (const s of this.#plainServers) s.forceShutdown();
    await this.ads.stop(100);
    rmSync(this.#tmp, { recursive: true, force: true });
  }
}
