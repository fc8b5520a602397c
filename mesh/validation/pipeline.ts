/**
 * The steps every kind goes through: identify the object, check its envelope and the shape of
 * its spec against the schema, then run the kind's semantic rules on the (now well-typed) spec.
 * Never throws: garbage in gives errors out.
 */
import {
  findKind,
  KINDS,
  type KindInfo,
  type KindName,
  type ObjectMeta,
  type SpecOf,
} from "../../mesh/api/kinds";
import { map, object, string, type Node } from "../../mesh/api/schema";
import { type Context, type ValidateOptions } from "./context";
import { describeValue, Report, type ValidationResult } from "./diagnostic";
import { checkShape } from "./structural";

/** The semantic rules of one kind, run once the spec has the right shape. */
export type SpecValidator<K extends KindName> = (spec: SpecOf<K>, ctx: Context) => void;

// The metadata fields validators read; the API server checks the rest.
const METADATA = object({
  name: string(),
  generateName: string(),
  namespace: string(),
  labels: map(string()),
  annotations: map(string()),
});

const TOP_LEVEL = new Set(["apiVersion", "kind", "metadata", "spec", "status"]);
// Annotations Istio reserves for objects it generates itself; users setting them would escalate.
const INTERNAL_ANNOTATIONS = ["internal.istio.io/parents", "internal.istio.io/parent-namespace"];
const ALWAYS_REJECT = "internal.istio.io/webhook-always-reject";
const DRY_RUN = "istio.io/dry-run";

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Removes null-valued and unknown properties, as the API server prunes them, and copies the spec
 * into plain objects and arrays.
 */
function dropNulls(value: unknown, node: Node): unknown {
  if (node.type === "object" && isRecord(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const child = Object.hasOwn(node.properties, k) ? node.properties[k] : undefined;
      if (v !== null && child) out[k] = dropNulls(v, child);
    }
    return out;
  }
  if (node.type === "array" && Array.isArray(value)) {
    // A fresh plain array: semantic rules never see holes, extra keys or a foreign constructor.
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(dropNulls(value[i], node.items));
    return out;
  }
  if (node.type === "map" && isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, dropNulls(v, node.values)]),
    );
  }
  return value;
}

/** The identity to report under, as far as it can be read from `obj`. */
function identify(
  obj: unknown,
  fallbackKind: string,
  options: ValidateOptions,
): { kind: string; namespace: string; name: string; meta: ObjectMeta } {
  const rec = isRecord(obj) ? obj : {};
  const meta = isRecord(rec.metadata) ? (rec.metadata as ObjectMeta) : {};
  const str = (v: unknown): string | undefined =>
    typeof v === "string" && v !== "" ? v : undefined;
  return {
    kind: str(rec.kind) ?? fallbackKind,
    namespace: str(meta.namespace) ?? options.defaultNamespace ?? "default",
    name: str(meta.name) ?? str(meta.generateName) ?? "<unnamed>",
    meta,
  };
}

function checkMetadata(report: Report, kind: string, meta: ObjectMeta, spec: unknown): void {
  if (typeof meta.name !== "string" || meta.name === "") {
    if (typeof meta.generateName !== "string") report.error("metadata.name", "Required value");
  }
  const annotations = isRecord(meta.annotations)
    ? (meta.annotations as Record<string, unknown>)
    : {};
  if (ALWAYS_REJECT in annotations)
    report.error("metadata.annotations", `"${ALWAYS_REJECT}" annotation found, rejecting`);
  for (const a of INTERNAL_ANNOTATIONS) {
    if (a in annotations)
      report.error("metadata.annotations", `"${a}" annotation found, this may not be set by users`);
  }
  if (DRY_RUN in annotations) {
    const path = `metadata.annotations[${DRY_RUN}]`;
    if (kind !== "AuthorizationPolicy") {
      report.error(path, `unsupported annotation ${DRY_RUN}, please remove the annotation`);
      return;
    }
    const action = isRecord(spec) && typeof spec.action === "string" ? spec.action : "ALLOW";
    if (action !== "ALLOW" && action !== "DENY") {
      report.error(
        path,
        `the annotation ${DRY_RUN} currently only supports action ALLOW/DENY, found action ${action}`,
      );
    } else if (
      !/^(1|t|T|TRUE|true|True|0|f|F|FALSE|false|False)$/.test(describeValue(annotations[DRY_RUN]))
    ) {
      report.error(
        path,
        `annotation ${DRY_RUN} has invalid value (${describeValue(annotations[DRY_RUN])}): must be a boolean`,
      );
    }
  }
}

/**
 * Validates `obj` as kind `K`: envelope, shape, then `semantic`. The object's own `apiVersion` and
 * `kind` must name `K` in one of the versions Istio serves.
 */
export function runValidator<K extends KindName>(
  expected: K,
  semantic: SpecValidator<K>,
  obj: unknown,
  options: ValidateOptions = {},
): ValidationResult {
  const id = identify(obj, expected, options);
  const report = new Report({ kind: id.kind, namespace: id.namespace, name: id.name });
  if (!isRecord(obj)) {
    report.error(
      "<root>",
      `Invalid type: expected object, got ${obj === null ? "null" : Array.isArray(obj) ? "array" : typeof obj}`,
    );
    return report.result();
  }
  const info: KindInfo | undefined = findKind(obj.apiVersion, obj.kind);
  if (!info || info.kind !== expected) {
    report.error(
      "apiVersion",
      `unrecognized type ${describeValue(obj.apiVersion)}, Kind=${describeValue(obj.kind)}: expected ${KINDS[expected].group}/{${KINDS[expected].versions.join(",")}}, Kind=${expected}`,
    );
    return report.result();
  }
  for (const key of Object.keys(obj))
    if (!TOP_LEVEL.has(key)) report.warn(key, "unknown field, ignored: the API server drops it");
  if (obj.metadata !== undefined) {
    // Only the fields read here are checked; other metadata belongs to the API server.
    const meta = isRecord(obj.metadata)
      ? Object.fromEntries(
          Object.entries(obj.metadata).filter(([k]) => Object.hasOwn(METADATA.properties, k)),
        )
      : obj.metadata;
    checkShape(report, "metadata", meta, METADATA);
  }
  checkMetadata(report, expected, id.meta, obj.spec);
  let spec = obj.spec;
  if (spec === undefined || spec === null) {
    if (info.specRequired) report.error("spec", "Required value");
    spec = {};
  }
  checkShape(report, "spec", spec, info.spec);
  if (report.errors.length > 0) return report.result();
  const ctx: Context = {
    report,
    namespace: id.namespace,
    name: id.name,
    metadata: id.meta,
    rootNamespace: options.rootNamespace ?? "istio-system",
  };
  semantic(dropNulls(spec, info.spec) as SpecOf<K>, ctx);
  return report.result();
}
