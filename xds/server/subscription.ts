/**
 * Subscription bookkeeping: which resource names of one type a stream asked for.
 *
 * Rules from the xDS protocol ("How the client specifies what resources to return"):
 * `*` subscribes to everything of the type; an empty first request for LDS or CDS is a *legacy*
 * wildcard that lasts until the client names resources explicitly; for other types an empty
 * list means nothing. SotW requests carry the whole list each time; Delta requests add and
 * remove names.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#how-the-client-specifies-what-resources-to-return
 */
import { isFullStateType } from "../encode/type-urls";

/** What a stream is subscribed to for one type. Immutable. */
export interface Subscription {
  /** Everything of the type, explicitly (`*`) or by the legacy empty-list rule. */
  readonly wildcard: boolean;
  /** True while the wildcard comes from the legacy empty-list rule. */
  readonly legacyWildcard: boolean;
  /** Explicitly named resources (never contains `*`). */
  readonly names: ReadonlySet<string>;
}

/** The subscription of a stream that has not asked for the type. */
export const EMPTY_SUBSCRIPTION: Subscription = Object.freeze({
  wildcard: false,
  legacyWildcard: false,
  names: new Set<string>(),
});

const WILDCARD = "*";

/**
 * The subscription after a SotW request naming `names` for `typeUrl`, given the previous one
 * (`undefined` before the first request for the type).
 */
export function sotwSubscription(
  typeUrl: string,
  previous: Subscription | undefined,
  names: readonly string[],
): Subscription {
  if (names.length === 0) {
    const legacy = isFullStateType(typeUrl) && (previous === undefined || previous.legacyWildcard);
    return legacy ? { wildcard: true, legacyWildcard: true, names: new Set() } : EMPTY_SUBSCRIPTION;
  }
  const explicit = new Set(names.filter(n => n !== WILDCARD));
  return { wildcard: names.includes(WILDCARD), legacyWildcard: false, names: explicit };
}

/**
 * The subscription after a Delta request subscribing and unsubscribing names, given the
 * previous one (`undefined` before the first request for the type). `held` are the names of
 * the first request's `initial_resource_versions`: a reconnecting client holds them and so
 * wants them, like the names it subscribes (istiod subscribes them too). A wildcard covers
 * them already, and later requests never carry any.
 */
export function deltaSubscription(
  typeUrl: string,
  previous: Subscription | undefined,
  subscribe: readonly string[],
  unsubscribe: readonly string[],
  held: readonly string[] = [],
): Subscription {
  let wildcard = previous?.wildcard ?? false;
  let legacyWildcard = previous?.legacyWildcard ?? false;
  if (previous === undefined && subscribe.length === 0 && isFullStateType(typeUrl)) {
    wildcard = true;
    legacyWildcard = true;
  }
  const names = new Set(previous?.names ?? []);
  for (const name of subscribe) {
    if (name === WILDCARD) {
      wildcard = true;
      legacyWildcard = false;
    } else names.add(name);
  }
  if (previous === undefined && !wildcard) {
    for (const name of held) if (name !== WILDCARD) names.add(name);
  }
  for (const name of unsubscribe) {
    if (name === WILDCARD) {
      wildcard = false;
      legacyWildcard = false;
    } else names.delete(name);
  }
  return { wildcard, legacyWildcard, names };
}

/** True when the subscription covers the resource called `name`. */
export function isSubscribed(subscription: Subscription | undefined, name: string): boolean {
  return subscription !== undefined && (subscription.wildcard || subscription.names.has(name));
}

/** Names added and removed between two subscriptions, and whether the wildcard was turned on. */
export interface SubscriptionDiff {
  /** Names newly subscribed. */
  readonly added: readonly string[];
  /** Names no longer subscribed (their state is forgotten). */
  readonly removed: readonly string[];
  /** True when the wildcard went from off to on. */
  readonly wildcardAdded: boolean;
  /** True when the wildcard went from on to off. */
  readonly wildcardRemoved: boolean;
}

/** What changed from `before` to `after`. */
export function diffSubscriptions(
  before: Subscription | undefined,
  after: Subscription,
): SubscriptionDiff {
  const old = before ?? EMPTY_SUBSCRIPTION;
  return {
    added: [...after.names].filter(n => !old.names.has(n)).sort(),
    removed: [...old.names].filter(n => !after.names.has(n)).sort(),
    wildcardAdded: after.wildcard && !old.wildcard,
    wildcardRemoved: old.wildcard && !after.wildcard,
  };
}

/** True when the diff changes anything. */
export function isChanged(diff: SubscriptionDiff): boolean {
  return (
    diff.added.length > 0 || diff.removed.length > 0 || diff.wildcardAdded || diff.wildcardRemoved
  );
}
