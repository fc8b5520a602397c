/**
 * The ports a sidecar serves (Istio's service instances of the proxy): the ports of the
 * Services in its namespace whose selector matches its labels, one per workload (target) port,
 * and the ports of a ServiceEntry in its namespace that lists the proxy's address among its
 * endpoints (a VM).
 */
import { storeOf, type StoreObject } from "../../../../mesh/store";
import { buildScope, parseProxy } from "../../../../xds/compile";
import { entryListsAddress, inboundPorts } from "../../../../xds/compile/listeners/inbound";
import { istioObject, named, sidecarNode } from "../fixtures";
import { service, WEB, WEB_SIDECAR } from "../mesh-authz";
import { build, dec, type Json } from "../web-service";

/** The served ports of `node` over `objects`, as `host:port→targetPort`. */
function served(objects: StoreObject[], node: { id: string; metadata: Json } = WEB_SIDECAR) {
  const proxy = parseProxy(node);
  if (!proxy.ok) throw new Error(proxy.errors.join("\n"));
  return inboundPorts(buildScope(storeOf(objects), proxy.value)).map(
    p => `${p.service.hostname}:${p.port.port}→${p.targetPort}`,
  );
}

describe("inboundPorts: Services selecting the workload", () => {
  it("each port of a selecting Service, on its targetPort (or its own port when unset), sorted by workload port", () => {
    expect(served([WEB])).toEqual([
      "web.default.svc.cluster.local:5432→5432",
      "web.default.svc.cluster.local:80→8080",
    ]);
  });

  it("not a Service of another namespace, even with a matching selector", () => {
    expect(served([service("web", "other", [{ name: "http", port: 80 }], { app: "web" })])).toEqual(
      [],
    );
  });

  it("not a Service whose selector misses a label, nor one without a selector", () => {
    expect(
      served([
        service("canary", "default", [{ name: "http", port: 81 }], { app: "web", track: "canary" }),
        service("manual", "default", [{ name: "http", port: 82 }]),
      ]),
    ).toEqual([]);
  });

  it("a workload without labels is selected by no Service", () => {
    expect(served([WEB], sidecarNode("10.0.0.5", "web-0", "default", {}))).toEqual([]);
  });

  it("two Services on one workload port: the older claims it, its protocol with it (istiod's SetServiceTargets)", () => {
    const created = (obj: StoreObject, at: string): StoreObject =>
      ({ ...obj, metadata: { ...obj.metadata, creationTimestamp: at } }) as StoreObject;
    // `api` sorts first by host, but `web` was created first: web's HTTP port keeps 8080.
    const web = created(WEB, "2026-01-01T00:00:00Z");
    const api = created(
      service("api", "default", [{ name: "tcp-raw", port: 7000, targetPort: 8080 }], {
        app: "web",
      }),
      "2026-06-01T00:00:00Z",
    );
    expect(served([api, web])).toEqual([
      "web.default.svc.cluster.local:5432→5432",
      "web.default.svc.cluster.local:80→8080",
    ]);
    // The other way round, the newer `web` loses 8080 to the older `api`.
    const older = created(api, "2025-01-01T00:00:00Z");
    expect(served([older, web])).toEqual([
      "web.default.svc.cluster.local:5432→5432",
      "api.default.svc.cluster.local:7000→8080",
    ]);
  });

  it("two Services on one workload port created in the same second: the first by host claims it", () => {
    const api = service("api", "default", [{ name: "http", port: 8000, targetPort: 8080 }], {
      app: "web",
    });
    expect(served([WEB, api])).toEqual([
      "web.default.svc.cluster.local:5432→5432",
      "api.default.svc.cluster.local:8000→8080",
    ]);
  });
});

