/**
 * The discovery server of the xDS benchmark, run as a child process (`fork`) so its CPU and RSS
 * are measured apart from the load generator's. Every proxy shares one snapshot (node key
 * `bench`), as proxies of one kind share a push context in istiod. Commands arrive over IPC.
 */
import { Registry } from "prom-client";
import { SnapshotCache } from "../../xds/cache/snapshot-cache";
import { DiscoveryServer } from "../../xds/server/discovery-server";
import { meshSnapshot, type MeshGeneration } from "./bench-mesh";

/** A command from the driver. */
export type ServerCommand =
  | { readonly cmd: "publish"; readonly id: number; readonly generation: MeshGeneration }
  /** `gc`: collect garbage first (the child runs with --expose-gc), for a steadier heap figure. */
  | { readonly cmd: "stats"; readonly id: number; readonly gc?: boolean }
  | { readonly cmd: "stop"; readonly id: number };

/** Server-side counters at one instant. */
export interface ServerStats {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** process.cpuUsage() user + system, microseconds. */
  readonly cpuMicros: number;
  readonly pushes: number;
  readonly connected: number;
  /** Streams whose responses wait in HTTP/2 buffers (a client not reading), and how many. */
  readonly backlogStreams: number;
  readonly backlogMessages: number;
}

/** Runs the server side; `services` comes from argv. */
export async function runBenchServer(services: number): Promise<void> {
  const cache = new SnapshotCache();
  const registry = new Registry();
  const quiet = { warn: () => undefined, info: () => undefined, debug: () => undefined };
  const server = new DiscoveryServer({ cache, registry, logger: quiet, nodeKey: () => "bench" });
  cache.set("bench", meshSnapshot(services, { route: 0, endpoint: 0, cluster: 0 }));
  const port = await server.listen("127.0.0.1:0");
  const send = (message: object) => process.send?.(message);

  const stats = async (gc: boolean): Promise<ServerStats> => {
    const collect = (globalThis as { gc?: () => void }).gc;
    if (gc && collect) {
      collect();
      collect();
    }
    const cpu = process.cpuUsage();
    const pushes = (await server.metrics.pushes.get()).values.reduce((s, v) => s + v.value, 0);
    const memory = process.memoryUsage();
    const backlog = server.writeBacklog();
    return {
      rssBytes: memory.rss,
      heapUsedBytes: memory.heapUsed,
      cpuMicros: cpu.user + cpu.system,
      pushes,
      connected: server.status.size,
      backlogStreams: backlog.streams,
      backlogMessages: backlog.messages,
    };
  };

  process.on("message", (message: ServerCommand) => {
    void (async () => {
      if (message.cmd === "publish") {
        const snapshot = meshSnapshot(services, message.generation);
        cache.set("bench", snapshot);
        send({ id: message.id, versions: Object.fromEntries(snapshot.versions) });
      } else if (message.cmd === "stats") {
        send({ id: message.id, stats: await stats(message.gc === true) });
      } else {
        await server.stop(1_000);
        send({ id: message.id });
        process.exit(0);
      }
    })();
  });
  // The driver going away (crash, Ctrl-C) must not leave a server behind.
  process.on("disconnect", () => process.exit(0));
  send({ ready: true, port });
}
