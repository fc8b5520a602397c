import {
  classifyRequest,
  type ClassifiableRequest,
  type RequestKind,
  type TypeStreamState,
} from "../../../xds/server/classify-request";
import type { SotwRequest } from "../../../xds/server/messages";
import { type Subscription } from "../../../xds/server/subscription";
import { TypeUrl } from "../../../xds/encode/type-urls";

const LDS = TypeUrl.listener;
const CDS = TypeUrl.cluster;
const RDS = TypeUrl.route;
const sub = (names: string[], wildcard = false, legacyWildcard = false): Subscription => ({
  wildcard,
  legacyWildcard,
  names: new Set(names),
});
const nack = { code: 3, message: "bad route" };

const sotw = (
  typeUrl: string,
  nonce: string,
  names: string[],
  errorDetail?: typeof nack,
): ClassifiableRequest => ({
  variant: "sotw",
  typeUrl,
  nonce,
  names,
  errorDetail,
});
/**
 * A whole decoded SotW request, `version_info` included, as a client reconnecting from another
 * stream sends it: the nonce and version it last saw there. Classification must not depend on
 * the version, so the rows pass it and expect the same answer whatever it is.
 */
const resumed = (
  typeUrl: string,
  nonce: string,
  versionInfo: string,
  names: string[],
  errorDetail?: typeof nack,
): SotwRequest => ({
  variant: "sotw",
  node: {
    id: "sidecar~10.0.0.1~a.default~default.svc.cluster.local",
    cluster: "",
    metadata: {},
    userAgent: "",
  },
  typeUrl,
  versionInfo,
  nonce,
  names,
  errorDetail,
});
const delta = (
  typeUrl: string,
  nonce: string,
  subscribe: string[],
  unsubscribe: string[] = [],
  errorDetail?: typeof nack,
  held?: string[],
): ClassifiableRequest => ({
  variant: "delta",
  typeUrl,
  nonce,
  subscribe,
  unsubscribe,
  errorDetail,
  held,
});

type Row = [string, TypeStreamState, ClassifiableRequest, RequestKind, boolean, boolean, string[]];

