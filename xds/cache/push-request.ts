/**
 * What a batch of mesh changes asks of the xDS layer, merged across a debounce window the way
 * istiod merges `PushRequest`s: any config change makes the push full; a batch of only endpoint
 * changes recomputes and pushes EDS alone.
 */

/** A request to recompute and push xDS state. */
export interface PushRequest {
  /** True when any non-endpoint config changed: recompute every type. */
  readonly full: boolean;
  /** Services whose endpoints changed (`name.namespace`), for an EDS-only push. */
  readonly endpoints: ReadonlySet<string>;
  /** Why the push happens (kinds or object keys), for logs and metrics. */
  readonly reasons: ReadonlySet<string>;
}

/** A push for a config change (reason: the changed kind or object). */
export function configChange(reason: string): PushRequest {
  return { full: true, endpoints: new Set(), reasons: new Set([reason]) };
}

/** A push for changed endpoints of `service` only. */
export function endpointChange(service: string): PushRequest {
  return { full: false, endpoints: new Set([service]), reasons: new Set(["endpoints"]) };
}

/** The union of two push requests: full if either is, with all endpoints and reasons. */
export function mergePushRequests(a: PushRequest, b: PushRequest): PushRequest {
  return {
    full: a.full || b.full,
    endpoints: new Set([...a.endpoints, ...b.endpoints]),
    reasons: new Set([...a.reasons, ...b.reasons]),
  };
}
