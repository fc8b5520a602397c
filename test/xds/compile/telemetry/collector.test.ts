/** The cluster a telemetry collector is reached through, or why the provider is left out. */
import { collectorCluster } from "../../../../xds/compile/telemetry/collector";

const ZIPKIN_HOST = "zipkin.istio-system.svc.cluster.local";
const known = (host: string) => host === ZIPKIN_HOST;

describe("collectorCluster", () => {
  it("a service the proxy sees: Istio's outbound cluster of its port", () => {
    expect(collectorCluster({ name: "zipkin", service: ZIPKIN_HOST, port: 9411 }, known)).toEqual({
      cluster: `outbound|9411||${ZIPKIN_HOST}`,
      host: ZIPKIN_HOST,
    });
  });

  it("`<namespace>/<host>` is reached by its host", () => {
    const p = { name: "zipkin", service: `istio-system/${ZIPKIN_HOST}`, port: 9411 };
    expect(collectorCluster(p, known)).toEqual({
      cluster: `outbound|9411||${ZIPKIN_HOST}`,
      host: ZIPKIN_HOST,
    });
  });

  it("a service the proxy cannot see: the reason, naming provider and host", () => {
    const p = { name: "otel", service: "otel.observability.svc.cluster.local", port: 4317 };
    expect(collectorCluster(p, known)).toBe(
      'provider "otel": service otel.observability.svc.cluster.local is not known to this proxy; left out',
    );
  });
});
