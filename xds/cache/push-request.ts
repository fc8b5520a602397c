/**
 * What a batch of mesh changes asks of the xDS layer, merged across a debounce window the way
 * istiod merges `PushRequest`s: any config change makes the push full; a batch of only endpoint
 * changes recomputes and pushes EDS alone. The changed objects travel with the request so the
 * push can recompile only the proxies they reach (see `push-scope.ts`).
 */

/** A request to recompute and push xDS state. */
export interface PushRequest {
  /** True when any non-endpoint config changed: recompute every type. */
  readonly full: boolean;
  /**
   * What changed among endpoints, for an EDS-only push: `Kind/namespace/name` of the changed
   * EndpointSlice, Pod or WorkloadEntry (anything else means "some endpoints").
   */
  readonly endpoints: ReadonlySet<string>;
  /**
   * Changed config objects, `Kind/namespace/name`. A value that names no known kind means
   * "anything may have changed": every proxy is recompiled.
   */
  readonly configs: ReadonlySet<string>;
  /** Why the push happens (kinds or object keys), for logs and metrics. */
  readonly reasons: ReadonlySet<string>;
}

/** A push for a config change of `object` (`Kind/namespace/name`); the reason defaults to it. */
export function configChange(object: string, reason: string = object): PushRequest {
  return {
    full: true,
    endpoints: new Set(),
    configs: new Set([object]),
    reasons: new Set([reason]),
  };
}

/** A push for changed endpoints of `object` (`Kind/namespace/name`, or a service) only. */
export function endpointChange(object: string): PushRequest {
  return {
    full: false,
    endpoints: new Set([object]),
    configs: new Set(),
    reasons: new Set(["endpoints"]),
  };
}

/** The union of two push requests: full if either is, with all objects and reasons. */
export function mergePushRequests(a: PushRequest, b: PushRequest): PushRequest {
  return {
    full: a.full || b.full,
    endpoints: new Set([...a.endpoints, ...b.endpoints]),
    configs: new Set([...a.configs, ...b.configs]),
    reasons: new Set([...a.reasons, ...b.reasons]),
  };
}

/**
 * {@link mergePushRequests} for an accumulator: adds `b`'s objects and reasons to `a`'s sets in
 * place and returns `a` (or a copy of it marked full, sharing its sets). Merging n events one by
 * one is then O(n), where copying the sets each time is O(n²) — minutes for the 20,000 watch
 * events of a large mesh's first list. Only for an `a` its caller owns alone (the debouncer's
 * pending batch, built from requests handed over to it): `a` is changed.
 */
export function absorbPushRequest(a: PushRequest, b: PushRequest): PushRequest {
  for (const [into, from] of [
    [a.endpoints, b.endpoints],
    [a.configs, b.configs],
    [a.reasons, b.reasons],
  ] as const)
    for (const x of from) (into as Set<string>).add(x);
  return a.full || !b.full ? a : { ...a, full: true };
}
