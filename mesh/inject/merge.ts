/**
 * A strategic merge patch for Pods, enough for injection: lists of containers, volumes, env,
 * ports, mounts and pull secrets merge by their keys; other lists are replaced; maps merge
 * recursively; `null` deletes. Semantics from
 * https://github.com/kubernetes/community/blob/master/contributors/devel/sig-api-machinery/strategic-merge-patch.md
 * and the patch tags on k8s.io/api/core/v1 types.
 */

import { canonicalQuantity } from "./quantity";

type Obj = Record<string, unknown>;

/** Merge keys of the lists that merge rather than replace, by field name. */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: "name",
  initContainers: "name",
  ephemeralContainers: "name",
  volumes: "name",
  imagePullSecrets: "name",
  env: "name",
  ports: "containerPort",
  volumeMounts: "mountPath",
  volumeDevices: "devicePath",
  ownerReferences: "uid",
  hostAliases: "ip",
};

/** Lists whose matching elements keep only the keys the patch gives (`retainKeys`). */
const RETAIN_KEYS = new Set(["volumes"]);

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function mergeList(field: string, original: unknown[], patch: unknown[]): unknown[] {
  const key = MERGE_KEYS[field];
  if (!key) return patch;
  const keyOf = (o: unknown) => (isObj(o) ? o[key] : undefined);
  const patchItems: unknown[] = [];
  for (const item of patch) {
    if (!isObj(item)) continue;
    const base = original.find(o => keyOf(o) === item[key]);
    if (!isObj(base)) {
      patchItems.push(mergeMap({}, item));
      continue;
    }
    const merged = mergeMap(base, item);
    if (RETAIN_KEYS.has(field)) {
      for (const k of Object.keys(merged)) if (!(k in item)) delete merged[k];
    }
    patchItems.push(merged);
  }
  const patched = new Set(patchItems.map(keyOf));
  const serverOnly = original.filter(o => !patched.has(keyOf(o)));
  // Interleave as `mergeSortedSlice` does: a server-only item goes before a patch item only when
  // both are in the original list and it came first there; new patch items come first.
  const serverIndex = (o: unknown) => original.findIndex(x => keyOf(x) === keyOf(o));
  const out: unknown[] = [];
  let i = 0;
  let j = 0;
  while (i < serverOnly.length || j < patchItems.length) {
    if (j >= patchItems.length) out.push(serverOnly[i++]);
    else if (i >= serverOnly.length) out.push(patchItems[j++]);
    else {
      const li = serverIndex(serverOnly[i]);
      const ri = serverIndex(patchItems[j]);
      if (li >= 0 && ri >= 0 && li < ri) out.push(serverOnly[i++]);
      else out.push(patchItems[j++]);
    }
  }
  return out;
}

/** Strategic-merges `patch` over `original` (both plain JSON), returning a new object. */
export function mergeMap(original: Obj, patch: Obj): Obj {
  const out: Obj = { ...original };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === undefined) {
      delete out[k];
    } else if (Array.isArray(v)) {
      const cur = out[k];
      // An empty patch list leaves a merging list alone.
      if (v.length === 0 && MERGE_KEYS[k] && Array.isArray(cur)) continue;
      out[k] = Array.isArray(cur) ? mergeList(k, cur, v) : mergeList(k, [], v);
    } else if (isObj(v)) {
      const cur = out[k];
      out[k] = mergeMap(isObj(cur) ? cur : {}, v);
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** Removes `undefined` and `null` values, as a trip through JSON and Go structs would. */
export function prune<T>(v: T): T {
  if (Array.isArray(v)) {
    for (const x of v) prune(x);
  } else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) {
      if (x === undefined || x === null) delete v[k];
      else prune(x);
    }
  }
  return v;
}

/**
 * What a trip through Go's Pod type does to containers: quantities printed canonically and empty
 * env values dropped (`omitempty`). Istio's output always takes that trip.
 */
export function goNormalizeContainers(containers: unknown[] | undefined): void {
  for (const c of containers ?? []) {
    if (!isObj(c)) continue;
    const res = c.resources;
    if (isObj(res)) {
      for (const list of ["limits", "requests"]) {
        const q = res[list];
        if (isObj(q)) {
          for (const [k, v] of Object.entries(q))
            if (typeof v === "string") q[k] = canonicalQuantity(v);
        }
      }
    }
    if (Array.isArray(c.env)) {
      for (const e of c.env) if (isObj(e) && e.value === "") delete e.value;
    }
  }
}
