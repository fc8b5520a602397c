/**
 * Normalisation before comparing our output with Istio's goldens. Only two kinds of difference
 * are removed, and nothing else:
 * 1. the control-plane address, should Rigging's default ever differ from istiod's: `CA_ADDR` and
 *    `discoveryAddress` in `PROXY_CONFIG` (today both are `istiod.istio-system.svc:15012`, which
 *    Rigging's install serves, so this changes nothing);
 * 2. Go serialisation artefacts of kube-inject's output that carry no meaning and that a
 *    webhook patch does not produce: `creationTimestamp: null`, `status: {}`, `strategy: {}`,
 *    and `resources: {}` on containers (Go prints empty structs).
 * Images need no normalising: the goldens run with `conformanceInjectionValues()` (the hub and tag
 * they were rendered with, not Rigging's pinned release), and Istio's goldens carry no version
 * strings (StripVersion is a no-op on them).
 */
import { DEFAULT_DISCOVERY_ADDRESS, ISTIO_DEFAULT_DISCOVERY_ADDRESS } from "../../../mesh/inject";

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === "object" && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown) => v === null || (isTree(v) && Object.keys(v).length === 0);

/** Strips Go's empty-struct artefacts from a manifest tree (in place) and returns it. */
export function stripGoArtifacts(v: unknown): unknown {
  if (Array.isArray(v)) v.forEach(stripGoArtifacts);
  if (!isTree(v)) return v;
  for (const [k, child] of Object.entries(v)) {
    if (k === "creationTimestamp" && child === null) delete v[k];
    else if (["status", "strategy", "resources", "updateStrategy"].includes(k) && isEmpty(child))
      delete v[k];
    else stripGoArtifacts(child);
  }
  // A workload's zero status (`replicas: 0`, …) is Go printing an empty struct too.
  const status = v.status;
  if (isTree(status) && Object.values(status).every(x => x === 0)) delete v.status;
  for (const [k, child] of Object.entries(v)) {
    if ((k === "metadata" || k === "resources") && isEmpty(child)) delete v[k];
  }
  return v;
}

/**
 * Go drops a workload spec's zero-valued `omitempty` fields and prints its non-`omitempty` false
 * ones (e.g. DeploymentConfig's `paused: false` vs `test: false`): compare workload specs without
 * false or zero scalars. Only the top-level object's spec (or a List's items') is touched.
 */
export function stripWorkloadZeros(doc: unknown): unknown {
  if (!isTree(doc)) return doc;
  if (Array.isArray(doc.items)) doc.items.forEach(stripWorkloadZeros);
  const spec = doc.spec;
  if (isTree(spec) && doc.kind !== "Pod") {
    for (const [k, v] of Object.entries(spec)) if (v === false || v === 0) delete spec[k];
  }
  return doc;
}

/** Rewrites our control-plane address to istiod's, the one thing that must differ. */
export function normalizeAddress(v: unknown): unknown {
  if (Array.isArray(v)) v.forEach(normalizeAddress);
  if (!isTree(v)) return v;
  if (v.name === "CA_ADDR" && v.value === DEFAULT_DISCOVERY_ADDRESS)
    v.value = ISTIO_DEFAULT_DISCOVERY_ADDRESS;
  if (v.name === "PROXY_CONFIG" && typeof v.value === "string") {
    v.value = v.value
      .replace(`"discoveryAddress":${JSON.stringify(DEFAULT_DISCOVERY_ADDRESS)}`, "")
      .replace("{,", "{")
      .replace(",}", "}")
      .replace(",,", ",");
  }
  for (const child of Object.values(v)) normalizeAddress(child);
  return v;
}
