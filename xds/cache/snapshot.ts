/**
 * Immutable per-node snapshots: every resource a proxy may receive, encoded and checked, with
 * content-hash versions. A snapshot exists only if every resource encoded cleanly and every
 * referenced RDS/EDS/SDS name is present, so the server never ships a half-consistent state.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#eventual-consistency-considerations
 */
import { createHash } from "node:crypto";
import {
  encodeResource,
  type EncodedResource,
  type EncodeResult,
  type ResourceObject,
} from "../encode/encode-resource";
import { ADS_ORDER, TYPE_SHORT_NAME, type XdsTypeUrl } from "../encode/type-urls";
import { resourceReferences } from "./references";

/** Resources of one type, by name. */
export type ResourceMap = ReadonlyMap<string, EncodedResource>;

/** An immutable, consistent set of resources for one node (or group of nodes). */
export interface Snapshot {
  /** Resources by type URL, then by name. Every served type has an entry, maybe empty. */
  readonly resources: ReadonlyMap<XdsTypeUrl, ResourceMap>;
  /**
   * Per-type version: a hash over the sorted (name, version) pairs, used as a SotW response's
   * `version_info`. Equal content gives equal versions after a restart.
   */
  readonly versions: ReadonlyMap<XdsTypeUrl, string>;
}

/** A snapshot, or every reason it could not be built. */
export type SnapshotResult =
  | { readonly ok: true; readonly value: Snapshot }
  | { readonly ok: false; readonly errors: readonly string[] };

function typeVersion(resources: ResourceMap): string {
  // One string hashed in one call: four hash updates per resource cost more than the hashing.
  let text = "";
  for (const name of [...resources.keys()].sort())
    text += `${name}\0${resources.get(name)!.version}\n`;
  return createHash("sha256").update(text).digest("hex").slice(0, 16);
}

/**
 * Checks that every RDS, EDS and SDS name a Listener or Cluster loads over ADS exists in the
 * snapshot; returns one message per dangling reference.
 */
export function checkConsistency(resources: ReadonlyMap<XdsTypeUrl, ResourceMap>): string[] {
  return checkReferences(resources, resources);
}

/** Checks the references of `from` against the resources of `within`. */
function checkReferences(
  from: ReadonlyMap<XdsTypeUrl, ResourceMap>,
  within: ReadonlyMap<XdsTypeUrl, ResourceMap>,
): string[] {
  const errors: string[] = [];
  for (const [typeUrl, byName] of from) {
    for (const resource of byName.values()) {
      for (const ref of resourceReferences(typeUrl, resource.object)) {
        if (!within.get(ref.typeUrl)?.has(ref.name)) {
          errors.push(
            `${TYPE_SHORT_NAME[typeUrl]} ${JSON.stringify(resource.name)}: ${ref.path}: ` +
              `references ${TYPE_SHORT_NAME[ref.typeUrl]} ${JSON.stringify(ref.name)}, which the snapshot lacks`,
          );
        }
      }
    }
  }
  return errors;
}

function build(byType: Map<XdsTypeUrl, Map<string, EncodedResource>>): SnapshotResult {
  const errors = checkConsistency(byType);
  if (errors.length > 0) return { ok: false, errors };
  const resources = new Map<XdsTypeUrl, ResourceMap>();
  const versions = new Map<XdsTypeUrl, string>();
  for (const typeUrl of ADS_ORDER) {
    const map = byType.get(typeUrl) ?? new Map<string, EncodedResource>();
    resources.set(typeUrl, map);
    versions.set(typeUrl, typeVersion(map));
  }
  return { ok: true, value: Object.freeze({ resources, versions }) };
}

/** Encodes one resource (an `EncodeCache`'s `encode` shares work across proxies). */
export type Encoder = (object: ResourceObject) => EncodeResult;

function encodeAll(
  objects: readonly ResourceObject[],
  into: Map<XdsTypeUrl, Map<string, EncodedResource>>,
  errors: string[],
  encode: Encoder = encodeResource,
): void {
  for (const object of objects) {
    const result = encode(object);
    if (!result.ok) {
      errors.push(...result.errors);
      continue;
    }
    const { typeUrl, name } = result.value;
    let byName = into.get(typeUrl);
    if (!byName) into.set(typeUrl, (byName = new Map()));
    if (byName.has(name))
      errors.push(`${TYPE_SHORT_NAME[typeUrl]} ${JSON.stringify(name)}: duplicate resource name`);
    byName.set(name, result.value);
  }
}

/** Encodes, checks and freezes `objects` into a snapshot. */
export function createSnapshot(
  objects: readonly ResourceObject[],
  encode: Encoder = encodeResource,
): SnapshotResult {
  const byType = new Map<XdsTypeUrl, Map<string, EncodedResource>>();
  const errors: string[] = [];
  encodeAll(objects, byType, errors, encode);
  if (errors.length > 0) return { ok: false, errors };
  return build(byType);
}

/**
 * A new snapshot equal to `base` except that the given types are replaced wholesale by
 * `objects` (e.g. only ClusterLoadAssignments after an endpoint-only change). Resources of
 * other types keep their encoded bytes, so their versions — and the pushes — do not change.
 */
export function replaceTypes(
  base: Snapshot,
  types: readonly XdsTypeUrl[],
  objects: readonly ResourceObject[],
): SnapshotResult {
  const byType = new Map<XdsTypeUrl, Map<string, EncodedResource>>();
  for (const [typeUrl, byName] of base.resources) {
    byType.set(typeUrl, types.includes(typeUrl) ? new Map() : new Map(byName));
  }
  const errors: string[] = [];
  encodeAll(objects, byType, errors);
  for (const object of objects) {
    if (!types.includes(object["@type"] as XdsTypeUrl)) {
      errors.push(`resource @type ${object["@type"]} is outside the replaced types`);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return build(byType);
}

/**
 * A new snapshot equal to `base` except for `objects`, each replacing the resource of the same
 * type and name (or joining it). For a change that touches a few resources of a large snapshot
 * (one service's ClusterLoadAssignments): only those are encoded; the rest keep their bytes and
 * versions. The result is checked for consistency like any other snapshot.
 */
export function updateResources(
  base: Snapshot,
  objects: readonly ResourceObject[],
  encode: Encoder = encodeResource,
): SnapshotResult {
  const updated = new Map<XdsTypeUrl, Map<string, EncodedResource>>();
  const errors: string[] = [];
  encodeAll(objects, updated, errors, encode);
  if (errors.length > 0) return { ok: false, errors };
  const resources = new Map(base.resources);
  for (const [typeUrl, byName] of updated) {
    const merged = new Map(base.resources.get(typeUrl));
    for (const [name, resource] of byName) merged.set(name, resource);
    resources.set(typeUrl, merged);
  }
  // Nothing was removed, so what `base` referenced is still there: only the new resources'
  // references need checking, and only the changed types need new versions.
  const dangling = checkReferences(updated, resources);
  if (dangling.length > 0) return { ok: false, errors: dangling };
  const versions = new Map(base.versions);
  for (const typeUrl of updated.keys()) versions.set(typeUrl, typeVersion(resources.get(typeUrl)!));
  return { ok: true, value: Object.freeze({ resources, versions }) };
}

/** The resource `name` of `typeUrl`, if the snapshot has it. */
export function getResource(
  snapshot: Snapshot,
  typeUrl: XdsTypeUrl,
  name: string,
): EncodedResource | undefined {
  return snapshot.resources.get(typeUrl)?.get(name);
}
