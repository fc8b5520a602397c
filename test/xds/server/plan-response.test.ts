import { createSnapshot, type Snapshot } from "../../../xds/cache/snapshot";
import { TypeUrl, type XdsTypeUrl } from "../../../xds/encode/type-urls";
import { planResponse } from "../../../xds/server/plan-response";
import type { HeldResource } from "../../../xds/server/proxy-status";
import { EMPTY_SUBSCRIPTION, type Subscription } from "../../../xds/server/subscription";
import { clientListener, edsCluster, endpoints, weightedRoute } from "../../harness/xds-resources";

function build(objects: Parameters<typeof createSnapshot>[0]): Snapshot {
  const result = createSnapshot(objects);
  if (!result.ok) throw new Error(result.errors.join("\n"));
  return result.value;
}

const SNAPSHOT = build([
  clientListener("svc:80", "route-80"),
  weightedRoute("route-80", "svc:80", { a: 50, b: 50 }),
  edsCluster("a"),
  edsCluster("b"),
  endpoints("a", [9001]),
  endpoints("b", [9002]),
]);
const NO_LISTENERS = build([edsCluster("a"), endpoints("a", [9001])]);

const version = (typeUrl: XdsTypeUrl, name: string): string =>
  SNAPSHOT.resources.get(typeUrl)?.get(name)?.version ?? "gone-version";

const WILDCARD: Subscription = { wildcard: true, legacyWildcard: false, names: new Set() };
const named = (...names: string[]): Subscription => ({
  wildcard: false,
  legacyWildcard: false,
  names: new Set(names),
});

/** Held resources: `name` at the snapshot's version, `name@old` at another version. */
function held(typeUrl: XdsTypeUrl, ...specs: string[]): Map<string, HeldResource> {
  return new Map(
    specs.map(spec => {
      const [name, old] = spec.split("@") as [string, string | undefined];
      const v = old ? "old-version" : version(typeUrl, name);
      return [name, { name, version: v, state: "acked" }];
    }),
  );
}

type Expected = { resources: string[]; removed: string[] } | undefined;

describe("planResponse", () => {
  it.each<[string, "sotw" | "delta", XdsTypeUrl, Subscription, string[], boolean, Expected]>([
    // State of the world, full-state types (CDS, LDS): every subscribed resource, or nothing.
    [
      "SotW CDS first answer",
      "sotw",
      TypeUrl.cluster,
      WILDCARD,
      [],
      true,
      { resources: ["a", "b"], removed: [] },
    ],
    ["SotW CDS unchanged", "sotw", TypeUrl.cluster, WILDCARD, ["a", "b"], false, undefined],
    [
      "SotW CDS one changed: still the full set",
      "sotw",
      TypeUrl.cluster,
      WILDCARD,
      ["a", "b@old"],
      false,
      { resources: ["a", "b"], removed: [] },
    ],
    [
      "SotW CDS one deleted: full set, deletion by omission",
      "sotw",
      TypeUrl.cluster,
      WILDCARD,
      ["a", "b", "gone"],
      false,
      { resources: ["a", "b"], removed: ["gone"] },
    ],
    [
      "SotW CDS named subset, re-requested",
      "sotw",
      TypeUrl.cluster,
      named("a"),
      ["a"],
      true,
      { resources: ["a"], removed: [] },
    ],
    // State of the world, by-name types (EDS, RDS, SDS): changed names only; no deletions.
    [
      "SotW EDS one changed",
      "sotw",
      TypeUrl.endpoint,
      named("a", "b"),
      ["a", "b@old"],
      false,
      { resources: ["b"], removed: [] },
    ],
    [
      "SotW EDS re-requested, unchanged: all again",
      "sotw",
      TypeUrl.endpoint,
      named("a", "b"),
      ["a", "b"],
      true,
      { resources: ["a", "b"], removed: [] },
    ],
    [
      "SotW EDS unchanged, not owed",
      "sotw",
      TypeUrl.endpoint,
      named("a", "b"),
      ["a", "b"],
      false,
      undefined,
    ],
    [
      "SotW EDS asks for a name the snapshot lacks",
      "sotw",
      TypeUrl.endpoint,
      named("x"),
      [],
      true,
      undefined,
    ],
    [
      "SotW EDS cannot express a deletion",
      "sotw",
      TypeUrl.endpoint,
      named("a", "gone"),
      ["a", "gone"],
      false,
      undefined,
    ],
    ["SotW RDS not subscribed", "sotw", TypeUrl.route, EMPTY_SUBSCRIPTION, [], true, undefined],
    // Delta: changed resources plus removed names, for every type.
    [
      "Delta CDS one changed",
      "delta",
      TypeUrl.cluster,
      WILDCARD,
      ["a", "b@old"],
      false,
      { resources: ["b"], removed: [] },
    ],
    [
      "Delta CDS one deleted",
      "delta",
      TypeUrl.cluster,
      WILDCARD,
      ["a", "b", "gone"],
      false,
      { resources: [], removed: ["gone"] },
    ],
    [
      "Delta EDS new name",
      "delta",
      TypeUrl.endpoint,
      named("a"),
      [],
      false,
      { resources: ["a"], removed: [] },
    ],
    [
      "Delta EDS deleted name",
      "delta",
      TypeUrl.endpoint,
      named("a", "gone"),
      ["a", "gone"],
      false,
      { resources: [], removed: ["gone"] },
    ],
    [
      "Delta owed, nothing changed: an empty answer",
      "delta",
      TypeUrl.route,
      named("route-80"),
      ["route-80"],
      true,
      { resources: [], removed: [] },
    ],
    [
      "Delta unchanged, not owed",
      "delta",
      TypeUrl.route,
      named("route-80"),
      ["route-80"],
      false,
      undefined,
    ],
    [
      "Delta does not remove what is no longer subscribed",
      "delta",
      TypeUrl.endpoint,
      named("a"),
      ["a", "gone"],
      false,
      undefined,
    ],
  ])("%s", (_label, variant, typeUrl, subscription, heldSpecs, forced, expected) => {
    const plan = planResponse(
      variant,
      typeUrl,
      subscription,
      held(typeUrl, ...heldSpecs),
      SNAPSHOT,
      forced,
    );
    expect(
      plan && { resources: plan.resources.map(r => r.name), removed: [...plan.removed] },
    ).toEqual(expected);
  });

  it("sends the snapshot's own encoded resources (bytes and versions), not copies", () => {
    const plan = planResponse("sotw", TypeUrl.endpoint, named("a"), new Map(), SNAPSHOT, true)!;
    expect(plan.resources[0]).toBe(SNAPSHOT.resources.get(TypeUrl.endpoint)!.get("a"));
  });

  it("an empty full-state type: an owed answer is empty, and held resources are deleted", () => {
    expect(planResponse("sotw", TypeUrl.listener, WILDCARD, new Map(), NO_LISTENERS, true)).toEqual(
      {
        resources: [],
        removed: [],
      },
    );
    const plan = planResponse(
      "sotw",
      TypeUrl.listener,
      WILDCARD,
      held(TypeUrl.listener, "svc:80"),
      NO_LISTENERS,
      false,
    );
    expect(plan).toEqual({ resources: [], removed: ["svc:80"] });
  });
});
