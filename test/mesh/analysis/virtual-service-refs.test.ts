/**
 * destinationsOf: the destinations the analyzers check, with the field path each finding names,
 * read from objects no validator has seen.
 */
import { toResource, type Resource } from "../../../mesh/analysis/resources";
import { destinationsOf } from "../../../mesh/analysis/virtual-service-refs";

const vs = (spec: unknown): Resource =>
  toResource(
    {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "r" },
      spec,
    },
    "shop",
  )!;

describe("destinationsOf", () => {
  it.each<[string, unknown, { host: string; subset?: string; path: string }[]]>([
    [
      "every section, route before mirror before mirrors",
      {
        hosts: ["reviews"],
        http: [
          {
            route: [{ destination: { host: "reviews", subset: "v1" } }],
            mirror: { host: "shadow" },
            mirrors: [{ destination: { host: "audit", subset: "" } }],
          },
        ],
        tcp: [{ route: [{ destination: { host: "mongo" } }] }],
        tls: [
          { match: [{ sniHosts: ["a"] }], route: [{ destination: { host: "a", subset: "s" } }] },
        ],
      },
      [
        { host: "reviews", subset: "v1", path: "spec.http[0].route[0].destination" },
        { host: "shadow", path: "spec.http[0].mirror" },
        // An empty subset is no subset.
        { host: "audit", path: "spec.http[0].mirrors[0].destination" },
        { host: "mongo", path: "spec.tcp[0].route[0].destination" },
        { host: "a", subset: "s", path: "spec.tls[0].route[0].destination" },
      ],
    ],
    [
      "malformed sections and routes name nothing and do not throw",
      {
        http: "x",
        tcp: [null, 3, { route: { destination: { host: "m" } } }],
        tls: [{ route: [7] }],
      },
      [],
    ],
    ["no spec", undefined, []],
  ])("%s", (_what, spec, expected) => {
    expect(destinationsOf(vs(spec))).toEqual(expected);
  });
});
