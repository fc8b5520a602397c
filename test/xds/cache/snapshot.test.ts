import {
  checkConsistency,
  createSnapshot,
  getResource,
  replaceTypes,
} from "../../../xds/cache/snapshot";
import { SnapshotCache } from "../../../xds/cache/snapshot-cache";
import { clusterReferences, listenerReferences } from "../../../xds/cache/references";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import { TypeUrl } from "../../../xds/encode/type-urls";
import {
  clientListener,
  edsCluster,
  endpoints,
  rootCaSecret,
  serverListener,
  weightedRoute,
} from "../../harness/xds-resources";

const mesh = (weights = { a: 80, b: 20 }, ports = [9001]): ResourceObject[] => [
  clientListener("svc:80", "route-80"),
  weightedRoute("route-80", "svc:80", weights),
  edsCluster("a"),
  edsCluster("b"),
  endpoints("a", ports),
  endpoints("b", [9002]),
];

const tlsCluster: ResourceObject = {
  ...edsCluster("tls"),
  transport_socket: {
    name: "tls",
    typed_config: {
      "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
      common_tls_context: {
        tls_certificate_sds_secret_configs: [{ name: "default", sds_config: { ads: {} } }],
        combined_validation_context: {
          default_validation_context: {},
          validation_context_sds_secret_config: { name: "ROOTCA", sds_config: { ads: {} } },
        },
      },
    },
  },
};

describe("references", () => {
  it("finds RDS names in api and filter-chain listeners", () => {
    expect(listenerReferences(clientListener("l", "r1")).map(r => r.name)).toEqual(["r1"]);
    expect(
      listenerReferences(serverListener(8080, "inbound")).map(r => [r.typeUrl, r.name, r.path]),
    ).toEqual([
      [TypeUrl.route, "inbound", "filter_chains[0].filters[0].typed_config.rds.route_config_name"],
    ]);
  });

  it("finds EDS and ADS-served SDS names in clusters, not locally served secrets", () => {
    expect(
      clusterReferences(tlsCluster).map(r => `${r.typeUrl.split(".").pop()}:${r.name}`),
    ).toEqual(["ClusterLoadAssignment:tls", "Secret:default", "Secret:ROOTCA"]);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- deep edit of a test fixture
    const local = structuredClone(tlsCluster) as Record<string, any>;
    local.transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs[0].sds_config =
      {
        api_config_source: {
          api_type: "GRPC",
          grpc_services: [{ envoy_grpc: { cluster_name: "sds-grpc" } }],
        },
      };
    expect(clusterReferences(local as ResourceObject).map(r => r.name)).toEqual(["tls", "ROOTCA"]);
    expect(
      clusterReferences({
        ...edsCluster("x"),
        eds_cluster_config: { service_name: "svc-x", eds_config: { ads: {} } },
      }).map(r => r.name),
    ).toEqual(["svc-x"]);
    expect(clusterReferences({ "@type": TypeUrl.cluster, name: "static", type: "STATIC" })).toEqual(
      [],
    );
  });
});

