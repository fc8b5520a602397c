/**
 * The delegation rule of every HttpRoute field, and what mergeRoute makes of each field, held
 * against Istio's mergeHTTPRoute (pilot/pkg/model/virtualservice.go): the delegate's value wins,
 * an unset one is taken from the root for the fields Istio copies, `route`, `redirect` and
 * `delegate` never come from the root, names join as `root-delegate`.
 *
 * The expectations are written per field here, not read from the table, so a rule changed by
 * mistake fails. Both this file's case table and the rule table are typed by HttpRoute's keys:
 * a new field fails `tsc` until it has a rule and a case, and the CRD tests fail until our
 * schema has every field Istio's has.
 */
import type { HttpMatchRequest, HttpRoute, VirtualService } from "../../../mesh/api";
import { HttpRoute as HttpRouteSchema } from "../../../mesh/api/virtual-service";
import {
  fieldsWithRule,
  HTTP_ROUTE_DELEGATION,
  type DelegationRules,
} from "../../../xds/compile/delegate-fields";
import { mergeDelegates, mergeRoute } from "../../../xds/compile/delegates";
import { istioRouteSchemas } from "../../harness/istio-route-schemas";

// A new HttpRoute field does not compile until it has a rule.
// @ts-expect-error `retryBudget` has no rule
const unruled: DelegationRules<HttpRoute & { retryBudget?: string }> = HTTP_ROUTE_DELEGATION;
// @ts-expect-error and a rule is one of the three
const badRule: DelegationRules<HttpRoute> = { ...HTTP_ROUTE_DELEGATION, timeout: "append" };
void [unruled, badRule];

/**
 * Per field: a root value, a delegate value, and what the merged route holds when the delegate
 * leaves the field unset and when it sets it (`undefined`: the field is absent).
 */
interface FieldCase<F extends keyof HttpRoute> {
  readonly root: HttpRoute[F];
  readonly leaf: HttpRoute[F];
  readonly leafUnset: HttpRoute[F];
  readonly bothSet: HttpRoute[F];
  /** Istio copies the root's value into a delegate route that leaves it unset. */
  readonly inherits?: true;
}
type FieldCases = { readonly [F in keyof HttpRoute]-?: FieldCase<F> };

/** `root` taken when the delegate leaves the field unset, the delegate's kept when it sets it. */
const inherited = <T>(root: T, leaf: T) => ({
  root,
  leaf,
  leafUnset: root,
  bothSet: leaf,
  inherits: true as const,
});
/** The root's value never used. */
const own = <T>(root: T, leaf: T) => ({
  root,
  leaf,
  leafUnset: undefined,
  bothSet: leaf,
});

const CASES: FieldCases = {
  route: own([{ destination: { host: "root" } }], [{ destination: { host: "leaf" } }]),
  redirect: own({ uri: "/root" }, { uri: "/leaf" }),
  delegate: own({ name: "a", namespace: "x" }, { name: "b", namespace: "y" }),
  // mergeRoute takes the merged matches as an argument (mergeMatches computes them); none given
  // here, so the route has no match: a delegate's own would only be kept by that argument.
  match: { root: [{ name: "r" }], leaf: [{ name: "l" }], leafUnset: undefined, bothSet: undefined },
  name: { root: "root", leaf: "leaf", leafUnset: "root", bothSet: "root-leaf" },
  directResponse: inherited({ status: 503 }, { status: 404 }),
  rewrite: inherited({ uri: "/root" }, { uri: "/leaf" }),
  timeout: inherited("10s", "2s"),
  retries: inherited({ attempts: 3 }, { attempts: 1 }),
  fault: inherited({ abort: { httpStatus: 500 } }, { abort: { httpStatus: 503 } }),
  corsPolicy: inherited({ allowMethods: ["GET"] }, { allowMethods: ["POST"] }),
  headers: inherited(
    { request: { set: { "x-from": "root" } } },
    { response: { remove: ["x-leaf"] } },
  ),
  mirror: inherited({ host: "root-shadow" }, { host: "leaf-shadow" }),
  mirrors: inherited([{ destination: { host: "root-m" } }], [{ destination: { host: "leaf-m" } }]),
  mirrorPercentage: inherited({ value: 50 }, { value: 10 }),
  mirrorPercent: inherited(50, 10),
  mirror_percent: inherited(50, 10),
};

const FIELDS = Object.keys(CASES) as (keyof HttpRoute)[];
/** The fields Istio's mergeHTTPRoute copies from the root, as the cases say (not the table). */
const INHERITING = FIELDS.filter(f => CASES[f].inherits);
const only = (field: keyof HttpRoute, value: unknown): HttpRoute =>
  value === undefined ? {} : ({ [field]: value } as HttpRoute);

describe("HTTP_ROUTE_DELEGATION", () => {
  it("decides every HttpRoute field of our schema, and no other", () => {
    expect(Object.keys(HTTP_ROUTE_DELEGATION).sort()).toEqual(
      Object.keys(HttpRouteSchema.properties).sort(),
    );
  });

  it.each(istioRouteSchemas("http"))(
    "decides every HTTPRoute field of Istio's $version CRD",
    ({ properties }) => {
      const undecided = Object.keys(properties).filter(
        f => !Object.hasOwn(HTTP_ROUTE_DELEGATION, f),
      );
      expect(Object.keys(properties).length).toBeGreaterThan(10);
      expect(undecided).toEqual([]);
    },
  );

  it("lists the fields of each rule once, in table order", () => {
    const all = [
      ...fieldsWithRule("inherit"),
      ...fieldsWithRule("own"),
      ...fieldsWithRule("merge"),
    ];
    expect(all.sort()).toEqual(Object.keys(HTTP_ROUTE_DELEGATION).sort());
    expect(fieldsWithRule("own")).toEqual(["route", "redirect", "delegate"]);
  });
});

