/**
 * Services as an Envoy proxy sees them: no UDP ports (istiod builds nothing for them). The
 * kube-dns shape, 53 over UDP and TCP, gave two clusters of one name before, and the proxy
 * refused the whole update; found by the xDS diff against istiod (inbound-ports corpus).
 */
import { storeOf, type StoreObject } from "../../../../mesh/store";
import { compile } from "../../../../xds/compile";
import { withoutUdpPorts } from "../../../../xds/compile/shared/tcp-ports";
import { checkedSnapshot, decoded, sidecarNode } from "../fixtures";

const service = (name: string, ports: Record<string, unknown>[]): StoreObject =>
  ({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "kube-system", uid: `uid-${name}` },
    spec: { selector: { k8s: name }, clusterIP: "10.96.0.10", ports },
  }) as unknown as StoreObject;

const KUBE_DNS = service("kube-dns", [
  { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
  { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
  { name: "metrics", port: 9153, protocol: "TCP", targetPort: 9153 },
]);

describe("withoutUdpPorts", () => {
  const info = (ports: { name: string; port: number; protocol: string }[]) =>
    ({ hostname: "a.b.svc.cluster.local", ports }) as unknown as Parameters<
      typeof withoutUdpPorts
    >[0];

  it("leaves out UDP ports and keeps the rest in order", () => {
    const svc = info([
      { name: "dns", port: 53, protocol: "UDP" },
      { name: "dns-tcp", port: 53, protocol: "TCP" },
      { name: "http", port: 80, protocol: "HTTP" },
    ]);
    expect(withoutUdpPorts(svc).ports.map(p => p.name)).toEqual(["dns-tcp", "http"]);
    // One copy per service, whichever scope asks.
    expect(withoutUdpPorts(svc)).toBe(withoutUdpPorts(svc));
  });

  it("returns the service itself when it has no UDP port", () => {
    const svc = info([{ name: "http", port: 80, protocol: "HTTP" }]);
    expect(withoutUdpPorts(svc)).toBe(svc);
  });
});

describe("a service offering one port over UDP and TCP (kube-dns)", () => {
  const node = sidecarNode("10.0.0.7", "client-0", "default", { app: "client" });

  it("compiles: one cluster and one listener for 53, TCP; nothing UDP reaches the proxy", () => {
    const r = compile(storeOf([KUBE_DNS]), node, {});
    if (!r.ok) throw new Error(r.errors.join("\n"));
    checkedSnapshot(r.value); // duplicate resource names would fail here
    const dns = r.value.clusters
      .map(c => decoded(c).name as string)
      .filter(n => n.includes("kube-dns"));
    expect(dns).toEqual([
      "outbound|53||kube-dns.kube-system.svc.cluster.local",
      "outbound|9153||kube-dns.kube-system.svc.cluster.local",
    ]);
    const listeners = r.value.listeners.map(l => decoded(l).name);
    expect(listeners).toContain("10.96.0.10_53");
  });

  it("a UDP-only service gets no cluster and no listener", () => {
    const syslog = service("syslog", [{ name: "syslog", port: 514, protocol: "UDP" }]);
    const r = compile(storeOf([syslog]), node, {});
    if (!r.ok) throw new Error(r.errors.join("\n"));
    checkedSnapshot(r.value);
    expect(
      r.value.clusters.map(c => decoded(c).name).filter(n => String(n).includes("syslog")),
    ).toEqual([]);
    expect(r.value.listeners.map(l => decoded(l).name)).not.toContain("10.96.0.10_514");
  });
});
