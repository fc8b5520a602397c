/**
 * PeerAuthentication → the mTLS mode a workload accepts, per port.
 *
 * Istio's inheritance: a mesh policy (no selector, in the root namespace), then a namespace
 * policy (no selector, in the workload's namespace), then a workload policy (a selector matching
 * the workload's labels, not in the root namespace) each override the level above unless their
 * mode is UNSET; with nothing set the mode is PERMISSIVE. Port-level modes come from the
 * workload policy only, and an UNSET port inherits the workload's resolved mode. When a level
 * has several policies, the oldest wins (then namespace/name, for a stable answer).
 *
 * @see istio/istio pilot/pkg/security/authn/policy_applier.go ComposePeerAuthentication
 * @see https://istio.io/latest/docs/concepts/security/#peer-authentication
 */
import type { PeerAuthenticationSpec } from "../api/peer-authentication";

/** A PeerAuthentication as the resolver needs it. */
export interface PeerAuthenticationInput {
  readonly namespace: string;
  readonly name: string;
  /** RFC 3339 `metadata.creationTimestamp`; missing sorts first. */
  readonly creationTimestamp?: string;
  readonly spec: PeerAuthenticationSpec;
}

/** The workload whose mode is asked for. */
export interface WorkloadRef {
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A resolved mode (UNSET never survives resolution). */
export type MtlsMode = "STRICT" | "PERMISSIVE" | "DISABLE";

/** Which policy decided a level, for `rig authz check` to show. */
export interface MtlsSource {
  readonly level: "default" | "mesh" | "namespace" | "workload" | "port";
  /** `namespace/name`, absent for the default. */
  readonly policy?: string;
}

/** The workload's mode, its per-port overrides, and where each came from. */
export interface EffectiveMtls {
  readonly mode: MtlsMode;
  readonly modeSource: MtlsSource;
  /** Keyed by the workload (target) port. */
  readonly perPort: Readonly<Record<number, MtlsMode>>;
  /** The policies chosen at each level (overridden or not). */
  readonly selected: {
    readonly mesh?: string;
    readonly namespace?: string;
    readonly workload?: string;
  };
}

/** Istio's default root namespace (MeshConfig.rootNamespace). */
export const DEFAULT_ROOT_NAMESPACE = "istio-system";

const idOf = (p: PeerAuthenticationInput) => `${p.namespace}/${p.name}`;

function hasSelector(p: PeerAuthenticationInput): boolean {
  return Object.keys(p.spec.selector?.matchLabels ?? {}).length > 0;
}

/** Oldest first, then namespace, then name (Istio's `sortConfigByCreationTime`). */
function older(a: PeerAuthenticationInput, b: PeerAuthenticationInput): number {
  const ta = a.creationTimestamp ? Date.parse(a.creationTimestamp) : -Infinity;
  const tb = b.creationTimestamp ? Date.parse(b.creationTimestamp) : -Infinity;
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.namespace !== b.namespace) return a.namespace < b.namespace ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The policies that can apply to `workload`: those in its namespace and in the root namespace
 * whose selector (if any) is a subset of its labels.
 */
export function peerAuthenticationsFor(
  policies: readonly PeerAuthenticationInput[],
  workload: WorkloadRef,
  rootNamespace = DEFAULT_ROOT_NAMESPACE,
): PeerAuthenticationInput[] {
  return policies.filter(p => {
    if (p.namespace !== workload.namespace && p.namespace !== rootNamespace) return false;
    const sel = p.spec.selector?.matchLabels ?? {};
    return Object.entries(sel).every(([k, v]) => workload.labels[k] === v);
  });
}

const setMode = (m: string | undefined): MtlsMode | undefined =>
  m === "STRICT" || m === "PERMISSIVE" || m === "DISABLE" ? m : undefined;

/** Resolves the applicable policies (see {@link peerAuthenticationsFor}) into modes. */
export function composePeerAuthentication(
  applicable: readonly PeerAuthenticationInput[],
  rootNamespace = DEFAULT_ROOT_NAMESPACE,
): EffectiveMtls {
  let mesh: PeerAuthenticationInput | undefined;
  let namespace: PeerAuthenticationInput | undefined;
  let workload: PeerAuthenticationInput | undefined;
  const pick = (cur: PeerAuthenticationInput | undefined, p: PeerAuthenticationInput) =>
    !cur || older(p, cur) < 0 ? p : cur;
  for (const p of applicable) {
    if (!hasSelector(p)) {
      if (p.namespace === rootNamespace) mesh = pick(mesh, p);
      else namespace = pick(namespace, p);
    } else if (p.namespace !== rootNamespace) {
      workload = pick(workload, p);
    }
    // A selector policy in the root namespace is not mesh-wide; Istio ignores it here.
  }
  let mode: MtlsMode = "PERMISSIVE";
  let modeSource: MtlsSource = { level: "default" };
  for (const [level, p] of [
    ["mesh", mesh],
    ["namespace", namespace],
    ["workload", workload],
  ] as const) {
    const m = setMode(p?.spec.mtls?.mode);
    if (p && m) {
      mode = m;
      modeSource = { level, policy: idOf(p) };
    }
  }
  const perPort: Record<number, MtlsMode> = {};
  for (const [port, mtls] of Object.entries(workload?.spec.portLevelMtls ?? {})) {
    perPort[Number(port)] = setMode(mtls?.mode) ?? mode;
  }
  return {
    mode,
    modeSource,
    perPort,
    selected: {
      mesh: mesh && idOf(mesh),
      namespace: namespace && idOf(namespace),
      workload: workload && idOf(workload),
    },
  };
}

/** The mode on `port` (a workload/target port). */
export function mtlsModeForPort(effective: EffectiveMtls, port: number): MtlsMode {
  return effective.perPort[port] ?? effective.mode;
}

/** The effective mTLS of `workload` under `policies` (all PeerAuthentications of the mesh). */
export function effectiveMtls(
  policies: readonly PeerAuthenticationInput[],
  workload: WorkloadRef,
  rootNamespace = DEFAULT_ROOT_NAMESPACE,
): EffectiveMtls {
  return composePeerAuthentication(
    peerAuthenticationsFor(policies, workload, rootNamespace),
    rootNamespace,
  );
}
