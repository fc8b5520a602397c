import { EncodeCache } from "../../../xds/cache/encode-cache";
import { createSnapshot, updateResources } from "../../../xds/cache/snapshot";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import { TypeUrl } from "../../../xds/encode/type-urls";
import { clientListener, edsCluster, endpoints, weightedRoute } from "../../harness/xds-resources";

// Fresh objects each call, as the compiler makes them for every proxy.
const mesh = (ports = [9001]): ResourceObject[] => [
  clientListener("svc:80", "route-80"),
  weightedRoute("route-80", "svc:80", { a: 80, b: 20 }),
  edsCluster("a"),
  edsCluster("b"),
  endpoints("a", ports),
  endpoints("b", [9002]),
];

describe("EncodeCache", () => {
  it("encodes equal resources once, with the same bytes and versions as without it", () => {
    const cache = new EncodeCache();
    const first = createSnapshot(mesh(), cache.encode);
    const second = createSnapshot(mesh(), cache.encode);
    const plain = createSnapshot(mesh());
    if (!first.ok || !second.ok || !plain.ok) throw new Error("mesh does not build");
    expect(cache.stats()).toEqual({ hits: 6, misses: 6, size: 6 });
    expect(second.value.versions).toEqual(plain.value.versions);
    const cluster = (s: typeof first) => s.ok && s.value.resources.get(TypeUrl.cluster)!.get("a");
    expect(cluster(second)).toBe(cluster(first));
  });

  it("tells different resources apart", () => {
    const cache = new EncodeCache();
    const a = createSnapshot(mesh([9001]), cache.encode);
    const b = createSnapshot(mesh([9005]), cache.encode);
    if (!a.ok || !b.ok) throw new Error("mesh does not build");
    expect(b.value.versions.get(TypeUrl.endpoint)).not.toBe(a.value.versions.get(TypeUrl.endpoint));
    expect(b.value.versions.get(TypeUrl.cluster)).toBe(a.value.versions.get(TypeUrl.cluster));
    // An update through the cache encodes only the new assignment.
    const before = cache.stats().misses;
    const updated = updateResources(a.value, [endpoints("a", [9007])], cache.encode);
    expect(updated.ok).toBe(true);
    expect(cache.stats().misses).toBe(before + 1);
  });

  it("keeps two generations: what the last two pushes encoded", () => {
    const cache = new EncodeCache();
    createSnapshot(mesh(), cache.encode);
    cache.rotate();
    expect(cache.stats().size).toBe(6);
    createSnapshot(mesh(), cache.encode); // hits the previous generation and keeps it
    expect(cache.stats()).toMatchObject({ hits: 6, size: 12 }); // both generations hold them
    cache.rotate();
    expect(cache.stats().size).toBe(6);
    cache.rotate(); // a push that used none of them
    expect(cache.stats().size).toBe(0);
  });

  it("does not keep failures", () => {
    const cache = new EncodeCache();
    const broken = { ...edsCluster("a"), connectTimeout: "1s" } as ResourceObject;
    expect(cache.encode(broken).ok).toBe(false);
    expect(cache.encode(broken).ok).toBe(false);
    expect(cache.stats()).toEqual({ hits: 0, misses: 2, size: 0 });
  });
});
