/**
 * grpc-js-xds bootstraps for workloads that run on this host beside `rig dev` (the demo's pods,
 * and the data-plane tests). Each channel or `XdsServer` gets its own bootstrap through the
 * `grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config` option, so one process can host
 * several proxies with different node ids (the process-wide `GRPC_XDS_BOOTSTRAP_CONFIG` is read
 * once per process).
 *
 * @see https://github.com/grpc/proposal/blob/master/A27-xds-global-load-balancing.md (bootstrap)
 */
import { GRPC_SERVER_LISTENER_TEMPLATE } from "../../../xds/compile/listeners/listeners";

/** Channel/server option key grpc-js-xds 1.14 reads a per-instance bootstrap from. */
export const BOOTSTRAP_OPTION = "grpc.TEST_ONLY_DO_NOT_USE_IN_PROD.xds_bootstrap_config";

/** Who a proxyless workload is, as Istio's node id and metadata say it. */
export interface GrpcNode {
  /** The plaintext ADS address, `127.0.0.1:15010` under `rig dev`. */
  readonly xdsAddress: string;
  /** Istio's node id, `sidecar~<ip>~<pod>.<ns>~<ns>.svc.cluster.local`. */
  readonly nodeId: string;
  /** @default "default" */
  readonly namespace?: string;
  /** `LABELS` metadata: what workload selectors see. */
  readonly labels?: Readonly<Record<string, string>>;
  /** `SERVICE_ACCOUNT` metadata. */
  readonly serviceAccount?: string;
  /**
   * A folder holding `cert-chain.pem`, `key.pem` and `root-cert.pem` (as `rig agent certs`
   * writes it): declared as the `file_watcher` certificate provider `default`, which the mTLS
   * transport sockets Rigging sends name.
   */
  readonly certDir?: string;
  /** `node.cluster` (what `rig proxy-status` shows as CLUSTER). @default "test" */
  readonly cluster?: string;
}

/** The bootstrap JSON for `node`. */
export function grpcBootstrap(node: GrpcNode): string {
  return JSON.stringify({
    xds_servers: [
      {
        server_uri: node.xdsAddress,
        channel_creds: [{ type: "insecure" }],
        server_features: ["xds_v3"],
      },
    ],
    // grpc-js-xds requires a locality, even an empty one.
    node: {
      id: node.nodeId,
      cluster: node.cluster ?? "test",
      locality: {},
      metadata: {
        GENERATOR: "grpc",
        NAMESPACE: node.namespace ?? "default",
        ...(node.labels ? { LABELS: node.labels } : {}),
        ...(node.serviceAccount ? { SERVICE_ACCOUNT: node.serviceAccount } : {}),
      },
    },
    server_listener_resource_name_template: GRPC_SERVER_LISTENER_TEMPLATE,
    ...(node.certDir
      ? {
          certificate_providers: {
            default: {
              plugin_name: "file_watcher",
              config: {
                certificate_file: `${node.certDir}/cert-chain.pem`,
                private_key_file: `${node.certDir}/key.pem`,
                ca_certificate_file: `${node.certDir}/root-cert.pem`,
                refresh_interval: "1s",
              },
            },
          },
        }
      : {}),
  });
}

/** Channel or server options selecting the bootstrap of `node`. */
export function grpcBootstrapOptions(node: GrpcNode): Record<string, string> {
  return { [BOOTSTRAP_OPTION]: grpcBootstrap(node) };
}

interface ListenableEntry {
  tcpServer?: { listen: (...args: unknown[]) => unknown };
}

/**
 * `XdsServer.bindAsync("127.0.0.x:P")` binds its TCP server to every interface (it calls
 * `listen(port)`). Workloads must stay on loopback, so right after `bindAsync` — before the xDS
 * listener arrives and `listen` runs — the bound entry's `listen` is pinned to the address's own
 * loopback host.
 */
export function pinXdsServerToLoopback(server: object, address: string): void {
  const entry = (server as { boundPortMap?: Map<string, ListenableEntry> }).boundPortMap?.get(
    address,
  );
  const tcp = entry?.tcpServer;
  if (!tcp)
    throw new Error(`XdsServer has no bound entry for ${address}; grpc-js-xds internals changed`);
  const host = address.slice(0, address.lastIndexOf(":"));
  if (!/^127\.\d+\.\d+\.\d+$/.test(host)) throw new Error(`${address} is not a loopback address`);
  const listen = tcp.listen.bind(tcp);
  tcp.listen = (port: unknown, ...rest: unknown[]) => listen(port, host, ...rest);
}
