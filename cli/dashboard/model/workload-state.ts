/**
 * Per-workload state the page draws on a node: the mTLS its proxies accept (PeerAuthentication,
 * resolved by mesh/authn as the listener compiler resolves it) and its proxies' sync state (the
 * CSDS reports `rig proxy-status` shows).
 */
import type { Resource } from "../../../mesh/analysis";
import {
  effectiveMtls,
  mtlsModeForPort,
  type PeerAuthenticationInput,
} from "../../../mesh/authn/peer-authentication";
import type { PeerAuthenticationSpec } from "../../../mesh/api/peer-authentication";
import type { ProxyReport } from "../../../xds/status/client-status";
import { proxyName, STATUS_COLUMNS, columnState } from "../../../xds/status/proxy-status-view";
import type { ProxySync, SyncState, WorkloadMtls } from "./types";
import { isKind, type ServiceInfo } from "./services";
import { selectsWorkload, type WorkloadInfo } from "./workloads";

/** The cluster's PeerAuthentications as the resolver takes them. */
export function peerAuthentications(resources: readonly Resource[]): PeerAuthenticationInput[] {
  return resources
    .filter(r => isKind(r, "PeerAuthentication", "security.istio.io"))
    .map(r => {
      const meta = r.object.metadata as { creationTimestamp?: unknown } | undefined;
      const created = meta?.creationTimestamp;
      return {
        namespace: r.namespace,
        name: r.name,
        ...(typeof created === "string" ? { creationTimestamp: created } : {}),
        spec: (r.object.spec ?? {}) as PeerAuthenticationSpec,
      };
    });
}

/**
 * The workload's mode and the mode of each port traffic reaches it on (its services' target
 * ports, and ports with a mode of their own); locked when all of them are STRICT.
 */
export function workloadMtls(
  w: WorkloadInfo,
  policies: readonly PeerAuthenticationInput[],
  services: readonly ServiceInfo[],
  rootNamespace: string,
): WorkloadMtls {
  const eff = effectiveMtls(policies, { namespace: w.namespace, labels: w.labels }, rootNamespace);
  const ports = new Set<number>(Object.keys(eff.perPort).map(Number));
  for (const s of services)
    if (s.namespace === w.namespace && s.selector && selectsWorkload(s.selector, w))
      for (const p of s.targetPorts) if (p > 0) ports.add(p);
  const perPort = Object.fromEntries(
    [...ports].sort((a, b) => a - b).map(p => [String(p), mtlsModeForPort(eff, p)]),
  );
  const modes = Object.values(perPort);
  const source = eff.modeSource.policy
    ? `${eff.modeSource.level} ${eff.modeSource.policy}`
    : eff.modeSource.level;
  return {
    mode: eff.mode,
    ports: perPort,
    source,
    locked: modes.length > 0 ? modes.every(m => m === "STRICT") : eff.mode === "STRICT",
  };
}

/** One proxy's summary: NACK over STALE over SYNCED, as `rig proxy-status` columns read. */
export function proxySync(report: ProxyReport): ProxySync {
  const types = Object.fromEntries(STATUS_COLUMNS.map(t => [t, columnState(report, t)]));
  const states = Object.values(types);
  const state = states.includes("ERROR") ? "NACK" : states.includes("STALE") ? "STALE" : "SYNCED";
  const nack = STATUS_COLUMNS.map(t => report.types[t])
    .filter(t => t?.state === "ERROR" && t.nack)
    .map(t => `${t!.type}: ${t!.nack!.detail}`)
    .join("; ");
  return { name: proxyName(report.nodeId), state, types, ...(nack ? { nack } : {}) };
}

/** The proxies of `w` (by pod name) and their worst state; `reports` undefined = unknown. */
export function workloadSync(
  w: WorkloadInfo,
  reports: readonly ProxyReport[] | undefined,
): { sync: SyncState; proxies: ProxySync[] } {
  if (!reports) return { sync: "UNKNOWN", proxies: [] };
  const pods = new Set(w.pods);
  const proxies = reports.filter(r => pods.has(proxyName(r.nodeId))).map(proxySync);
  const states = proxies.map(p => p.state);
  const sync: SyncState =
    proxies.length === 0
      ? "NO PROXY"
      : states.includes("NACK")
        ? "NACK"
        : states.includes("STALE")
          ? "STALE"
          : "SYNCED";
  return { sync, proxies };
}
