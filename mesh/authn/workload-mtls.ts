/**
 * The mTLS mode a workload in the mesh store accepts: the store's PeerAuthentications resolved
 * for one workload. Shared by the listener compiler, auto-mTLS clients and `rig authz check`.
 */
import { sortedValues, type MeshStore } from "../store";
import {
  effectiveMtls,
  mtlsModeForPort,
  type EffectiveMtls,
  type MtlsMode,
  type PeerAuthenticationInput,
  type WorkloadRef,
} from "./peer-authentication";

/** Every PeerAuthentication of the store, as the resolver reads them. */
export function peerAuthenticationsOf(store: MeshStore): PeerAuthenticationInput[] {
  return sortedValues(store.config.PeerAuthentication).map(p => ({
    namespace: p.metadata.namespace ?? "default",
    name: p.metadata.name ?? "",
    creationTimestamp:
      typeof p.metadata.creationTimestamp === "string" ? p.metadata.creationTimestamp : undefined,
    spec: p.spec,
  }));
}

/** The effective mTLS of `workload` (its mode, per-port overrides and deciding policies). */
export function workloadEffectiveMtls(
  store: MeshStore,
  workload: WorkloadRef,
  rootNamespace: string,
): EffectiveMtls {
  return effectiveMtls(peerAuthenticationsOf(store), workload, rootNamespace);
}

/** The PeerAuthentication mode `workload` accepts on its (target) `port`. */
export function workloadMtlsMode(
  store: MeshStore,
  workload: WorkloadRef,
  port: number,
  rootNamespace: string,
): MtlsMode {
  return mtlsModeForPort(workloadEffectiveMtls(store, workload, rootNamespace), port);
}