// [case, state, request, kind, answersLatest, respond, subscribed names after]
const sotwRows: Row[] = [
  ["first request", {}, sotw(RDS, "", ["r1"]), "initial", false, true, ["r1"]],
  [
    "request without nonce after responses (re-request)",
    { subscription: sub(["r1"]), lastNonce: "n1" },
    sotw(RDS, "", ["r1", "r2"]),
    "initial",
    false,
    true,
    ["r1", "r2"],
  ],
  [
    "ACK of the latest nonce, same names",
    { subscription: sub(["r1"]), lastNonce: "n1" },
    sotw(RDS, "n1", ["r1"]),
    "ack",
    true,
    false,
    ["r1"],
  ],
  [
    "ACK with the names in another order",
    { subscription: sub(["a", "b"]), lastNonce: "n1" },
    sotw(RDS, "n1", ["b", "a"]),
    "ack",
    true,
    false,
    ["a", "b"],
  ],
  [
    "NACK of the latest nonce",
    { subscription: sub(["r1"]), lastNonce: "n1" },
    sotw(RDS, "n1", ["r1"], nack),
    "nack",
    true,
    false,
    ["r1"],
  ],
  [
    "NACK that also adds a name",
    { subscription: sub(["r1"]), lastNonce: "n1" },
    sotw(RDS, "n1", ["r1", "r2"], nack),
    "nack",
    true,
    true,
    ["r1", "r2"],
  ],
  [
    "stale nonce is ignored",
    { subscription: sub(["r1"]), lastNonce: "n2" },
    sotw(RDS, "n1", ["r1", "r2"]),
    "stale",
    false,
    false,
    ["r1"],
  ],
  [
    "stale NACK is ignored",
    { subscription: sub(["r1"]), lastNonce: "n2" },
    sotw(RDS, "n1", ["r1"], nack),
    "stale",
    false,
    false,
    ["r1"],
  ],
  [
    "reconnect: first request with a nonce and version_info from another server instance",
    {},
    resumed(RDS, "0b1c2d3e-7", "5f1e0c9a", ["r1"]),
    "initial",
    false,
    true,
    ["r1"],
  ],
  [
    "reconnect: first LDS request (legacy wildcard) with a foreign nonce and the current version",
    {},
    resumed(LDS, "0b1c2d3e-3", "current-version", []),
    "initial",
    false,
    true,
    [],
  ],
  [
    "reconnect: first request repeating a NACK sent on the previous stream",
    {},
    resumed(CDS, "0b1c2d3e-9", "5f1e0c9a", ["c1"], nack),
    "initial",
    false,
    true,
    ["c1"],
  ],
  [
    "foreign nonce while nothing was sent for the type on this stream (asks again)",
    { subscription: sub(["r1"]) },
    resumed(RDS, "0b1c2d3e-7", "5f1e0c9a", ["r1", "r2"]),
    "initial",
    false,
    true,
    ["r1", "r2"],
  ],
  [
    "later request with a nonce from another server instance is stale",
    { subscription: sub(["r1"]), lastNonce: "n1" },
    resumed(RDS, "0b1c2d3e-7", "5f1e0c9a", ["r1", "r2"]),
    "stale",
    false,
    false,
    ["r1"],
  ],
  [
    "ACK that adds a name",
    { subscription: sub(["r1"]), lastNonce: "n1" },
    sotw(RDS, "n1", ["r1", "r2"]),
    "subscription-change",
    true,
    true,
    ["r1", "r2"],
  ],
  [
    "ACK that only removes a name",
    { subscription: sub(["r1", "r2"]), lastNonce: "n1" },
    sotw(RDS, "n1", ["r1"]),
    "subscription-change",
    true,
    false,
    ["r1"],
  ],
  [
    "ACK that removes everything (RDS)",
    { subscription: sub(["r1"]), lastNonce: "n1" },
    sotw(RDS, "n1", []),
    "subscription-change",
    true,
    false,
    [],
  ],
  [
    "ACK that turns on explicit wildcard",
    { subscription: sub(["l1"]), lastNonce: "n1" },
    sotw(LDS, "n1", ["*"]),
    "subscription-change",
    true,
    true,
    [],
  ],
];

const deltaRows: Row[] = [
  ["first delta request", {}, delta(RDS, "", ["r1"]), "initial", false, true, ["r1"]],
  [
    "delta reconnect: first request with a nonce from another server instance",
    {},
    delta(RDS, "0b1c2d3e-4", ["r1"]),
    "initial",
    false,
    true,
    ["r1"],
  ],
  [
    "delta reconnect: initial_resource_versions names are subscribed, existing or not",
    {},
    delta(RDS, "", ["r1"], [], undefined, ["r1", "r2", "no-such-route"]),
    "initial",
    false,
    true,
    ["no-such-route", "r1", "r2"],
  ],
  [
    "delta reconnect: a wildcard covers the held names (none become explicit)",
    {},
    delta(CDS, "0b1c2d3e-4", ["*"], [], undefined, ["c1", "c2"]),
    "initial",
    false,
    true,
    [],
  ],
  [
    "delta reconnect: a held name unsubscribed in the same request is not subscribed",
    {},
    delta(RDS, "", ["r1"], ["r2"], undefined, ["r1", "r2"]),
    "initial",
    false,
    true,
    ["r1"],
  ],
  [
    "delta reconnect: first request repeating a NACK from the previous stream",
    {},
    delta(RDS, "0b1c2d3e-4", ["r1"], [], nack, ["r1"]),
    "initial",
    false,
    true,
    ["r1"],
  ],
  [
    "delta: held names after the first request change nothing",
    { subscription: sub(["r1"]), lastNonce: "n1" },
    delta(RDS, "n1", [], [], undefined, ["r9"]),
    "ack",
    true,
    false,
    ["r1"],
  ],
  [
    "delta ACK",
    { subscription: sub(["r1"]), lastNonce: "n1" },
    delta(RDS, "n1", []),
    "ack",
    true,
    false,
    ["r1"],
  ],
  [
    "delta NACK",
    { subscription: sub(["r1"]), lastNonce: "n1" },
    delta(RDS, "n1", [], [], nack),
    "nack",
    true,
    false,
    ["r1"],
  ],
  [
    "delta subscribe without nonce",
    { subscription: sub(["r1"]), lastNonce: "n1" },
    delta(RDS, "", ["r2"]),
    "subscription-change",
    false,
    true,
    ["r1", "r2"],
  ],
  [
    "delta unsubscribe with stale nonce still applies",
    { subscription: sub(["r1", "r2"]), lastNonce: "n2" },
    delta(RDS, "n1", [], ["r2"]),
    "subscription-change",
    false,
    false,
    ["r1"],
  ],
  [
    "delta ACK that subscribes",
    { subscription: sub(["r1"]), lastNonce: "n1" },
    delta(RDS, "n1", ["r2"]),
    "subscription-change",
    true,
    true,
    ["r1", "r2"],
  ],
  [
    "delta stale ACK",
    { subscription: sub(["r1"]), lastNonce: "n2" },
    delta(RDS, "n1", []),
    "stale",
    false,
    false,
    ["r1"],
  ],
  [
    "delta stale NACK",
    { subscription: sub(["r1"]), lastNonce: "n2" },
    delta(RDS, "n1", [], [], nack),
    "stale",
    false,
    false,
    ["r1"],
  ],
  [
    "delta NACK that subscribes",
    { subscription: sub(["r1"]), lastNonce: "n1" },
    delta(RDS, "n1", ["r2"], [], nack),
    "nack",
    true,
    true,
    ["r1", "r2"],
  ],
];

