/**
 * Kubernetes ExternalName Services as istiod 1.21+ compiles them (ENABLE_EXTERNAL_NAME_ALIAS):
 * an alias of its target, not a DNS cluster of its own. What an app relies on: dialling the
 * alias name over HTTP lands on the target's virtual host (so the target's VirtualService
 * applies), a route to the alias reaches the target's cluster, and nothing is built for a
 * target outside the mesh (the app's CNAME then goes out through PassthroughCluster).
 */
import { storeOf, type StoreObject } from "../../../mesh/store";
import { compile, type CompiledResources } from "../../../xds/compile";
import type { ResourceObject } from "../../../xds/encode/encode-resource";
import { checkedSnapshot, decoded, istioObject, named, sidecarNode } from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const names = (list: readonly ResourceObject[]) => list.map(r => String(r.name ?? r.cluster_name));

function service(name: string, ns: string, port: number, portName = "http"): StoreObject {
  return {
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: { clusterIP: "10.96.0.20", selector: { app: name }, ports: [{ name: portName, port }] },
  } as unknown as StoreObject;
}

function externalName(name: string, ns: string, target: string, port = 80): StoreObject {
  return {
    kind: "Service",
    metadata: { name, namespace: ns },
    spec: { type: "ExternalName", externalName: target, ports: [{ name: "http", port }] },
  } as unknown as StoreObject;
}

function compileFor(objects: StoreObject[]): CompiledResources {
  const result = compile(storeOf(objects), sidecarNode("10.0.0.9", "client-0", "shop"));
  if (!result.ok) throw new Error(result.errors.join("\n"));
  checkedSnapshot(result.value); // every resource encodes, every RDS/EDS reference resolves
  return result.value;
}

const route80 = (out: CompiledResources): Json => decoded(named(out.routes, "80"));
const vhost = (out: CompiledResources, name: string): Json => {
  const found = (route80(out).virtual_hosts as Json[]).find(v => v.name === name);
  if (!found) throw new Error(`no virtual host ${name}`);
  return found;
};

const API = service("api", "backend", 80);
const API_ALIAS = externalName("api", "shop", "api.backend.svc.cluster.local");

