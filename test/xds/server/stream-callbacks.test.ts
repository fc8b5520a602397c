import type { DiscoveryRequest, NodeInfo } from "../../../xds/server/messages";
import {
  admissionCallbacks,
  callerNamespace,
  chainCallbacks,
  requestRateLimit,
  streamCap,
  type StreamCallbacks,
  type StreamInfo,
} from "../../../xds/server/stream-callbacks";

const node: NodeInfo = {
  id: "sidecar~10.0.0.1~a.default~default.svc.cluster.local",
  cluster: "a",
  metadata: { NAMESPACE: "default" },
  userAgent: "test",
};
const request: DiscoveryRequest = {
  variant: "sotw",
  node,
  typeUrl: "",
  versionInfo: "",
  names: [],
  nonce: "",
};

describe("stream callbacks", () => {
  it("a chain asks each callback in order and stops at the first refusal", () => {
    const asked: string[] = [];
    const step = (name: string, refuse: boolean): StreamCallbacks => ({
      onStreamOpen: () => void asked.push(`${name}:open`),
      onStreamRequest: () => {
        asked.push(`${name}:request`);
        return refuse ? { reason: `${name}: no`, kind: "exhausted" } : undefined;
      },
      onStreamNode: () => {
        asked.push(`${name}:node`);
        return refuse ? { reason: `${name}: no`, kind: "denied" } : undefined;
      },
      onStreamClosed: (_s, n) => void asked.push(`${name}:closed:${n?.id ?? "-"}`),
    });
    const chain = chainCallbacks(step("a", false), step("b", true), step("c", false));
    const stream: StreamInfo = { variant: "sotw" };
    chain.onStreamOpen!(stream);
    expect(chain.onStreamRequest!(stream, request)).toEqual({ reason: "b: no", kind: "exhausted" });
    expect(chain.onStreamNode!(stream, node)).toEqual({ reason: "b: no", kind: "denied" });
    chain.onStreamClosed!(stream, undefined);
    expect(asked).toEqual([
      "a:open",
      "b:open",
      "c:open",
      "a:request",
      "b:request",
      "a:node",
      "b:node",
      "a:closed:-",
      "b:closed:-",
      "c:closed:-",
    ]);
  });

  it("the rate limit allows a burst, then refills per second, per stream", () => {
    let clock = 0;
    const limit = requestRateLimit({ requestBurst: 2, requestsPerSecond: 1 }, () => clock);
    const one: StreamInfo = { variant: "sotw" };
    const two: StreamInfo = { variant: "delta" };
    limit.onStreamOpen!(one);
    limit.onStreamOpen!(two);
    const take = (s: StreamInfo) => limit.onStreamRequest!(s, request)?.kind ?? "ok";
    expect([take(one), take(one), take(one)]).toEqual(["ok", "ok", "exhausted"]);
    expect(take(two)).toBe("ok"); // its own bucket
    clock += 500;
    expect(take(one)).toBe("exhausted"); // half a token
    clock += 500;
    expect(take(one)).toBe("ok");
    clock += 10_000; // refills no further than the burst
    expect([take(one), take(one), take(one)]).toEqual(["ok", "ok", "exhausted"]);
    expect(limit.onStreamRequest!(one, request)?.reason).toBe(
      "rate-limited: more than 2 requests at once or 1/s on one stream",
    );
  });

  it("the stream cap refuses a node that already holds the maximum", () => {
    const live = new Map([[node.id, 2]]);
    const cap = streamCap(2, id => live.get(id) ?? 0);
    const stream: StreamInfo = { variant: "sotw" };
    expect(cap.onStreamNode!(stream, node)).toEqual({
      reason: `too-many-streams: node ${node.id} already has 2 streams open`,
      kind: "exhausted",
    });
    live.set(node.id, 1);
    expect(cap.onStreamNode!(stream, node)).toBeUndefined();
  });

  it.each<[string, StreamInfo, "denied" | undefined]>([
    ["no caller (a port without token auth)", { variant: "sotw" }, undefined],
    [
      "a caller of the node's namespace",
      {
        variant: "sotw",
        caller: { namespace: "default", serviceAccount: "a", secretsAllowed: true },
      },
      undefined,
    ],
    [
      "a caller of another namespace",
      {
        variant: "sotw",
        caller: { namespace: "other", serviceAccount: "a", secretsAllowed: true },
      },
      "denied",
    ],
  ])("the caller's namespace: %s", (_name, stream, kind) => {
    expect(callerNamespace.onStreamNode!(stream, node)?.kind).toBe(kind);
  });

  it("admission checks the rate limit on every request and the cap before the namespace", () => {
    const admission = admissionCallbacks(
      { maxStreamsPerNode: 1, requestBurst: 1, requestsPerSecond: 1 },
      () => 0,
      () => 1,
    );
    const stream: StreamInfo = {
      variant: "sotw",
      caller: { namespace: "other", serviceAccount: "a", secretsAllowed: true },
    };
    admission.onStreamOpen!(stream);
    expect(admission.onStreamRequest!(stream, request)).toBeUndefined();
    expect(admission.onStreamNode!(stream, node)?.kind).toBe("exhausted");
    expect(admission.onStreamRequest!(stream, request)?.kind).toBe("exhausted");
  });
});
