/** Telemetry tracing as the sidecar HCM's `tracing` block. */
import type { MeshOptions } from "../../../../xds/compile/scope";
import { build, hcms, telemetry, type Json } from "./sidecar-telemetry";

describe("Telemetry compiled into sidecar listeners (decoded from protobuf)", () => {
  it("tracing: zipkin with sampling and custom tags; disableSpanReporting keeps sampling only", () => {
    const mesh: MeshOptions = {
      telemetryProviders: [
        { name: "prometheus", kind: "prometheus" },
        {
          name: "zipkin",
          kind: "zipkin",
          service: "zipkin.istio-system.svc.cluster.local",
          port: 9411,
        },
      ],
    };
    const tracing = (extra: Json) =>
      telemetry("traces", "default", {
        tracing: [{ providers: [{ name: "zipkin" }], randomSamplingPercentage: 25, ...extra }],
      });
    const { outbound } = hcms(
      build([tracing({ customTags: { env: { literal: { value: "prod" } } } })], mesh),
    );
    expect(outbound.tracing).toEqual({
      client_sampling: { value: 100 },
      random_sampling: { value: 25 },
      overall_sampling: { value: 100 },
      custom_tags: [{ tag: "env", literal: { value: "prod" } }],
      provider: {
        name: "envoy.tracers.zipkin",
        typed_config: {
          "@type": "type.googleapis.com/envoy.config.trace.v3.ZipkinConfig",
          collector_cluster: "outbound|9411||zipkin.istio-system.svc.cluster.local",
          collector_endpoint: "/api/v2/spans",
          collector_endpoint_version: "HTTP_JSON",
          trace_id_128bit: true,
          shared_span_context: { value: false },
          collector_hostname: "zipkin.istio-system.svc.cluster.local",
        },
      },
    });
    const off = hcms(build([tracing({ disableSpanReporting: true })], mesh)).outbound.tracing;
    expect(off.provider).toBeUndefined();
    expect(off.random_sampling).toEqual({ value: 25 });
  });
});
