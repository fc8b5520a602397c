/**
 * routeDestinations and its tables: every destination a route names, in the order written, and
 * tables that cover every route field of our schema and of Istio's CRD. The `@ts-expect-error`
 * lines are checked by `tsc`: they fail the type check if a table stops refusing a missing or
 * misjudged field.
 */
import type { Schema } from "../../constructs/istio-crd-schema";
import { istioRouteSchemas, type RouteSection } from "../../harness/istio-route-schemas";
import type { Destination } from "../../../mesh/api/common";
import {
  HTTP_ROUTE_DESTINATIONS,
  mapRouteDestinations,
  routeDestinations,
  TCP_ROUTE_DESTINATIONS,
  TLS_ROUTE_DESTINATIONS,
  type AnyRoute,
  type DestinationFields,
  type DestinationShape,
} from "../../../mesh/api/route-destinations";
import { HttpRoute, TcpRoute, TlsRoute } from "../../../mesh/api/virtual-service";

// A new field that holds a Destination is refused until the table lists it…
// @ts-expect-error `backup` has no entry
const missing: DestinationFields<HttpRoute & { backup?: Destination }> = HTTP_ROUTE_DESTINATIONS;
// …and refused when listed as naming none.
const misjudged: DestinationFields<HttpRoute & { backup?: Destination }> = {
  ...HTTP_ROUTE_DESTINATIONS,
  // @ts-expect-error `backup` holds a Destination
  backup: "none",
};
// A destination held in a new way has no shape that fits until routeDestinations learns it.
const newShape: DestinationFields<HttpRoute & { fallback?: { target: Destination } }> = {
  ...HTTP_ROUTE_DESTINATIONS,
  // @ts-expect-error no shape describes `fallback.target`
  fallback: "none",
};
// A field that holds no destination cannot be given a shape.
const noDestination: DestinationFields<HttpRoute> = {
  ...HTTP_ROUTE_DESTINATIONS,
  // @ts-expect-error `timeout` is a duration
  timeout: "destination",
};
// The right entry compiles.
const listed: DestinationFields<HttpRoute & { backup?: Destination }> = {
  ...HTTP_ROUTE_DESTINATIONS,
  backup: "destination",
};

const at = (route: AnyRoute) =>
  routeDestinations(route).map(d => [d.path, d.destination.host, d.destination.subset]);

describe("routeDestinations", () => {
  it.each<[string, AnyRoute, (string | undefined)[][]]>([
    [
      "an HTTP route: weighted destinations, then mirror, then mirrors, as written",
      {
        route: [
          { destination: { host: "reviews", subset: "v1" }, weight: 90 },
          { destination: { host: "reviews", subset: "v2" }, weight: 10 },
        ],
        mirror: { host: "shadow", subset: "v3" },
        mirrors: [
          { destination: { host: "audit" }, percentage: { value: 5 } },
          { destination: { host: "audit-2.other.svc.cluster.local" } },
        ],
      },
      [
        ["route[0].destination", "reviews", "v1"],
        ["route[1].destination", "reviews", "v2"],
        ["mirror", "shadow", "v3"],
        ["mirrors[0].destination", "audit", undefined],
        ["mirrors[1].destination", "audit-2.other.svc.cluster.local", undefined],
      ],
    ],
    [
      "an HTTP route that delegates or answers itself names no destination",
      {
        delegate: { name: "reviews-routes", namespace: "team" },
        directResponse: { status: 503 },
        headers: { request: { set: { host: "decoy" } } },
        redirect: { authority: "elsewhere" },
        rewrite: { authority: "elsewhere" },
      },
      [],
    ],
    [
      "a TCP route",
      {
        match: [{ port: 27017 }],
        route: [{ destination: { host: "mongo", port: { number: 27017 } } }],
      },
      [["route[0].destination", "mongo", undefined]],
    ],
    [
      "a TLS route",
      {
        match: [{ sniHosts: ["a.example.com"] }],
        route: [{ destination: { host: "a", subset: "tls" }, weight: 100 }],
      },
      [["route[0].destination", "a", "tls"]],
    ],
    [
      // The analyzers read objects no validator has seen.
      "fields of the wrong shape, as an unvalidated object may have them, name nothing",
      {
        route: "reviews",
        mirror: { host: 7 },
        mirrors: [null, { destination: {} }, { destination: { host: "" } }, "audit"],
      } as unknown as AnyRoute,
      [],
    ],
  ])("%s", (_what, route, expected) => {
    expect(at(route)).toEqual(expected);
  });
});

