/**
 * Which DestinationRule `tls` block governs one outbound cluster, and where it sits (for
 * messages). Istio's precedence: the subset's port-level setting, the subset's own, the rule's
 * port-level setting, the rule's own — the first one set wins whole (TLS blocks are not merged
 * field by field).
 *
 * @see istio/istio pilot/pkg/xds/endpoints/mtls_checker.go (tlsModeForDestinationRule)
 * @see istio/istio pilot/pkg/networking/util/util.go (MergeSubsetTrafficPolicy)
 */
import type { ClientTlsSettings, DestinationRule, TrafficPolicy } from "../../../mesh/api";

/** A `tls` block with the rule and field path it came from. */
export interface ClusterTlsSetting {
  readonly tls: ClientTlsSettings;
  /** `namespace/name` of the DestinationRule. */
  readonly rule: string;
  /** Path to the block, e.g. `spec.subsets[0].trafficPolicy.portLevelSettings[1].tls`. */
  readonly path: string;
  /** The mode, DISABLE when unset (the proto's zero value). */
  readonly mode: NonNullable<ClientTlsSettings["mode"]>;
}

function inPolicy(
  policy: TrafficPolicy | undefined,
  port: number,
  base: string,
): { tls: ClientTlsSettings; path: string } | undefined {
  const levels = policy?.portLevelSettings ?? [];
  const i = levels.findIndex(p => p.port?.number === port && p.tls !== undefined);
  if (i >= 0) return { tls: levels[i]!.tls!, path: `${base}.portLevelSettings[${i}].tls` };
  return policy?.tls ? { tls: policy.tls, path: `${base}.tls` } : undefined;
}

/** The TLS setting for `port` (the service port) and `subset`, if the rule has one. */
export function clusterTlsSetting(
  rule: DestinationRule | undefined,
  port: number,
  subset?: string,
): ClusterTlsSetting | undefined {
  if (!rule) return undefined;
  const j = subset === undefined ? -1 : (rule.spec.subsets ?? []).findIndex(s => s.name === subset);
  const found =
    (j >= 0
      ? inPolicy(rule.spec.subsets![j]!.trafficPolicy, port, `spec.subsets[${j}].trafficPolicy`)
      : undefined) ?? inPolicy(rule.spec.trafficPolicy, port, "spec.trafficPolicy");
  if (!found) return undefined;
  return {
    ...found,
    rule: `${rule.metadata.namespace ?? "default"}/${rule.metadata.name ?? ""}`,
    mode: found.tls.mode ?? "DISABLE",
  };
}

/** `DestinationRule ns/name: <path>.<field>: ` — the start of a message about a setting. */
export function settingMessage(s: ClusterTlsSetting, field: string, rule: string): string {
  return `DestinationRule ${s.rule}: ${s.path}.${field}: ${rule}`;
}
