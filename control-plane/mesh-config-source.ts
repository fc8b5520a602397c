/**
 * The mesh config as istiod reads it: the `mesh` key of ConfigMap `istio` in istiod's namespace.
 * A valid config replaces the one in force (every proxy is recompiled, and the CA issues in its
 * trust domain); an invalid one is refused whole, named with its field and rule, and the
 * previous config stays — nothing half-applied reaches a proxy. Deleting the ConfigMap returns
 * the mesh to Istio's defaults, as istiod does.
 */
import type { Counter } from "prom-client";
import { DEFAULT_MESH_CONFIG, meshConfigFromConfigMap, type MeshConfig } from "../mesh/meshconfig";
import type { ControlPlaneLogger } from "./logger";

/** A ConfigMap as a watch delivers it. */
export interface ConfigMapObject {
  readonly metadata?: { readonly namespace?: string; readonly name?: string };
  readonly data?: Record<string, string>;
}

/** Who follows the mesh config. */
export interface MeshConfigFollowers {
  /** The mesh runtime: recompiles every proxy when the config differs. */
  readonly runtime: { setMeshConfig(config: MeshConfig, source: string): boolean };
  /** The CA: issues later certificates in the config's trust domain. */
  readonly ca: { useTrustDomain(trustDomain: string): void };
  readonly logger: ControlPlaneLogger;
  readonly loads?: Counter<"result">;
}

/** What the mesh config says, in a few fields an operator reads in one log line. */
function summary(config: MeshConfig): Record<string, unknown> {
  return {
    rootNamespace: config.rootNamespace,
    trustDomain: config.trustDomain,
    trustDomainAliases: config.trustDomainAliases,
    outboundTrafficPolicy: config.outboundTrafficPolicy,
    enableAutoMtls: config.enableAutoMtls,
    localityLbSetting: config.localityLbSetting !== undefined,
    extensionProviders: config.extensionProviders.map(p => p.name),
  };
}

/** A Watch callback for the mesh config ConfigMap (any phase). */
export function meshConfigWatch(followers: MeshConfigFollowers) {
  const { runtime, ca, logger, loads } = followers;
  let notesLogged = "";
  const apply = (config: MeshConfig, source: string, result: string, message: string) => {
    const changed = runtime.setMeshConfig(config, source);
    ca.useTrustDomain(config.trustDomain);
    loads?.inc({ result: changed ? result : "unchanged" });
    if (changed) logger.info({ configMap: source, ...summary(config) }, message);
  };

  return (configMap: ConfigMapObject, phase: string): void => {
    const source = `${configMap.metadata?.namespace ?? ""}/${configMap.metadata?.name ?? ""}`;
    if (phase === "DELETED") {
      notesLogged = "";
      apply(
        DEFAULT_MESH_CONFIG,
        source,
        "defaults",
        "mesh config ConfigMap deleted: Istio's defaults apply",
      );
      return;
    }
    const parsed = meshConfigFromConfigMap(configMap);
    if (!parsed.ok) {
      loads?.inc({ result: "rejected" });
      logger.error(
        { configMap: source, errors: parsed.errors.slice(0, 20) },
        "mesh config refused: the previous mesh config stays in effect",
      );
      return;
    }
    const notes = parsed.notes.join("\n");
    if (notes !== notesLogged && parsed.notes.length > 0)
      logger.info({ configMap: source, notes: parsed.notes }, "mesh config fields not acted on");
    notesLogged = notes;
    apply(parsed.value, source, "applied", "mesh config applied");
  };
}
