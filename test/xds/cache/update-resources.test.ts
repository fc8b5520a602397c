import { createSnapshot, updateResources } from "../../../xds/cache/snapshot";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import { TypeUrl } from "../../../xds/encode/type-urls";
import { clientListener, edsCluster, endpoints, weightedRoute } from "../../harness/xds-resources";

const mesh = (ports = [9001]): ResourceObject[] => [
  clientListener("svc:80", "route-80"),
  weightedRoute("route-80", "svc:80", { a: 80, b: 20 }),
  edsCluster("a"),
  edsCluster("b"),
  endpoints("a", ports),
  endpoints("b", [9002]),
];

function built(objects: ResourceObject[]) {
  const r = createSnapshot(objects);
  if (!r.ok) throw new Error(r.errors.join());
  return r.value;
}

describe("updateResources (a few resources of a snapshot)", () => {
  it("equals a snapshot built whole, keeping untouched resources and type versions", () => {
    const base = built(mesh());
    const next = updateResources(base, [endpoints("a", [9005])]);
    if (!next.ok) throw new Error(next.errors.join());
    expect(next.value.versions).toEqual(built(mesh([9005])).versions);
    expect(next.value.versions.get(TypeUrl.cluster)).toBe(base.versions.get(TypeUrl.cluster));
    expect(next.value.resources.get(TypeUrl.endpoint)!.get("b")).toBe(
      base.resources.get(TypeUrl.endpoint)!.get("b"),
    );
    expect(base.resources.get(TypeUrl.endpoint)!.get("a")!.object).toEqual(endpoints("a", [9001]));
  });

  it("refuses a new resource whose reference the snapshot lacks", () => {
    expect(updateResources(built(mesh()), [edsCluster("c")])).toEqual({
      ok: false,
      errors: [expect.stringMatching(/^CDS "c": .*references EDS "c", which the snapshot lacks$/)],
    });
  });
});