describe("classifyRequest", () => {
  it.each([...sotwRows, ...deltaRows])(
    "%s",
    (_case, state, request, kind, answersLatest, respond, names) => {
      const result = classifyRequest(state, request);
      expect(result.kind).toBe(kind);
      expect(result.answersLatest).toBe(answersLatest);
      expect(result.respond).toBe(respond);
      expect([...result.subscription.names].sort()).toEqual(names);
    },
  );

  it("covers every kind in both variants", () => {
    const kinds = (rows: Row[]) => new Set(rows.map(r => r[3]));
    const all: RequestKind[] = ["initial", "ack", "nack", "stale", "subscription-change"];
    expect([...kinds(sotwRows)].sort()).toEqual([...all].sort());
    expect([...kinds(deltaRows)].sort()).toEqual([...all].sort());
  });

  it("treats an empty first LDS request as a legacy wildcard, and an empty first RDS request as nothing", () => {
    expect(classifyRequest({}, sotw(LDS, "", [])).subscription).toMatchObject({
      wildcard: true,
      legacyWildcard: true,
    });
    expect(classifyRequest({}, sotw(RDS, "", [])).subscription).toMatchObject({ wildcard: false });
  });

  it("answers a SotW reconnect the same whatever version_info it carries", () => {
    const state = {};
    const versions = ["", "5f1e0c9a", "current-version", "not a version at all"];
    const results = versions.map(v => classifyRequest(state, resumed(CDS, "0b1c2d3e-2", v, [])));
    for (const result of results) {
      expect(result).toMatchObject({ kind: "initial", respond: true, answersLatest: false });
      expect(result.subscription).toMatchObject({ wildcard: true, legacyWildcard: true });
    }
  });

  it("keeps a Delta legacy wildcard on reconnect: held names do not turn it into explicit names", () => {
    const result = classifyRequest({}, delta(CDS, "0b1c2d3e-4", [], [], undefined, ["c1"]));
    expect(result.subscription).toMatchObject({ wildcard: true, legacyWildcard: true });
    expect([...result.subscription.names]).toEqual([]);
  });

  it("reports what a subscription change added and removed", () => {
    const result = classifyRequest(
      { subscription: sub(["a", "b"]), lastNonce: "n" },
      sotw(RDS, "n", ["b", "c"]),
    );
    expect(result.diff).toEqual({
      added: ["c"],
      removed: ["a"],
      wildcardAdded: false,
      wildcardRemoved: false,
    });
  });
});