describe("mapRouteDestinations", () => {
  const upper = (d: Destination): Destination => ({ ...d, host: d.host.toUpperCase() });

  it("replaces every destination and keeps everything around it", () => {
    const route: HttpRoute = {
      name: "r",
      route: [{ destination: { host: "a", subset: "v1" }, weight: 70, headers: {} }],
      mirror: { host: "m", port: { number: 80 } },
      mirrors: [{ destination: { host: "n" }, percentage: { value: 1 } }],
      timeout: "1s",
    };
    const before = structuredClone(route);
    expect(mapRouteDestinations(route, upper)).toEqual({
      name: "r",
      route: [{ destination: { host: "A", subset: "v1" }, weight: 70, headers: {} }],
      mirror: { host: "M", port: { number: 80 } },
      mirrors: [{ destination: { host: "N" }, percentage: { value: 1 } }],
      timeout: "1s",
    });
    expect(route).toEqual(before);
  });

  it("adds no field the route leaves out", () => {
    expect(mapRouteDestinations({ route: [{ destination: { host: "a" } }] }, upper)).toEqual({
      route: [{ destination: { host: "A" } }],
    });
  });

  it("maps what routeDestinations lists, and only that", () => {
    const route: HttpRoute = {
      route: [{ destination: { host: "a" } }],
      mirror: { host: "b" },
      mirrors: [{ destination: { host: "c" } }],
      headers: { request: { set: { host: "decoy" } } },
    };
    const mapped = mapRouteDestinations(route, upper);
    expect(routeDestinations(mapped).map(d => d.destination.host)).toEqual(["A", "B", "C"]);
    expect(mapped.headers).toEqual(route.headers);
  });
});

/** The shape a CRD property schema gives a field, by where Destination's `host` sits in it. */
function crdShape(schema: Schema): DestinationShape | "unknown" {
  const props = (s: Schema | undefined) => (s?.properties ?? {}) as Record<string, Schema>;
  if (props(schema).host) return "destination";
  if (props(props(schema.items as Schema).destination).host) return "destinations";
  const holdsHost = (s: Schema | undefined): boolean =>
    s !== undefined &&
    (Object.hasOwn(props(s), "host") ||
      Object.values(props(s)).some(holdsHost) ||
      holdsHost(s.items as Schema | undefined) ||
      (typeof s.additionalProperties === "object" && holdsHost(s.additionalProperties as Schema)));
  return holdsHost(schema) ? "unknown" : "none";
}

const TABLES: [RouteSection, Readonly<Record<string, DestinationShape>>, { properties: object }][] =
  [
    ["http", HTTP_ROUTE_DESTINATIONS, HttpRoute],
    ["tcp", TCP_ROUTE_DESTINATIONS, TcpRoute],
    ["tls", TLS_ROUTE_DESTINATIONS, TlsRoute],
  ];

describe.each(TABLES)("the %s route table", (section, table, schema) => {
  it("lists every field of our schema, and no other", () => {
    expect(Object.keys(table).sort()).toEqual(Object.keys(schema.properties).sort());
  });

  it.each(istioRouteSchemas(section))(
    "lists every field of Istio's $version CRD with the shape its schema has",
    ({ properties }) => {
      const fromCrd = Object.fromEntries(
        Object.entries(properties).map(([field, s]) => [field, crdShape(s)]),
      );
      expect(Object.keys(fromCrd).length).toBeGreaterThan(1);
      expect(table).toEqual(fromCrd);
    },
  );
});

it("gives a field shared by several route types one shape", () => {
  for (const [field, shape] of Object.entries(TCP_ROUTE_DESTINATIONS)) {
    expect([field, HTTP_ROUTE_DESTINATIONS[field as keyof typeof HTTP_ROUTE_DESTINATIONS]]).toEqual(
      [field, shape],
    );
    expect([field, TLS_ROUTE_DESTINATIONS[field as keyof typeof TLS_ROUTE_DESTINATIONS]]).toEqual([
      field,
      shape,
    ]);
  }
});

// Keep the type-only fixtures referenced (they exist for tsc).
void [missing, misjudged, newShape, noDestination, listed];