describe("inboundPorts and entryListsAddress: a ServiceEntry listing the proxy's address", () => {
  const entry = (namespace: string) =>
    istioObject("ServiceEntry", "vm-api", namespace, {
      hosts: ["vm-api.internal"],
      ports: [
        { number: 80, name: "http", protocol: "HTTP" },
        { number: 9090, name: "metrics", protocol: "HTTP" },
      ],
      resolution: "STATIC",
      location: "MESH_INTERNAL",
      endpoints: [{ address: "10.0.0.40", ports: { http: 8080 } }, { address: "10.0.0.41" }],
    });
  const vm = (ip: string) => sidecarNode(ip, "vm-0", "vms", {});

  it("the endpoint's ports map names the workload port; unmapped ports keep their number", () => {
    expect(served([entry("vms")], vm("10.0.0.40"))).toEqual([
      "vm-api.internal:80→8080",
      "vm-api.internal:9090→9090",
    ]);
    expect(served([entry("vms")], vm("10.0.0.41"))).toEqual([
      "vm-api.internal:80→80",
      "vm-api.internal:9090→9090",
    ]);
  });

  it("an address the entry does not list is not its instance", () => {
    expect(served([entry("vms")], vm("10.0.0.99"))).toEqual([]);
  });

  it("entryListsAddress: by the entry's namespace and the endpoint address", () => {
    const store = storeOf([entry("vms")]);
    expect(entryListsAddress(store, "vms", "10.0.0.41")).toBe(true);
    expect(entryListsAddress(store, "other", "10.0.0.41")).toBe(false);
    expect(entryListsAddress(store, "vms", "10.0.0.42")).toBe(false);
  });
});

describe("a workload a ServiceEntry lists by address (a VM) serves that entry's ports", () => {
  const entry = (namespace: string) =>
    istioObject("ServiceEntry", "vm-api", namespace, {
      hosts: ["vm-api.internal"],
      ports: [{ number: 80, name: "http", protocol: "HTTP" }],
      resolution: "STATIC",
      location: "MESH_INTERNAL",
      endpoints: [{ address: "10.0.0.40", ports: { http: 8080 } }, { address: "10.0.0.41" }],
    });
  const VM = sidecarNode("10.0.0.40", "vm-0", "vms", {});
  const inboundOf = (objects: StoreObject[]) => {
    const r = build(VM, objects);
    const inbound = dec(named(r.listeners, "virtualInbound"));
    return {
      clusters: r.clusters.map(c => String(c.name)).filter(n => n.startsWith("inbound|")),
      chains: (inbound.filter_chains as Json[])
        .map(c => c.name)
        .filter(n => n.startsWith("0.0.0.0_")),
    };
  };

  it("gets an inbound cluster and chains for the endpoint's named workload port", () => {
    const { clusters, chains } = inboundOf([entry("vms")]);
    expect(clusters).toEqual(["inbound|8080||"]);
    expect(new Set(chains)).toEqual(new Set(["0.0.0.0_8080"]));
  });

  it("not from an entry in another namespace: no namespace adds instances to another's workloads", () => {
    expect(inboundOf([entry("other")])).toEqual({ clusters: [], chains: [] });
  });
});

describe("a Service's named targetPort: the pod's container port of that name (POD_PORTS)", () => {
  const NAMED = service(
    "web",
    "default",
    [
      { name: "http", port: 80, targetPort: "web-port" },
      { name: "tcp-admin", port: 9000, targetPort: "admin" },
    ],
    { app: "web" },
  );
  /** WEB_SIDECAR with the injector's ISTIO_META_POD_PORTS (a JSON string, forwarded as is). */
  const withPodPorts = (ports: Json[]) => ({
    ...WEB_SIDECAR,
    metadata: { ...WEB_SIDECAR.metadata, POD_PORTS: JSON.stringify(ports) },
  });
  const POD = withPodPorts([
    { name: "web-port", containerPort: 8080, protocol: "TCP" },
    { name: "admin", containerPort: 9901, protocol: "UDP" },
  ]);

  it("resolves the name (and protocol) against the pod's ports; a port the pod lacks is not served", () => {
    expect(served([NAMED], POD)).toEqual(["web.default.svc.cluster.local:80→8080"]);
  });

  it("the sidecar's inbound cluster and filter chain are on the container port, not the Service port", () => {
    const r = build(POD, [NAMED]);
    const chains = (dec(named(r.listeners, "virtualInbound")).filter_chains as Json[])
      .map(c => String(c.name))
      .filter(n => n.startsWith("0.0.0.0_"));
    expect(new Set(chains)).toEqual(new Set(["0.0.0.0_8080"]));
    expect(r.clusters.map(c => String(c.name)).filter(n => n.startsWith("inbound|"))).toEqual([
      "inbound|8080||",
    ]);
  });

  it("without POD_PORTS metadata the pod's ports are unknown: the Service port stands in", () => {
    expect(served([NAMED])).toEqual([
      "web.default.svc.cluster.local:80→80",
      "web.default.svc.cluster.local:9000→9000",
    ]);
  });
});
