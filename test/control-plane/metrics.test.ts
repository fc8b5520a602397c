import { metricsCollector } from "pepr";
import { Gauge, Registry } from "prom-client";
import { exposeOnPeprMetrics } from "../../control-plane/metrics";

describe("exposeOnPeprMetrics", () => {
  it("serves the control plane's metrics on Pepr's /metrics, next to Pepr's own", async () => {
    const registry = new Registry();
    new Gauge({ name: "rigging_xds_connected_proxies", help: "test", registers: [registry] }).set(
      3,
    );
    exposeOnPeprMetrics(registry);
    const text = await metricsCollector.getMetrics();
    expect(text).toContain("pepr_validate");
    expect(text).toMatch(/^rigging_xds_connected_proxies 3$/m);
  });
});