describe("mergeRoute, field by field", () => {
  it.each(FIELDS)("%s, when the delegate leaves it unset", field => {
    const c = CASES[field];
    const merged = mergeRoute(only(field, c.root), {}, []);
    expect([field, merged[field]]).toEqual([field, c.leafUnset]);
  });

  it.each(FIELDS)("%s, when both set it", field => {
    const c = CASES[field];
    const merged = mergeRoute(only(field, c.root), only(field, c.leaf), []);
    expect([field, merged[field]]).toEqual([field, c.bothSet]);
  });

  it.each(FIELDS)("%s, when only the delegate sets it", field => {
    const c = CASES[field];
    const merged = mergeRoute({}, only(field, c.leaf), []);
    const expected = field === "match" ? undefined : c.leaf;
    expect([field, merged[field]]).toEqual([field, expected]);
  });

  it("treats an empty string or list as unset, as protobuf does", () => {
    const merged = mergeRoute(
      { timeout: "5s", mirrors: [{ destination: { host: "root-m" } }], name: "root" },
      { timeout: "", mirrors: [], name: "" },
      [],
    );
    expect(merged).toEqual({
      timeout: "5s",
      mirrors: [{ destination: { host: "root-m" } }],
      name: "root",
    });
  });

  it("keeps a set zero or empty object as the delegate's (a set protobuf wrapper or message)", () => {
    const merged = mergeRoute(
      { mirrorPercent: 50, headers: { request: { set: { a: "b" } } } },
      { mirrorPercent: 0, headers: {} },
      [],
    );
    expect(merged).toEqual({ mirrorPercent: 0, headers: {} });
  });

  it.each<[string, HttpRoute, HttpRoute, HttpRoute]>([
    [
      "delegate's mirror_percent under root's mirrorPercent",
      { mirrorPercent: 50 },
      { mirror_percent: 10 },
      { mirror_percent: 10 },
    ],
    [
      "delegate's mirrorPercent under root's mirror_percent",
      { mirror_percent: 50 },
      { mirrorPercent: 10 },
      { mirrorPercent: 10 },
    ],
    [
      "delegate writes neither: the root's, as it spelt it",
      { mirror_percent: 50 },
      {},
      { mirror_percent: 50 },
    ],
  ])("treats mirrorPercent and mirror_percent as one field: %s", (_what, root, leaf, expected) => {
    expect(mergeRoute(root, leaf, [])).toEqual(expected);
  });

  it("takes the merged matches given, and names unnamed routes after the root", () => {
    const match: HttpMatchRequest[] = [{ uri: { prefix: "/api/v2" } }];
    expect(mergeRoute({ name: "api" }, { match: [{ uri: { prefix: "/v2" } }] }, match)).toEqual({
      name: "api",
      match,
    });
    // Neither named: a delegate's empty name stays as written.
    expect(mergeRoute({}, { name: "" }, [])).toEqual({ name: "" });
  });
});

describe("mergeDelegates carries every inherited field of the root to delegated routes", () => {
  const vs = (name: string, namespace: string, spec: VirtualService["spec"]): VirtualService => ({
    apiVersion: "networking.istio.io/v1",
    kind: "VirtualService",
    metadata: { name, namespace },
    spec,
  });
  const rootRoute: HttpRoute = {
    name: "pp",
    delegate: { name: "routes", namespace: "team" },
    ...Object.fromEntries(INHERITING.map(f => [f, CASES[f].root])),
  };
  const merged = mergeDelegates(
    [
      vs("root", "shop", { hosts: ["pp"], http: [rootRoute] }),
      vs("routes", "team", {
        http: [
          { name: "bare", route: [{ destination: { host: "pp-v1" } }] },
          {
            name: "own",
            route: [{ destination: { host: "pp-v2" } }],
            ...Object.fromEntries(INHERITING.map(f => [f, CASES[f].leaf])),
          },
        ],
      }),
    ],
    "cluster.local",
  );
  const [bare, ownRoute] = merged.virtualServices[0]!.spec.http!;

  it.each(INHERITING)("%s", field => {
    const resolved = (v: unknown) =>
      // Delegate hosts are read in the delegate's namespace; the root's stay as written.
      JSON.parse(
        JSON.stringify(v ?? null).replace(
          /"host":"(leaf-[a-z]+)"/g,
          '"host":"$1.team.svc.cluster.local"',
        ),
      ) as unknown;
    expect([field, bare![field]]).toEqual([field, CASES[field].root]);
    expect([field, ownRoute![field]]).toEqual([field, resolved(CASES[field].leaf)]);
  });

  it("names and routes each merged route as its delegate route says", () => {
    expect(merged.warnings).toEqual([]);
    expect([bare!.name, bare!.route, bare!.delegate]).toEqual([
      "pp-bare",
      [{ destination: { host: "pp-v1.team.svc.cluster.local" } }],
      undefined,
    ]);
    expect(ownRoute!.name).toBe("pp-own");
  });
});
