/**
 * The mesh config among the analyzed objects (ConfigMap `istio`, key `mesh`): what the control
 * plane would refuse, as SchemaValidationError; and CUSTOM AuthorizationPolicies naming an
 * extension provider it does not declare, as ReferencedResourceNotFound (their rules would
 * deny), and Telemetries naming a provider that is neither declared nor one of Istio's built-ins
 * (a warning: the proxy ignores it). Without a mesh config in the input nothing is said about
 * providers: it was not given.
 */
import { MESH_CONFIGMAP, meshConfigFromConfigMap, type MeshConfig } from "../meshconfig";
import { BUILTIN_TELEMETRY_PROVIDERS } from "../validation/telemetry";
import { makeMessage, quote, type AnalysisMessage } from "./message";
import { ofKind, originOf, type Inventory, type Resource } from "./resources";

const isMeshConfigMap = (r: Resource) =>
  r.kind === "ConfigMap" && r.apiVersion === "v1" && r.name === MESH_CONFIGMAP;

/** Validates the mesh config ConfigMaps and the providers CUSTOM policies name. */
export function checkMeshConfig(inv: Inventory): AnalysisMessage[] {
  const out: AnalysisMessage[] = [];
  const loaded: MeshConfig[] = [];
  for (const r of (inv.byKind.get("ConfigMap") ?? []).filter(isMeshConfigMap)) {
    const parsed = meshConfigFromConfigMap(r.object);
    if (parsed.ok) {
      loaded.push(parsed.value);
      continue;
    }
    const prefix = `ConfigMap ${r.namespace}/${r.name}: `;
    for (const e of parsed.errors)
      out.push(
        makeMessage(
          "SchemaValidationError",
          originOf(r),
          `Schema validation error: ${e.startsWith(prefix) ? e.slice(prefix.length) : e}`,
        ),
      );
  }
  // One valid mesh config: the one the control plane would run with.
  if (loaded.length !== 1) return out;
  const providers = new Set(loaded[0]!.extensionProviders.map(p => p.name));
  for (const r of ofKind(inv, "AuthorizationPolicy", "security.istio.io")) {
    const spec = (r.object.spec ?? {}) as { action?: string; provider?: { name?: string } };
    const name = spec.provider?.name;
    if (spec.action !== "CUSTOM" || name === undefined || providers.has(name)) continue;
    out.push(
      makeMessage(
        "ReferencedResourceNotFound",
        originOf(r),
        `Referenced extension provider not found: ${quote(name)} (spec.provider.name; the mesh config declares ${[...providers].map(quote).join(", ") || "none"}): its rules deny`,
      ),
    );
  }
  return [...out, ...telemetryProviders(inv, providers)];
}

const TELEMETRY_SECTIONS = ["metrics", "tracing", "accessLogging"] as const;

/** Telemetry provider references the mesh config does not resolve, as warnings. */
function telemetryProviders(inv: Inventory, declared: ReadonlySet<string>): AnalysisMessage[] {
  const known = new Set([...BUILTIN_TELEMETRY_PROVIDERS, ...declared]);
  const out: AnalysisMessage[] = [];
  for (const r of ofKind(inv, "Telemetry", "telemetry.istio.io")) {
    const spec = (r.object.spec ?? {}) as Record<string, unknown>;
    for (const section of TELEMETRY_SECTIONS) {
      const entries = Array.isArray(spec[section]) ? (spec[section] as unknown[]) : [];
      entries.forEach((entry, i) => {
        const refs = (entry as { providers?: unknown } | null)?.providers;
        (Array.isArray(refs) ? refs : []).forEach((ref, j) => {
          const name = (ref as { name?: unknown } | null)?.name;
          if (typeof name !== "string" || known.has(name)) return;
          out.push({
            ...makeMessage(
              "ReferencedResourceNotFound",
              originOf(r),
              `Referenced extension provider not found: ${quote(name)} (spec.${section}[${i}].providers[${j}].name; the mesh config declares ${[...declared].map(quote).join(", ") || "none"}): it is ignored`,
            ),
            level: "Warning",
          });
        });
      });
    }
  }
  return out;
}
