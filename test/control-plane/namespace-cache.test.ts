import { kind } from "pepr";
import { NamespaceCache } from "../../control-plane/namespace-cache";

type Namespace = InstanceType<typeof kind.Namespace>;
const ns = (name: string, labels: Record<string, string> = {}): Namespace =>
  ({ metadata: { name, labels } }) as Namespace;

describe("NamespaceCache", () => {
  it("answers from watch events without reading the API server, and follows label changes", async () => {
    const reads: string[] = [];
    const cache = new NamespaceCache(async name => (reads.push(name), ns(name)));
    cache.onEvent(ns("bench", { "istio-injection": "enabled" }), "ADDED");
    expect((await cache.get("bench")).metadata?.labels).toEqual({ "istio-injection": "enabled" });
    cache.onEvent(ns("bench", { "istio-injection": "disabled" }), "MODIFIED");
    expect((await cache.get("bench")).metadata?.labels).toEqual({ "istio-injection": "disabled" });
    expect(reads).toEqual([]);
  });

  it("reads a namespace the watch has not delivered yet once, and again after it is deleted", async () => {
    const reads: string[] = [];
    const cache = new NamespaceCache(async name => (reads.push(name), ns(name, { read: "yes" })));
    expect((await cache.get("fresh")).metadata?.labels).toEqual({ read: "yes" });
    await cache.get("fresh");
    expect(reads).toEqual(["fresh"]);
    cache.onEvent(ns("fresh"), "DELETED");
    await cache.get("fresh");
    expect(reads).toEqual(["fresh", "fresh"]);
  });

  it("passes on the API server's error for a namespace that does not exist", async () => {
    const cache = new NamespaceCache(async name => {
      throw Object.assign(new Error(`namespaces "${name}" not found`), { status: 404 });
    });
    await expect(cache.get("missing")).rejects.toThrow('namespaces "missing" not found');
  });
});
