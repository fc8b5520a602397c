/**
 * The inferred TypeScript types. Most of this file is checked by `tsc` (the `@ts-expect-error`
 * lines fail the type check if a type stops refusing what it must refuse); the runtime
 * assertions check that a typed object is also a valid one.
 */
import type { DestinationRule, PeerAuthentication, VirtualService } from "../../../mesh/api/kinds";
import type { HttpRoute } from "../../../mesh/api/virtual-service";
import { validate } from "../../../mesh/validation";

const reviews: VirtualService = {
  apiVersion: "networking.istio.io/v1",
  kind: "VirtualService",
  metadata: { name: "reviews", namespace: "default" },
  spec: {
    hosts: ["reviews"],
    http: [
      {
        match: [{ headers: { "end-user": { exact: "jason" } } }],
        route: [{ destination: { host: "reviews", subset: "v2" } }],
      },
      { route: [{ destination: { host: "reviews", subset: "v1" }, weight: 100 }] },
    ],
  },
};

const rule: DestinationRule = {
  apiVersion: "networking.istio.io/v1",
  kind: "DestinationRule",
  metadata: { name: "reviews" },
  spec: {
    host: "reviews",
    trafficPolicy: { loadBalancer: { simple: "LEAST_REQUEST" }, tls: { mode: "ISTIO_MUTUAL" } },
    subsets: [{ name: "v1", labels: { version: "v1" } }],
  },
};

// @ts-expect-error a route destination requires a host
const noHost: HttpRoute = { route: [{ destination: { subset: "v1" } }] };

const badMode: PeerAuthentication = {
  apiVersion: "security.istio.io/v1",
  kind: "PeerAuthentication",
  metadata: { name: "default" },
  // @ts-expect-error enums are typed
  spec: { mtls: { mode: "ON" } },
};

describe("inferred types", () => {
  it("describe objects the validator accepts", () => {
    expect(validate(reviews).errors).toEqual([]);
    expect(validate(rule).errors).toEqual([]);
  });

  it("refuse at compile time what the validator refuses at run time", () => {
    expect(
      validate({ ...reviews, spec: { hosts: ["reviews"], http: [noHost] } }).errors.map(
        e => e.rule,
      ),
    ).toEqual(["Required value"]);
    expect(validate(badMode).errors).toHaveLength(1);
  });
});
