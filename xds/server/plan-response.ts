/**
 * Decides what a response for one type carries, from what the proxy holds and the current
 * snapshot. Pure.
 *
 * State of the world: LDS and CDS responses carry every subscribed resource (a missing one is
 * deleted by the client); RDS, EDS and SDS responses carry only the changed names, and cannot
 * express a deletion. Delta responses carry changed resources plus `removed_resources`.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#incremental-xds
 */
import type { EncodedResource } from "../encode/encode-resource";
import { isFullStateType, type XdsTypeUrl } from "../encode/type-urls";
import type { Snapshot } from "../cache/snapshot";
import type { HeldResource } from "./proxy-status";
import { isSubscribed, type Subscription } from "./subscription";

/** Resources to send and names to remove; undefined when nothing needs sending. */
export interface PlannedContent {
  readonly resources: readonly EncodedResource[];
  readonly removed: readonly string[];
}

/**
 * Plans the content of the next response for `typeUrl`, or undefined when there is nothing to
 * send. `forced` means the client is owed an answer (initial request, new names).
 */
export function planResponse(
  variant: "sotw" | "delta",
  typeUrl: XdsTypeUrl,
  subscription: Subscription,
  held: ReadonlyMap<string, HeldResource>,
  snapshot: Snapshot,
  forced: boolean,
): PlannedContent | undefined {
  const all = snapshot.resources.get(typeUrl) ?? new Map<string, EncodedResource>();
  const available = [...all.values()].filter(r => isSubscribed(subscription, r.name));
  const changed = available.filter(r => held.get(r.name)?.version !== r.version);
  const gone = [...held.keys()].filter(name => !all.has(name) && isSubscribed(subscription, name));

  if (variant === "delta") {
    if (!forced && changed.length === 0 && gone.length === 0) return undefined;
    return { resources: changed, removed: gone };
  }
  if (isFullStateType(typeUrl)) {
    if (!forced && changed.length === 0 && gone.length === 0) return undefined;
    return { resources: available, removed: gone };
  }
  if (forced) return available.length > 0 ? { resources: available, removed: [] } : undefined;
  return changed.length > 0 ? { resources: changed, removed: [] } : undefined;
}
