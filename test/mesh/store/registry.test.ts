/**
 * Registry queries: endpoints of a Kubernetes Service from the WorkloadEntries it selects.
 * (The rest of the registry is covered by store.test.ts.)
 */
import { endpointsOf, servicesForHost, storeOf, type StoreObject } from "../../../mesh/store";

const workloadEntry = (name: string, address: string, ports: Record<string, number>) =>
  ({
    apiVersion: "networking.istio.io/v1",
    kind: "WorkloadEntry",
    metadata: { name, namespace: "default" },
    spec: { address, labels: { app: "web" }, ports },
  }) as unknown as StoreObject;

describe("endpointsOf: WorkloadEntries a Kubernetes Service selects", () => {
  const web = {
    kind: "Service",
    metadata: { name: "web", namespace: "default" },
    spec: {
      clusterIP: "10.96.0.30",
      selector: { app: "web" },
      ports: [
        { name: "http", port: 80, targetPort: "web-port" },
        { name: "tcp", port: 9000, targetPort: 9001 },
      ],
    },
  } as StoreObject;
  const store = storeOf([
    web,
    workloadEntry("vm-a", "192.168.0.1", { "web-port": 8080, tcp: 9100 }),
    workloadEntry("vm-b", "192.168.0.2", { http: 8081 }),
  ]);
  const svc = servicesForHost(store, "web.default.svc.cluster.local")[0]!;
  const ports = (i: number) =>
    endpointsOf(store, svc, svc.ports[i]!).map(e => `${e.address}:${e.port}`);

  it("a named targetPort is the entry's port of that name; an entry without it is no endpoint", () => {
    expect(ports(0)).toEqual(["192.168.0.1:8080"]);
  });

  it("a numeric targetPort: the entry's port named like the Service port, else the targetPort", () => {
    expect(ports(1)).toEqual(["192.168.0.1:9100", "192.168.0.2:9001"]);
  });
});
