import { metricsCollector } from "pepr";
import type { Registry } from "prom-client";

/**
 * Serves `registry` on the module's existing `/metrics` endpoint, next to Pepr's own metrics, so
 * that operators scrape one endpoint. Pepr keeps its registry private and offers no histograms,
 * so its `getMetrics` (a public field of the exported collector) is wrapped to append ours.
 */
export function exposeOnPeprMetrics(registry: Registry): void {
  const pepr = metricsCollector.getMetrics;
  metricsCollector.getMetrics = async () => `${await pepr()}\n${await registry.metrics()}`;
}
