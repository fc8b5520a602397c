/**
 * Control-plane replicas for failover tests: the built module run as separate processes against
 * one local cluster, each with its own plaintext xDS port and `/ready` endpoint on loopback (the
 * TLS port stays off: these tests are about losing a process, not about transport security).
 */
import type { DevSession } from "../../cli/dev/runner";
import { freePort } from "../../cli/local-cluster/ports";
import { fetchProxyReports } from "../../cli/xds/csds-client";
import type { ProxyReport } from "../../xds/status/client-status";
import { startTestModule } from "./module";

/** A running replica. */
export interface Replica {
  readonly name: string;
  readonly xdsPort: number;
  readonly readyPort: number;
  readonly session: DevSession;
  /** The module's last log lines (for failure messages). */
  readonly log: string[];
  /** Kills the process with SIGKILL and resolves once it is gone. */
  kill(): Promise<void>;
  /** Stops it cleanly (webhooks removed), unless it was killed. */
  stop(): Promise<void>;
  /** Every proxy connected to it, per CSDS. */
  reports(): Promise<ProxyReport[]>;
  /** Throws, with its last log lines, when the process has exited. */
  assertAlive(): void;
}

/** Starts one replica; `env` adds to (or overrides) the module's environment. */
export async function startReplica(name: string, env: NodeJS.ProcessEnv = {}): Promise<Replica> {
  const xdsPort = await freePort();
  const readyPort = await freePort();
  const log: string[] = [];
  const session = await startTestModule({
    moduleLog: line => {
      log.push(line);
      if (log.length > 300) log.shift();
    },
    env: {
      RIGGING_XDS_ADDRESS: `127.0.0.1:${xdsPort}`,
      RIGGING_XDS_TLS_ADDRESS: "off",
      RIGGING_READY_ADDRESS: `127.0.0.1:${readyPort}`,
      ...env,
    },
  });
  let killed = false;
  return {
    name,
    xdsPort,
    readyPort,
    session,
    log,
    kill: async () => {
      killed = true;
      session.child.kill("SIGKILL");
      await session.exited;
    },
    stop: async () => {
      if (!killed) await session.stop();
    },
    reports: () => fetchProxyReports({ xdsAddress: `127.0.0.1:${xdsPort}`, timeout: "5" }),
    assertAlive: () => {
      const { exitCode, signalCode } = session.child;
      if (exitCode !== null || signalCode !== null)
        throw new Error(
          `replica ${name} exited (${exitCode ?? signalCode}):\n${log.slice(-30).join("\n")}`,
        );
    },
  };
}

/** ACKed version per short type name of a report, for the types it subscribed to. */
export function ackedVersions(report: ProxyReport): Record<string, string | undefined> {
  return Object.fromEntries(
    Object.entries(report.types).map(([type, t]) => [type, t.acked?.version]),
  );
}

/** Whether every type of a report is SYNCED at the version last sent. */
export function synced(report: ProxyReport): boolean {
  const types = Object.values(report.types);
  return (
    types.length > 0 && types.every(t => t.state === "SYNCED" && t.acked?.version === t.version)
  );
}
