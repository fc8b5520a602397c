/**
 * parseProxy: what the compiler takes from an xDS node (kind, namespace, IPs, labels, service
 * account), as istiod reads Istio's `type~ip~pod.ns~domain` node ids and node metadata.
 */
import { parseProxy, type NodeDescription } from "../../../xds/compile/proxy";

const ID = "sidecar~10.1.2.3~reviews-v1-abc.team~team.svc.cluster.local";

function parsed(node: NodeDescription) {
  const r = parseProxy(node);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  return r.value;
}

describe("parseProxy", () => {
  it.each([
    ["a sidecar id", { id: ID }, "sidecar"],
    ["a router id", { id: ID.replace("sidecar", "router") }, "router"],
    ["GENERATOR=grpc, whatever the id type", { id: ID, metadata: { GENERATOR: "grpc" } }, "grpc"],
  ])("kind from %s", (_label, node: NodeDescription, kind) => {
    expect(parsed(node).kind).toBe(kind);
  });

  it.each([
    ["NAMESPACE metadata first", { id: ID, metadata: { NAMESPACE: "meta" } }, "meta"],
    ["else the pod name's namespace", { id: ID }, "team"],
    [
      "else the DNS domain's first label",
      { id: "sidecar~10.1.2.3~pod~dom.svc.cluster.local" },
      "dom",
    ],
    ["else default", { id: "sidecar~10.1.2.3~pod~" }, "default"],
  ])("namespace: %s", (_label, node: NodeDescription, namespace) => {
    expect(parsed(node).namespace).toBe(namespace);
  });

  it("derives the DNS domain from the namespace when the id leaves it empty", () => {
    expect(parsed({ id: "sidecar~10.1.2.3~pod.team~" }).dnsDomain).toBe("team.svc.cluster.local");
  });

  it("POD_PORTS: the injector's JSON string of container ports, protocol TCP when omitted", () => {
    const POD_PORTS =
      '[\n    {"name":"web-port","containerPort":8080}\n    ,{"containerPort":53,"protocol":"UDP"}\n]';
    expect(parsed({ id: ID, metadata: { POD_PORTS } }).podPorts).toEqual([
      { name: "web-port", containerPort: 8080, protocol: "TCP" },
      { name: "", containerPort: 53, protocol: "UDP" },
    ]);
    expect(parsed({ id: ID, metadata: { POD_PORTS: "[]" } }).podPorts).toBeUndefined();
    expect(parsed({ id: ID, metadata: { POD_PORTS: "not json" } }).podPorts).toBeUndefined();
  });

  it("keeps the id's IP first and adds INSTANCE_IPS without repeating it", () => {
    const p = parsed({ id: ID, metadata: { INSTANCE_IPS: "10.1.2.3,fd00::3,,10.9.9.9" } });
    expect(p.ips).toEqual(["10.1.2.3", "fd00::3", "10.9.9.9"]);
  });

  it("takes string labels and the service account, ignoring values of other types", () => {
    const p = parsed({
      id: ID,
      metadata: { LABELS: { app: "reviews", replicas: 3 }, SERVICE_ACCOUNT: "bookinfo-reviews" },
    });
    expect(p.labels).toEqual({ app: "reviews" });
    expect(p.serviceAccount).toBe("bookinfo-reviews");
    expect(parsed({ id: ID, metadata: { SERVICE_ACCOUNT: 7 } }).serviceAccount).toBeUndefined();
  });

  it.each([
    ["too few parts", "sidecar~10.1.2.3~pod.ns", "want type~ip~pod.ns~domain"],
    ["an unknown type", "waypoint~10.1.2.3~pod.ns~ns.svc.cluster.local", 'unknown type "waypoint"'],
  ])("refuses an id with %s", (_label, id, message) => {
    const r = parseProxy({ id });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join("\n")).toContain(message);
  });
});
