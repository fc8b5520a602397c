/**
 * How a delegate VirtualService's HTTP route takes each field of the root route it is merged
 * under. Every HttpRoute field has a rule, so a new field does not compile until someone decides
 * what delegation does with it; before this table, a forgotten field silently lost the root's
 * setting for every delegated route.
 *
 * - `inherit`: the delegate's value if set, else the root's (Istio: `if delegate.X == nil {
 *   delegate.X = root.X }`). "Set" is protobuf's: an empty string or list is unset.
 * - `own`: the delegate's value only; the root's is never used.
 * - `merge`: computed from both (see `mergeRoute` in delegates.ts).
 *
 * @see istio/istio pilot/pkg/model/virtualservice.go mergeHTTPRoute (the reference, field by field)
 */
import type { HttpRoute } from "../../mesh/api";

/** What delegation does with one HttpRoute field. */
export type DelegationRule = "inherit" | "own" | "merge";

/** A delegation rule for every field of a route type. */
export type DelegationRules<R> = { readonly [K in keyof R]-?: DelegationRule };

/** The delegation rule of every HttpRoute field. */
export const HTTP_ROUTE_DELEGATION = {
  // Where traffic goes is the delegate's to say: validation refuses `route` and `redirect` on a
  // root route that delegates, so there is never a root value to take.
  route: "own",
  redirect: "own",
  // Istio clears the root's `delegate` before merging (one level only); a delegate route that
  // delegates again is refused by validation and dropped by the merge.
  delegate: "own",
  // Each delegate match is narrowed by the root matches it lies within (mergeMatches).
  match: "merge",
  // `root-delegate` when both are named, else whichever is (Istio names merged routes so).
  name: "merge",
  // A root may set a direct response next to `delegate` (validation only refuses route and
  // redirect there), and Istio then hands it to every delegated route that has none.
  directResponse: "inherit",
  rewrite: "inherit",
  timeout: "inherit",
  retries: "inherit",
  fault: "inherit",
  corsPolicy: "inherit",
  headers: "inherit",
  // Mirroring is inherited field by field, as Istio does: a delegate's own `mirror` still gets the
  // root's `mirrorPercentage`, and a root `mirror` joins a delegate's `mirrors` (both are sent).
  mirror: "inherit",
  mirrors: "inherit",
  mirrorPercentage: "inherit",
  // One deprecated proto field (`mirror_percent`) under its two JSON names, so it is inherited as
  // one field: a delegate that writes either spelling keeps its own, and only one that writes
  // neither takes the root's. Inheriting each name alone would let a root's `mirrorPercent: 50`
  // override a delegate's `mirror_percent: 10`, where Istio keeps 10.
  mirrorPercent: "merge",
  mirror_percent: "merge",
} as const satisfies DelegationRules<HttpRoute>;

/** The HttpRoute fields with a given rule. */
export type FieldsWithRule<Rule extends DelegationRule> = {
  [K in keyof typeof HTTP_ROUTE_DELEGATION]: (typeof HTTP_ROUTE_DELEGATION)[K] extends Rule
    ? K
    : never;
}[keyof typeof HTTP_ROUTE_DELEGATION];

/** The HttpRoute fields with a given rule, in table order. */
export function fieldsWithRule<Rule extends DelegationRule>(rule: Rule): FieldsWithRule<Rule>[] {
  return (Object.keys(HTTP_ROUTE_DELEGATION) as (keyof typeof HTTP_ROUTE_DELEGATION)[]).filter(
    (f): f is FieldsWithRule<Rule> => HTTP_ROUTE_DELEGATION[f] === rule,
  );
}