describe("createSnapshot", () => {
  it("builds a frozen snapshot with per-type versions", () => {
    const result = createSnapshot(mesh());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(Object.isFrozen(result.value)).toBe(true);
    expect([...result.value.resources.keys()]).toEqual([
      TypeUrl.cluster,
      TypeUrl.endpoint,
      TypeUrl.listener,
      TypeUrl.route,
      TypeUrl.secret,
    ]);
    expect(result.value.resources.get(TypeUrl.cluster)!.size).toBe(2);
    expect(getResource(result.value, TypeUrl.route, "route-80")?.name).toBe("route-80");
  });

  it("is deterministic: same content, same versions, whatever the input order", () => {
    const a = createSnapshot(mesh());
    const b = createSnapshot([...mesh()].reverse());
    if (!a.ok || !b.ok) throw new Error("snapshot failed");
    expect([...a.value.versions]).toEqual([...b.value.versions]);
  });

  it.each([
    [
      "a listener's route config is missing",
      mesh().filter(r => r.name !== "route-80"),
      /LDS "svc:80": api_listener.api_listener.rds.route_config_name: references RDS "route-80"/,
    ],
    [
      "a cluster's endpoints are missing",
      mesh().filter(r => r.cluster_name !== "b"),
      /CDS "b": name: references EDS "b"/,
    ],
    [
      "a cluster's secrets are missing",
      [tlsCluster, endpoints("tls", [1])],
      /references SDS "default"[\s\S]*references SDS "ROOTCA"/,
    ],
    [
      "a resource name is duplicated",
      [...mesh(), edsCluster("a")],
      /CDS "a": duplicate resource name/,
    ],
    [
      "a resource does not encode",
      [...mesh(), { ...edsCluster("c"), lb_policy: "NOPE" }],
      /not a value of enum/,
    ],
  ])("refuses a snapshot when %s", (_case, objects, message) => {
    const result = createSnapshot(objects);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join("\n")).toMatch(message);
  });

  it("accepts a cluster whose secrets are present", () => {
    const result = createSnapshot([
      tlsCluster,
      endpoints("tls", [1]),
      rootCaSecret("default", "x"),
      rootCaSecret("ROOTCA", "y"),
    ]);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });

  it("consistency check on an empty snapshot finds nothing", () => {
    expect(checkConsistency(new Map())).toEqual([]);
  });
});

describe("replaceTypes (endpoint-only change)", () => {
  it("changes only the EDS version", () => {
    const base = createSnapshot(mesh());
    if (!base.ok) throw new Error("base");
    const next = replaceTypes(
      base.value,
      [TypeUrl.endpoint],
      [endpoints("a", [9001, 9003]), endpoints("b", [9002])],
    );
    if (!next.ok) throw new Error(next.errors.join());
    for (const typeUrl of [TypeUrl.cluster, TypeUrl.listener, TypeUrl.route, TypeUrl.secret]) {
      expect(next.value.versions.get(typeUrl)).toBe(base.value.versions.get(typeUrl));
    }
    expect(next.value.versions.get(TypeUrl.endpoint)).not.toBe(
      base.value.versions.get(TypeUrl.endpoint),
    );
    expect(getResource(next.value, TypeUrl.endpoint, "b")!.version).toBe(
      getResource(base.value, TypeUrl.endpoint, "b")!.version,
    );
  });

  it("still checks consistency and the replaced types", () => {
    const base = createSnapshot(mesh());
    if (!base.ok) throw new Error("base");
    expect(replaceTypes(base.value, [TypeUrl.endpoint], [endpoints("a", [1])])).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/references EDS "b"/)],
    });
    expect(replaceTypes(base.value, [TypeUrl.endpoint], [...mesh()])).toMatchObject({ ok: false });
  });
});

describe("SnapshotCache", () => {
  it("publishes valid snapshots, keeps the old one on errors, and notifies watchers", () => {
    const cache = new SnapshotCache();
    const seen: string[] = [];
    const stop = cache.watch("node-1", s => seen.push(s.versions.get(TypeUrl.route)!));
    const good = createSnapshot(mesh());
    expect(cache.publish("node-1", good)).toEqual({ ok: true });
    const bad = createSnapshot(mesh().filter(r => r.name !== "route-80"));
    expect(cache.publish("node-1", bad)).toMatchObject({ ok: false });
    expect(seen).toHaveLength(1);
    expect(cache.get("node-1")).toBe(good.ok ? good.value : undefined);
    stop();
    expect(cache.watcherCount()).toBe(0);
  });

  it("a throwing watcher does not stop the others", () => {
    const cache = new SnapshotCache();
    const calls: string[] = [];
    cache.watch("n", () => {
      throw new Error("broken stream");
    });
    cache.watch("n", () => calls.push("ok"));
    const s = createSnapshot(mesh());
    if (s.ok) cache.set("n", s.value);
    expect(calls).toEqual(["ok"]);
  });
});
