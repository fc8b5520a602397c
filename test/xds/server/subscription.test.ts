import {
  deltaSubscription,
  diffSubscriptions,
  isSubscribed,
  sotwSubscription,
  type Subscription,
} from "../../../xds/server/subscription";
import { TypeUrl } from "../../../xds/encode/type-urls";

const view = (s: Subscription) => ({
  wildcard: s.wildcard,
  legacy: s.legacyWildcard,
  names: [...s.names].sort(),
});
const sub = (names: string[], wildcard = false, legacyWildcard = false): Subscription => ({
  wildcard,
  legacyWildcard,
  names: new Set(names),
});

describe("sotwSubscription", () => {
  it.each([
    [
      "LDS first empty: legacy wildcard",
      TypeUrl.listener,
      undefined,
      [],
      { wildcard: true, legacy: true, names: [] },
    ],
    [
      "CDS first empty: legacy wildcard",
      TypeUrl.cluster,
      undefined,
      [],
      { wildcard: true, legacy: true, names: [] },
    ],
    [
      "EDS first empty: nothing",
      TypeUrl.endpoint,
      undefined,
      [],
      { wildcard: false, legacy: false, names: [] },
    ],
    [
      "RDS first empty: nothing",
      TypeUrl.route,
      undefined,
      [],
      { wildcard: false, legacy: false, names: [] },
    ],
    [
      "SDS first empty: nothing",
      TypeUrl.secret,
      undefined,
      [],
      { wildcard: false, legacy: false, names: [] },
    ],
    [
      "legacy wildcard stays on empty",
      TypeUrl.listener,
      sub([], true, true),
      [],
      { wildcard: true, legacy: true, names: [] },
    ],
    [
      "legacy wildcard ends with names",
      TypeUrl.listener,
      sub([], true, true),
      ["a"],
      { wildcard: false, legacy: false, names: ["a"] },
    ],
    [
      "empty after names unsubscribes all",
      TypeUrl.listener,
      sub(["a"]),
      [],
      { wildcard: false, legacy: false, names: [] },
    ],
    [
      "explicit * plus names",
      TypeUrl.cluster,
      undefined,
      ["*", "a"],
      { wildcard: true, legacy: false, names: ["a"] },
    ],
    [
      "explicit * on EDS",
      TypeUrl.endpoint,
      undefined,
      ["*"],
      { wildcard: true, legacy: false, names: [] },
    ],
    [
      "names replace names",
      TypeUrl.route,
      sub(["a", "b"]),
      ["b", "c"],
      { wildcard: false, legacy: false, names: ["b", "c"] },
    ],
  ])("%s", (_case, typeUrl, previous, names, expected) => {
    expect(view(sotwSubscription(typeUrl, previous, names))).toEqual(expected);
  });
});

describe("deltaSubscription", () => {
  it.each([
    [
      "LDS first empty: legacy wildcard",
      TypeUrl.listener,
      undefined,
      [],
      [],
      { wildcard: true, legacy: true, names: [] },
    ],
    [
      "RDS first empty: nothing",
      TypeUrl.route,
      undefined,
      [],
      [],
      { wildcard: false, legacy: false, names: [] },
    ],
    [
      "subscribe adds",
      TypeUrl.route,
      sub(["a"]),
      ["b"],
      [],
      { wildcard: false, legacy: false, names: ["a", "b"] },
    ],
    [
      "unsubscribe removes",
      TypeUrl.route,
      sub(["a", "b"]),
      [],
      ["a"],
      { wildcard: false, legacy: false, names: ["b"] },
    ],
    [
      "unsubscribing an unknown name is harmless",
      TypeUrl.route,
      sub(["a"]),
      [],
      ["zzz"],
      { wildcard: false, legacy: false, names: ["a"] },
    ],
    [
      "* turns wildcard on",
      TypeUrl.endpoint,
      sub(["a"]),
      ["*"],
      [],
      { wildcard: true, legacy: false, names: ["a"] },
    ],
    [
      "unsubscribing * turns it off",
      TypeUrl.cluster,
      sub([], true, true),
      [],
      ["*"],
      { wildcard: false, legacy: false, names: [] },
    ],
    [
      "legacy wildcard survives named subscribes",
      TypeUrl.cluster,
      sub([], true, true),
      ["x"],
      [],
      { wildcard: true, legacy: true, names: ["x"] },
    ],
    [
      "subscribe and unsubscribe the same name: unsubscribe wins",
      TypeUrl.route,
      sub([]),
      ["a"],
      ["a"],
      { wildcard: false, legacy: false, names: [] },
    ],
  ])("%s", (_case, typeUrl, previous, subscribe, unsubscribe, expected) => {
    expect(view(deltaSubscription(typeUrl, previous, subscribe, unsubscribe))).toEqual(expected);
  });

  // [case, type, previous, subscribe, unsubscribe, held (initial_resource_versions), expected]
  it.each([
    [
      "held names are subscribed on the first request",
      TypeUrl.route,
      undefined,
      ["a"],
      [],
      ["a", "b"],
      { wildcard: false, legacy: false, names: ["a", "b"] },
    ],
    [
      "held names alone subscribe an RDS stream",
      TypeUrl.route,
      undefined,
      [],
      [],
      ["b"],
      { wildcard: false, legacy: false, names: ["b"] },
    ],
    [
      "held names under the legacy CDS wildcard stay implicit",
      TypeUrl.cluster,
      undefined,
      [],
      [],
      ["c1"],
      { wildcard: true, legacy: true, names: [] },
    ],
    [
      "held names under an explicit wildcard stay implicit",
      TypeUrl.endpoint,
      undefined,
      ["*"],
      [],
      ["a"],
      { wildcard: true, legacy: false, names: [] },
    ],
    [
      "a held * is not a name",
      TypeUrl.route,
      undefined,
      ["a"],
      [],
      ["*"],
      { wildcard: false, legacy: false, names: ["a"] },
    ],
    [
      "held names on a later request are ignored",
      TypeUrl.route,
      sub(["a"]),
      [],
      [],
      ["b"],
      { wildcard: false, legacy: false, names: ["a"] },
    ],
  ])("%s", (_case, typeUrl, previous, subscribe, unsubscribe, held, expected) => {
    expect(view(deltaSubscription(typeUrl, previous, subscribe, unsubscribe, held))).toEqual(
      expected,
    );
  });
});

describe("isSubscribed / diffSubscriptions", () => {
  it.each([
    [sub(["a"]), "a", true],
    [sub(["a"]), "b", false],
    [sub([], true), "anything", true],
    [undefined, "a", false],
  ])("isSubscribed(%p, %s) = %s", (subscription, name, expected) => {
    expect(isSubscribed(subscription, name)).toBe(expected);
  });

  it("diffs names and wildcard transitions", () => {
    expect(diffSubscriptions(sub(["a", "b"]), sub(["b", "c"], true))).toEqual({
      added: ["c"],
      removed: ["a"],
      wildcardAdded: true,
      wildcardRemoved: false,
    });
    expect(diffSubscriptions(undefined, sub([]))).toEqual({
      added: [],
      removed: [],
      wildcardAdded: false,
      wildcardRemoved: false,
    });
  });
});
