import {
  aliasesByTarget,
  resolveAliasTarget,
  serviceFromKube,
  type KubeService,
} from "../../../mesh/store";

const kube = (name: string, ns: string, spec: KubeService["spec"]): KubeService =>
  ({ metadata: { name, namespace: ns }, spec }) as KubeService;
const external = (name: string, ns: string, target: string) =>
  serviceFromKube(kube(name, ns, { type: "ExternalName", externalName: target }), "cluster.local");

describe("ExternalName Services in the registry", () => {
  it("are aliases, mesh-external, with no address of their own", () => {
    const svc = external("db", "shop", "postgres.data.svc.cluster.local");
    expect(svc).toMatchObject({
      hostname: "db.shop.svc.cluster.local",
      resolution: "ALIAS",
      meshExternal: true,
      externalName: "postgres.data.svc.cluster.local",
      addresses: [],
    });
  });

  it("without an externalName stay ordinary services, as Istio converts them", () => {
    const svc = serviceFromKube(kube("db", "shop", { type: "ExternalName" }), "cluster.local");
    expect(svc.resolution).toBe("STATIC");
    expect(svc.meshExternal).toBe(false);
  });
});

describe("resolveAliasTarget", () => {
  const targets = new Map([
    ["a", "b"],
    ["b", "c"],
    ["x", "y"],
    ["y", "x"],
    ["self", "self"],
  ]);
  it("follows aliases of aliases to the first host that is not one", () => {
    expect(resolveAliasTarget("a", targets)).toBe("c");
    expect(resolveAliasTarget("b", targets)).toBe("c");
  });
  it("gives nothing for a loop, however short", () => {
    expect(resolveAliasTarget("x", targets)).toBeUndefined();
    expect(resolveAliasTarget("self", targets)).toBeUndefined();
  });
});

describe("aliasesByTarget", () => {
  it("lists each concrete host's aliases by namespace, then host; lower-cases targets", () => {
    const services = [
      external("web", "zeta", "API.backend.svc.cluster.local"),
      external("api", "alpha", "api.backend.svc.cluster.local"),
      external("edge", "alpha", "api.alpha.svc.cluster.local"),
      serviceFromKube(
        kube("api", "backend", { clusterIP: "10.0.0.1", ports: [{ port: 80 }] }),
        "cluster.local",
      ),
    ];
    const out = aliasesByTarget(services);
    expect([...out.keys()]).toEqual(["api.backend.svc.cluster.local"]);
    expect(out.get("api.backend.svc.cluster.local")).toEqual([
      { hostname: "api.alpha.svc.cluster.local", namespace: "alpha" },
      { hostname: "edge.alpha.svc.cluster.local", namespace: "alpha" },
      { hostname: "web.zeta.svc.cluster.local", namespace: "zeta" },
    ]);
  });
});
