/** The `istio.stats` filter (Istio's standard metrics) as sidecar listeners carry it. */
import { build, hcms, listener, telemetry, type Json } from "./sidecar-telemetry";

describe("Telemetry compiled into sidecar listeners (decoded from protobuf)", () => {
  it("by default: istio.stats before the router, inbound without host header fallback; no logs", () => {
    const { outbound, inbound } = hcms(build([]));
    const names = (h: Json) => h.http_filters.map((f: Json) => f.name);
    expect(names(outbound).slice(-2)).toEqual(["istio.stats", "envoy.filters.http.router"]);
    expect(outbound.http_filters.at(-2).typed_config).toEqual({
      "@type": "type.googleapis.com/stats.PluginConfig",
    });
    expect(inbound.http_filters.at(-2).typed_config).toEqual({
      "@type": "type.googleapis.com/stats.PluginConfig",
      disable_host_header_fallback: true,
    });
    expect(outbound.access_log).toBeUndefined();
    expect(outbound.tracing).toBeUndefined();
  });

  it("puts istio.stats before tcp_proxy on TCP chains", () => {
    const l = listener(build([]), "virtualInbound");
    const tcp = l.filter_chains.find((c: Json) =>
      c.filters.some((f: Json) => f.name === "envoy.filters.network.tcp_proxy"),
    );
    const names = tcp.filters.map((f: Json) => f.name);
    expect(names.indexOf("istio.stats")).toBe(names.indexOf("envoy.filters.network.tcp_proxy") - 1);
  });

  it("metrics overrides: tag changes and dropped metrics in stats.PluginConfig; disabled drops the filter", () => {
    const r = build([
      telemetry("metrics", "default", {
        metrics: [
          {
            providers: [{ name: "prometheus" }],
            overrides: [
              {
                match: { metric: "REQUEST_COUNT", mode: "CLIENT" },
                tagOverrides: {
                  request_host: { value: "request.host" },
                  grpc_response_status: { operation: "REMOVE" },
                },
              },
              { match: { metric: "REQUEST_SIZE" }, disabled: true },
              { match: { mode: "SERVER" }, disabled: true },
            ],
          },
        ],
      }),
    ]);
    const { outbound, inbound } = hcms(r);
    const stats = outbound.http_filters.find((f: Json) => f.name === "istio.stats");
    // Ordered by Telemetry's metric name, as Istio orders overrides.
    expect(stats.typed_config.metrics).toEqual([
      {
        name: "requests_total",
        dimensions: { request_host: "request.host" },
        tags_to_remove: ["grpc_response_status"],
      },
      { name: "request_bytes", drop: true },
    ]);
    expect(inbound.http_filters.map((f: Json) => f.name)).not.toContain("istio.stats");
  });
});