describe("an ExternalName Service of a mesh service", () => {
  it("gets no cluster, endpoints or listener of its own", () => {
    const out = compileFor([API, API_ALIAS]);
    expect(names(out.clusters)).toContain("outbound|80||api.backend.svc.cluster.local");
    expect(names(out.clusters).filter(n => n.includes("api.shop"))).toEqual([]);
    expect(names(out.endpoints).filter(n => n.includes("api.shop"))).toEqual([]);
    expect(names(out.listeners).filter(n => n.includes("api.shop"))).toEqual([]);
  });

  it("adds its names, short forms included, to the target's virtual host", () => {
    const out = compileFor([API, API_ALIAS]);
    const domains = vhost(out, "api.backend.svc.cluster.local:80").domains as string[];
    // The target's own names first, then the alias's (same namespace as the client: `api`).
    expect(domains.slice(0, 4)).toEqual([
      "api.backend.svc.cluster.local",
      "api.backend.svc.cluster.local.",
      "api.backend",
      "api.backend.svc",
    ]);
    expect(domains).toEqual(
      expect.arrayContaining([
        "api.shop.svc.cluster.local",
        "api.shop.svc.cluster.local.",
        "api",
        "api.shop",
        "api.shop.svc",
      ]),
    );
    expect((route80(out).virtual_hosts as Json[]).map(v => v.name)).not.toContain(
      "api.shop.svc.cluster.local:80",
    );
  });

  it("sends the alias's traffic through the target's VirtualService", () => {
    const vs = istioObject("VirtualService", "api", "backend", {
      hosts: ["api.backend.svc.cluster.local"],
      http: [
        { route: [{ destination: { host: "api.backend.svc.cluster.local" } }], timeout: "3s" },
      ],
    });
    const out = compileFor([API, API_ALIAS, vs]);
    const host = vhost(out, "api.backend.svc.cluster.local:80");
    expect(host.domains).toContain("api.shop.svc.cluster.local");
    expect(host.routes[0].route.timeout).toEqual({ seconds: "3", nanos: 0 });
  });

  it("routes a VirtualService destination naming the alias to the target's cluster", () => {
    const web = service("web", "shop", 80);
    const vs = istioObject("VirtualService", "web", "shop", {
      hosts: ["web"],
      http: [{ route: [{ destination: { host: "api" } }] }],
    });
    const out = compileFor([API, API_ALIAS, web, vs]);
    const host = vhost(out, "web.shop.svc.cluster.local:80");
    expect(host.routes[0].route.cluster).toBe("outbound|80||api.backend.svc.cluster.local");
  });

  it("follows an alias of an alias to the last target", () => {
    const edge = externalName("edge", "shop", "api.shop.svc.cluster.local");
    const out = compileFor([API, API_ALIAS, edge]);
    const domains = vhost(out, "api.backend.svc.cluster.local:80").domains as string[];
    expect(domains).toEqual(
      expect.arrayContaining(["api.shop.svc.cluster.local", "edge.shop.svc.cluster.local"]),
    );
  });

  it("adds the alias's names to the SNI match of a TLS service on a shared listener", () => {
    const tls: StoreObject = {
      kind: "Service",
      metadata: { name: "db", namespace: "data" },
      spec: { clusterIP: "None", selector: { app: "db" }, ports: [{ name: "tls", port: 5432 }] },
    } as unknown as StoreObject;
    const alias = externalName("db", "shop", "db.data.svc.cluster.local", 5432);
    const out = compileFor([tls, alias]);
    const listener = decoded(named(out.listeners, "0.0.0.0_5432")) as Json;
    const chain = (listener.filter_chains as Json[]).find(c =>
      c.filter_chain_match?.server_names?.includes("db.data.svc.cluster.local"),
    );
    expect(chain?.filter_chain_match.server_names).toEqual(
      expect.arrayContaining([
        "db.shop.svc.cluster.local",
        "db.shop.svc.cluster.local.",
        "db",
        "db.shop",
        "db.shop.svc",
      ]),
    );
  });
});

describe("an ExternalName Service of a host outside the mesh", () => {
  it("compiles to nothing: no cluster, no virtual host", () => {
    const out = compileFor([externalName("payments", "shop", "api.stripe.example")]);
    expect(names(out.clusters).filter(n => n.includes("payments") || n.includes("stripe"))).toEqual(
      [],
    );
    const routes = out.routes.map(r => decoded(r));
    const vhosts = routes.flatMap(r => (r.virtual_hosts as Json[]).map(v => String(v.name)));
    expect(vhosts.filter(n => n.includes("payments"))).toEqual([]);
  });

  it("becomes an alias of a ServiceEntry host that names the target", () => {
    const entry = istioObject("ServiceEntry", "stripe", "shop", {
      hosts: ["api.stripe.example"],
      ports: [{ number: 80, name: "http", protocol: "HTTP" }],
      resolution: "DNS",
    });
    const out = compileFor([externalName("payments", "shop", "api.stripe.example"), entry]);
    const domains = vhost(out, "api.stripe.example:80").domains as string[];
    expect(domains).toEqual(
      expect.arrayContaining(["payments.shop.svc.cluster.local", "payments"]),
    );
  });

  it("drops a loop of aliases (Kubernetes DNS answers NXDOMAIN for one)", () => {
    const a = externalName("a", "shop", "b.shop.svc.cluster.local");
    const b = externalName("b", "shop", "a.shop.svc.cluster.local");
    const out = compileFor([a, b, API]);
    const domains = vhost(out, "api.backend.svc.cluster.local:80").domains as string[];
    expect(domains.filter(d => d.startsWith("a.") || d.startsWith("b."))).toEqual([]);
    expect(names(out.clusters).filter(n => n.includes(".shop."))).toEqual([]);
  });
});
