/**
 * Every destination a VirtualService route sends traffic to, and the one place that knows which
 * route fields carry them. The compiler (resolving a delegate's short hosts), the analyzers
 * (hosts and subsets that exist) and push planning (which DestinationRules a proxy reads) all
 * read destinations through here, so a new destination-carrying field is added once.
 *
 * The tables are exhaustive by type: each lists every field of its route type with how the
 * field holds destinations. `tsc` refuses a table that misses a field, one that calls a field
 * holding a Destination `"none"`, and one that gives a shape to a field holding none.
 */
import type { Destination } from "./common";
import type { HttpRoute, TcpRoute, TlsRoute } from "./virtual-service";

/**
 * How a route field holds destinations: `destination` is one Destination (`mirror`),
 * `destinations` a list whose items each carry one in `destination` (`route`, `mirrors`).
 */
export type DestinationShape = "none" | "destination" | "destinations";

/** Whether T is a Destination or holds one anywhere inside it. */
type HoldsDestination<T> = [T] extends [Destination]
  ? true
  : [T] extends [readonly (infer E)[]]
    ? HoldsDestination<E>
    : [T] extends [object]
      ? true extends { [K in keyof T]-?: HoldsDestination<NonNullable<T[K]>> }[keyof T]
        ? true
        : false
      : false;

/**
 * The only shape a field of type T may be given. `never` for a field that holds destinations
 * some other way: no value fits, so the table does not compile until a shape is added here.
 */
export type ShapeOf<T> = [T] extends [Destination]
  ? "destination"
  : [T] extends [readonly { destination: Destination }[]]
    ? "destinations"
    : true extends HoldsDestination<T>
      ? never
      : "none";

/** A route type's table: every field, with the shape its type allows. */
export type DestinationFields<R> = { readonly [K in keyof R]-?: ShapeOf<NonNullable<R[K]>> };

/** Which HttpRoute fields carry destinations (`delegate` names a VirtualService, not a host). */
export const HTTP_ROUTE_DESTINATIONS = {
  route: "destinations",
  mirror: "destination",
  mirrors: "destinations",
  corsPolicy: "none",
  delegate: "none",
  directResponse: "none",
  fault: "none",
  headers: "none",
  match: "none",
  mirror_percent: "none",
  mirrorPercent: "none",
  mirrorPercentage: "none",
  name: "none",
  redirect: "none",
  retries: "none",
  rewrite: "none",
  timeout: "none",
} as const satisfies DestinationFields<HttpRoute>;

/** Which TcpRoute fields carry destinations. */
export const TCP_ROUTE_DESTINATIONS = {
  route: "destinations",
  match: "none",
} as const satisfies DestinationFields<TcpRoute>;

/** Which TlsRoute fields carry destinations. */
export const TLS_ROUTE_DESTINATIONS = {
  route: "destinations",
  match: "none",
} as const satisfies DestinationFields<TlsRoute>;

/** Any VirtualService route. */
export type AnyRoute = HttpRoute | TcpRoute | TlsRoute;

/** A destination a route names, with the path of its field relative to the route. */
export interface NamedDestination {
  readonly destination: Destination;
  /** `route[0].destination`, `mirror`, `mirrors[1].destination`. */
  readonly path: string;
}

/**
 * The destination-carrying fields of every route type, in table order (route before mirrors, so
 * findings read in the order a route is written). A field shared by several route types has
 * one shape in all of them (the tables test checks it).
 */
const CARRIERS: readonly (readonly [string, Exclude<DestinationShape, "none">])[] = [
  ...new Map(
    [HTTP_ROUTE_DESTINATIONS, TCP_ROUTE_DESTINATIONS, TLS_ROUTE_DESTINATIONS].flatMap(table =>
      Object.entries(table as Readonly<Record<string, DestinationShape>>).flatMap(
        ([field, shape]) => (shape === "none" ? [] : [[field, shape] as const]),
      ),
    ),
  ),
];

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * A Destination that names a host. Checked at run time because the analyzers read objects no
 * validator has seen: a field of the wrong shape names nothing rather than throwing.
 */
const isDestination = (v: unknown): v is Destination =>
  isObject(v) && typeof v.host === "string" && v.host !== "";

function destinationsIn(field: string, shape: string, value: unknown): NamedDestination[] {
  if (shape === "destination")
    return isDestination(value) ? [{ destination: value, path: field }] : [];
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown, i) =>
    isObject(item) && isDestination(item.destination)
      ? [{ destination: item.destination, path: `${field}[${i}].destination` }]
      : [],
  );
}

/** Every destination an HTTP, TCP or TLS route sends to or mirrors to, in table order. */
export function routeDestinations(route: AnyRoute): NamedDestination[] {
  const fields = route as Readonly<Record<string, unknown>>;
  return CARRIERS.flatMap(([field, shape]) => destinationsIn(field, shape, fields[field]));
}

/**
 * The route with every destination replaced by `f` of it (other fields, and the other fields of
 * each weighted or mirror item, kept as they are).
 */
export function mapRouteDestinations<R extends AnyRoute>(
  route: R,
  f: (d: Destination) => Destination,
): R {
  const out: Record<string, unknown> = { ...route };
  for (const [field, shape] of CARRIERS) {
    const value = out[field];
    if (shape === "destination") {
      if (isDestination(value)) out[field] = f(value);
    } else if (Array.isArray(value)) {
      out[field] = value.map((item: unknown) =>
        isObject(item) && isDestination(item.destination)
          ? { ...item, destination: f(item.destination) }
          : item,
      );
    }
  }
  return out as R;
}
