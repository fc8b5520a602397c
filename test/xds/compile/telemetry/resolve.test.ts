/**
 * Which Telemetry resources apply to a proxy, and in which order they refine each other: the
 * root namespace's namespace-wide one, the proxy's namespace's, then one selecting the workload.
 */
import { storeOf, type StoreObject } from "../../../../mesh/store";
import { parseProxy } from "../../../../xds/compile";
import { applicableTelemetries } from "../../../../xds/compile/telemetry/resolve";
import { istioObject, sidecarNode } from "../fixtures";

const telemetry = (name: string, ns: string, spec: Record<string, unknown> = {}) =>
  istioObject("Telemetry", name, ns, spec);
const WEB_SERVICE = {
  kind: "Service",
  metadata: { name: "web", namespace: "default" },
  spec: { clusterIP: "10.96.0.30", selector: { app: "web" }, ports: [{ name: "http", port: 80 }] },
} as unknown as StoreObject;

function applied(objects: StoreObject[], labels: Record<string, string> = { app: "web" }) {
  const proxy = parseProxy(sidecarNode("10.0.0.5", "web-0", "default", labels));
  if (!proxy.ok) throw new Error(proxy.errors.join());
  return applicableTelemetries(storeOf(objects), proxy.value, "istio-system").map(
    t => `${t.metadata.namespace}/${t.metadata.name}`,
  );
}

describe("applicableTelemetries", () => {
  it("root namespace first, then the proxy's namespace, then the workload's", () => {
    const got = applied([
      telemetry("workload", "default", { selector: { matchLabels: { app: "web" } } }),
      telemetry("ns", "default"),
      telemetry("mesh", "istio-system"),
    ]);
    expect(got).toEqual(["istio-system/mesh", "default/ns", "default/workload"]);
  });

  it("another namespace's Telemetry, or one selecting other workloads, does not apply", () => {
    const got = applied([
      telemetry("other-ns", "prod"),
      telemetry("other-app", "default", { selector: { matchLabels: { app: "api" } } }),
      telemetry("root-selecting", "istio-system", { selector: { matchLabels: { app: "web" } } }),
    ]);
    expect(got).toEqual([]);
  });

  it("a targetRef naming a Service that selects the workload applies at the workload level", () => {
    const ref = telemetry("by-service", "default", {
      targetRefs: [{ kind: "Service", name: "web" }],
    });
    expect(applied([WEB_SERVICE, ref])).toEqual(["default/by-service"]);
    expect(applied([WEB_SERVICE, ref], { app: "api" })).toEqual([]);
  });

  it("of two namespace-wide Telemetries, the oldest applies", () => {
    const older = istioObject(
      "Telemetry",
      "b-older",
      "default",
      {},
      {
        creationTimestamp: "2024-01-01T00:00:00Z",
      },
    );
    const newer = istioObject(
      "Telemetry",
      "a-newer",
      "default",
      {},
      {
        creationTimestamp: "2025-01-01T00:00:00Z",
      },
    );
    expect(applied([newer, older])).toEqual(["default/b-older"]);
  });
});
