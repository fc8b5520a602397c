/**
 * The mesh runtime's metrics, on the registry the xDS server's metrics use (the module's
 * `/metrics`). The xDS server already counts responses (`rigging_xds_pushes_total`) and their
 * latency; these say what a push cost and how much of the mesh it recompiled, and how the
 * control plane's JWKS fetches fare (a failing issuer makes its tokens fail closed).
 */
import { Counter, Histogram, type Registry } from "prom-client";

/** What the runtime and the JWKS fetcher update. */
export interface MeshMetrics {
  /** Seconds one debounced push took to compile and publish, by `kind` (full, endpoints). */
  readonly pushDuration: Histogram<"kind">;
  /** Proxies a push handled, by `action`: full, endpoints, unchanged, failed. */
  readonly proxyPushes: Counter<"action">;
  /** JWKS fetches, by `result`: ok or error. */
  readonly jwksFetches: Counter<"result">;
  /** Mesh config loads, by `result`: applied, unchanged, rejected, defaults (ConfigMap gone). */
  readonly meshConfigLoads: Counter<"result">;
}

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Creates the mesh metrics, registered on `registry` if given (else on none, not the global). */
export function createMeshMetrics(registry?: Registry): MeshMetrics {
  const registers = registry ? [registry] : [];
  return {
    pushDuration: new Histogram({
      name: "rigging_mesh_push_duration_seconds",
      help: "Time to compile and publish the snapshots of one debounced push, by kind (full: some config changed; endpoints: endpoints only)",
      labelNames: ["kind"],
      buckets: BUCKETS,
      registers,
    }),
    proxyPushes: new Counter({
      name: "rigging_mesh_proxy_pushes_total",
      help: "Proxies handled by pushes, by action (full recompile, endpoints only, unchanged, failed)",
      labelNames: ["action"],
      registers,
    }),
    jwksFetches: new Counter({
      name: "rigging_jwks_fetch_total",
      help: "Fetches of RequestAuthentication jwksUri key sets, by result (ok, error)",
      labelNames: ["result"],
      registers,
    }),
    meshConfigLoads: new Counter({
      name: "rigging_mesh_config_loads_total",
      help: "Loads of the mesh config ConfigMap, by result (applied, unchanged, rejected: the previous config stays; defaults: the ConfigMap was deleted)",
      labelNames: ["result"],
      registers,
    }),
  };
}

/** Registers already-created mesh metrics on `registry` (they were created before it existed). */
export function registerMeshMetrics(registry: Registry, metrics: MeshMetrics): void {
  registry.registerMetric(metrics.pushDuration);
  registry.registerMetric(metrics.proxyPushes);
  registry.registerMetric(metrics.jwksFetches);
  registry.registerMetric(metrics.meshConfigLoads);
}
