/**
 * The one place that decides what a discovery request means. Pure: the stream's state for the
 * type and the request in, a classification out.
 *
 * - initial: the first request for the type on this stream, whatever nonce, version or
 *   `error_detail` it carries — always answered. A client reconnecting to a restarted server or
 *   another replica (Envoy, Istio's adsc) sends the nonce and `version_info` it last saw on its
 *   previous stream. They name nothing this stream sent, so the answer is the full subscribed set,
 *   even when that version equals the current one. istiod answers the same way ("INIT/RECONNECT" in
 *   `ShouldRespond`, istio/pkg/xds/server.go) and ignores `version_info` too; unlike istiod, a
 *   first request carrying `error_detail` is answered as well (istiod drops it and leaves the type
 *   unserved: the error is about another stream's response). In SotW, any request without a nonce
 *   (a re-request) and any request while nothing has been sent for the type on this stream are
 *   initial as well: with no response of ours outstanding there is nothing for the nonce to be
 *   stale against, and ignoring it would drop the names it asks for;
 * - stale: it names a nonce other than the last response sent on this stream; the client has
 *   not seen the newest response yet and will ACK or NACK that one, so a SotW stale request is
 *   ignored;
 * - nack: it names the latest nonce and carries `error_detail`; the client kept its previous
 *   config;
 * - subscription-change: it names the latest nonce (an ACK) and changes what is subscribed;
 * - ack: it names the latest nonce and changes nothing.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#ack-and-nack-semantics
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#resource-updates
 */
import {
  deltaSubscription,
  diffSubscriptions,
  isChanged,
  sotwSubscription,
  type Subscription,
  type SubscriptionDiff,
} from "./subscription";

/** What a stream remembers about one type, as far as classification needs. */
export interface TypeStreamState {
  /** Subscription so far; undefined before the first request for the type. */
  readonly subscription?: Subscription;
  /** Nonce of the most recent response sent for the type; undefined before the first. */
  readonly lastNonce?: string;
}

/** The `error_detail` a NACK carries (google.rpc.Status). */
export interface ErrorDetail {
  /** gRPC status code. */
  readonly code: number;
  /** Human-readable reason, e.g. the field grpc-js-xds or Envoy rejected. */
  readonly message: string;
}

/** The fields of a request classification needs, for either protocol variant. */
export type ClassifiableRequest =
  | {
      readonly variant: "sotw";
      readonly typeUrl: string;
      readonly nonce: string;
      readonly errorDetail?: ErrorDetail;
      /** The full list of subscribed names. */
      readonly names: readonly string[];
    }
  | {
      readonly variant: "delta";
      readonly typeUrl: string;
      readonly nonce: string;
      readonly errorDetail?: ErrorDetail;
      readonly subscribe: readonly string[];
      readonly unsubscribe: readonly string[];
      /** Names in `initial_resource_versions`: what a reconnecting client already holds. */
      readonly held?: readonly string[];
    };

/** The kinds of request. */
export type RequestKind = "initial" | "ack" | "nack" | "stale" | "subscription-change";

/** What a request means and what the server should do about it. */
export interface Classification {
  /** What the request is. */
  readonly kind: RequestKind;
  /** True when the request acknowledges (ACK or NACK) the latest response, freeing the type. */
  readonly answersLatest: boolean;
  /** The subscription after the request (unchanged for an ignored stale SotW request). */
  readonly subscription: Subscription;
  /** How the subscription changed. */
  readonly diff: SubscriptionDiff;
  /** True when the server owes the client a response now, even if nothing changed. */
  readonly respond: boolean;
}

/** Classifies `request` against the stream's `state` for its type. */
export function classifyRequest(
  state: TypeStreamState,
  request: ClassifiableRequest,
): Classification {
  const first = state.subscription === undefined;
  const subscription =
    request.variant === "sotw"
      ? sotwSubscription(request.typeUrl, state.subscription, request.names)
      : deltaSubscription(
          request.typeUrl,
          state.subscription,
          request.subscribe,
          request.unsubscribe,
          request.held,
        );
  const diff = diffSubscriptions(state.subscription, subscription);
  const changed = isChanged(diff);
  const gained = diff.added.length > 0 || diff.wildcardAdded;
  const nonceIsLatest = request.nonce !== "" && request.nonce === state.lastNonce;

  if (request.variant === "sotw") {
    if (request.nonce === "" || first || state.lastNonce === undefined) {
      return { kind: "initial", answersLatest: false, subscription, diff, respond: true };
    }
    if (!nonceIsLatest) {
      const unchanged = state.subscription ?? subscription;
      return {
        kind: "stale",
        answersLatest: false,
        subscription: unchanged,
        diff: diffSubscriptions(unchanged, unchanged),
        respond: false,
      };
    }
    if (request.errorDetail) {
      return { kind: "nack", answersLatest: true, subscription, diff, respond: gained };
    }
    if (changed)
      return {
        kind: "subscription-change",
        answersLatest: true,
        subscription,
        diff,
        respond: gained,
      };
    return { kind: "ack", answersLatest: true, subscription, diff, respond: false };
  }

  // Delta: subscriptions change with any request, whatever its nonce; only new names need an
  // answer, and a request naming no current nonce acknowledges nothing. The first request is
  // answered whatever nonce it carries; what the client already holds comes separately, in
  // `initial_resource_versions` (the session records it, see XdsSession).
  if (first) return { kind: "initial", answersLatest: false, subscription, diff, respond: true };
  if (nonceIsLatest && request.errorDetail) {
    return { kind: "nack", answersLatest: true, subscription, diff, respond: gained };
  }
  if (changed) {
    return {
      kind: "subscription-change",
      answersLatest: nonceIsLatest,
      subscription,
      diff,
      respond: gained,
    };
  }
  if (nonceIsLatest)
    return { kind: "ack", answersLatest: true, subscription, diff, respond: false };
  return { kind: "stale", answersLatest: false, subscription, diff, respond: false };
}
