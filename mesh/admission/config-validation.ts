/**
 * The admission decision for Istio config objects: run the kind's validator and turn its
 * diagnostics into what the API server shows — a denial with every error, or an admission with
 * the warnings.
 */
import { KIND_NAMES, KINDS } from "../api/kinds";
import { validate } from "../validation/validate";

/** A kind and version the config-validation webhook binds, with the resource name of its rule. */
export interface ConfigKindVersion {
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
}

/**
 * Every served version of every Istio kind. The webhook binds each one so that a request sent as
 * `v1beta1` or `v1alpha3` is validated too (Pepr matches a binding's version exactly).
 */
export const CONFIG_KIND_VERSIONS: readonly ConfigKindVersion[] = KIND_NAMES.flatMap(name =>
  KINDS[name].versions.map(version => ({
    group: KINDS[name].group,
    version,
    kind: name,
    plural: KINDS[name].plural,
  })),
);

/** What admission does with a config object. */
export type ConfigVerdict =
  | { action: "allow"; warnings: string[] }
  | { action: "deny"; message: string };

/**
 * Validates an object under admission. `requestNamespace` is the namespace of the request, which
 * stands in for a missing `metadata.namespace` (the API server fills it in after admission).
 * A validator that throws is a bug, but the object is refused with a message rather than the
 * webhook failing: a half-checked object must not reach the compiler.
 */
export function admitConfig(obj: unknown, requestNamespace?: string): ConfigVerdict {
  try {
    const result = validate(obj, requestNamespace ? { defaultNamespace: requestNamespace } : {});
    if (result.errors.length > 0)
      return { action: "deny", message: result.errors.map(e => e.message).join("; ") };
    return { action: "allow", warnings: result.warnings.map(w => w.message) };
  } catch (err) {
    const meta = (obj as { metadata?: { name?: unknown } } | null)?.metadata;
    const name = typeof meta?.name === "string" ? meta.name : "<unnamed>";
    return {
      action: "deny",
      message: `${name}: internal validator error (${err instanceof Error ? err.message : String(err)}); please report it`,
    };
  }
}
