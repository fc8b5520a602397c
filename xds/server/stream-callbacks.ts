/**
 * Stream callbacks: what an xDS session tells the outside about each stream, and how the outside
 * may refuse a stream. The idea is go-control-plane's server `Callbacks` (OnStreamOpen,
 * OnStreamRequest, OnStreamResponse, OnStreamClosed): the session keeps the protocol, and
 * admission rules (the request rate limit, the stream cap per node, the caller's namespace) are
 * callbacks chained in front of it, each small enough to read and test on its own.
 *
 * @see https://pkg.go.dev/github.com/envoyproxy/go-control-plane/pkg/server/v3#Callbacks
 */
import type { XdsTypeUrl } from "../encode/type-urls";
import { nodeRefusal, type AuthenticatedCaller } from "./caller";
import type { DiscoveryRequest, NodeInfo, ResponsePlan } from "./messages";

/** Why a session ended the stream (see {@link SessionTransport.fail}). */
export type FailureKind = "invalid" | "exhausted" | "denied";

/** A refusal ends the stream with `reason`, reported to the client as `kind`. */
export interface Refusal {
  readonly reason: string;
  readonly kind: FailureKind;
}

/** What a callback knows of a stream; also its identity (one object per stream). */
export interface StreamInfo {
  readonly variant: "sotw" | "delta";
  /** For per-type services: the one type served. */
  readonly onlyType?: XdsTypeUrl;
  /** The caller, when the port checked a token (see {@link AuthenticatedCaller}). */
  readonly caller?: AuthenticatedCaller;
}

/**
 * Callbacks on one stream's life. Every method is optional; those that return a
 * {@link Refusal} end the stream with it (and later callbacks of a chain are not asked).
 */
export interface StreamCallbacks {
  /** The stream opened (before its first request). */
  onStreamOpen?(stream: StreamInfo): void;
  /** A request arrived, before the session handles it. */
  onStreamRequest?(stream: StreamInfo, request: DiscoveryRequest): Refusal | undefined;
  /** The stream's first request named its node, before the session serves that node. */
  onStreamNode?(stream: StreamInfo, node: NodeInfo): Refusal | undefined;
  /** A response was written to the stream. */
  onStreamResponse?(stream: StreamInfo, response: ResponsePlan): void;
  /** The stream ended; `node` if its first request named one. */
  onStreamClosed?(stream: StreamInfo, node: NodeInfo | undefined): void;
}

/** Calls each callback in turn; the first refusal wins and ends the round. */
export function chainCallbacks(...chain: readonly StreamCallbacks[]): StreamCallbacks {
  return {
    onStreamOpen: stream => {
      for (const c of chain) c.onStreamOpen?.(stream);
    },
    onStreamRequest: (stream, request) => {
      for (const c of chain) {
        const refusal = c.onStreamRequest?.(stream, request);
        if (refusal) return refusal;
      }
      return undefined;
    },
    onStreamNode: (stream, node) => {
      for (const c of chain) {
        const refusal = c.onStreamNode?.(stream, node);
        if (refusal) return refusal;
      }
      return undefined;
    },
    onStreamResponse: (stream, response) => {
      for (const c of chain) c.onStreamResponse?.(stream, response);
    },
    onStreamClosed: (stream, node) => {
      for (const c of chain) c.onStreamClosed?.(stream, node);
    },
  };
}

/**
 * Per-client bounds, so that one misbehaving client cannot take the server's memory or CPU:
 * streams under one node id, and a token bucket of requests per stream. A healthy proxy sends
 * about one request per response (and responses are limited to one unanswered per type), so
 * the defaults leave it far below either bound.
 */
export interface SessionLimits {
  /** Live streams one node id may hold (ADS, per-type services and reconnect overlap). */
  readonly maxStreamsPerNode: number;
  /** Requests a stream may send at once. */
  readonly requestBurst: number;
  /** Requests per second a stream may sustain after the burst. */
  readonly requestsPerSecond: number;
}

/** The bounds used when the server is given none. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = {
  maxStreamsPerNode: 16,
  requestBurst: 1_000,
  requestsPerSecond: 200,
};

/**
 * A token bucket per stream: `requestBurst` requests at once, refilled at `requestsPerSecond`.
 * The bucket starts full when the stream opens.
 *
 * @param now milliseconds since epoch
 */
export function requestRateLimit(
  limits: Pick<SessionLimits, "requestBurst" | "requestsPerSecond">,
  now: () => number,
): StreamCallbacks {
  const buckets = new WeakMap<StreamInfo, { tokens: number; refilledAt: number }>();
  const { requestBurst, requestsPerSecond } = limits;
  return {
    onStreamOpen: stream => void buckets.set(stream, { tokens: requestBurst, refilledAt: now() }),
    onStreamRequest: stream => {
      const bucket = buckets.get(stream);
      if (!bucket) return undefined; // not opened through this chain
      const at = now();
      bucket.tokens = Math.min(
        requestBurst,
        bucket.tokens + ((at - bucket.refilledAt) / 1000) * requestsPerSecond,
      );
      bucket.refilledAt = at;
      if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return undefined;
      }
      return {
        reason:
          `rate-limited: more than ${requestBurst} requests at once or ` +
          `${requestsPerSecond}/s on one stream`,
        kind: "exhausted",
      };
    },
    onStreamClosed: stream => void buckets.delete(stream),
  };
}

/**
 * At most `maxStreamsPerNode` live streams per node id. `liveStreams` counts the streams the
 * server already serves for a node (the new one is not yet among them).
 */
export function streamCap(
  maxStreamsPerNode: number,
  liveStreams: (nodeId: string) => number,
): StreamCallbacks {
  return {
    onStreamNode: (_stream, node) =>
      liveStreams(node.id) >= maxStreamsPerNode
        ? {
            reason: `too-many-streams: node ${node.id} already has ${maxStreamsPerNode} streams open`,
            kind: "exhausted",
          }
        : undefined,
  };
}

/** A caller may speak only for nodes in its own namespace (see {@link nodeRefusal}). */
export const callerNamespace: StreamCallbacks = {
  onStreamNode: (stream, node) => {
    const reason = nodeRefusal(node, stream.caller);
    return reason === undefined ? undefined : { reason, kind: "denied" };
  },
};

/** The admission every session applies, in order: rate limit, stream cap, caller's namespace. */
export function admissionCallbacks(
  limits: SessionLimits,
  now: () => number,
  liveStreams: (nodeId: string) => number,
): StreamCallbacks {
  return chainCallbacks(
    requestRateLimit(limits, now),
    streamCap(limits.maxStreamsPerNode, liveStreams),
    callerNamespace,
  );
}
