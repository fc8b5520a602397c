import { compile, type CompiledResources } from "../../../xds/compile";
import type { MeshOptions } from "../../../xds/compile/scope";
import { storeOf, type StoreObject } from "../../../mesh/store";
import { ISTIO_TEXT_LOG_FORMAT } from "../../../xds/compile/telemetry/access-log";
import { checkedSnapshot, decoded, grpcNode, istioObject, named, sidecarNode } from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any -- decoded protobuf JSON, asserted field by field */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

function service(name: string, namespace: string, ports: Json[], selector?: Json): StoreObject {
  return {
    kind: "Service",
    metadata: { name, namespace },
    spec: { clusterIP: "10.96.0.30", ...(selector ? { selector } : {}), ports },
  } as unknown as StoreObject;
}

const WEB = service(
  "web",
  "default",
  [
    { name: "http", port: 80 },
    { name: "tcp-db", port: 5432 },
  ],
  {
    app: "web",
  },
);
const ZIPKIN = service("zipkin", "istio-system", [{ name: "http", port: 9411 }]);
const NODE = sidecarNode("10.0.0.5", "web-0", "default", { app: "web" });
const telemetry = (name: string, ns: string, spec: Json) =>
  istioObject("Telemetry", name, ns, spec);

/** Compiles; every resource must pass the encoder and reference check. */
function build(objects: StoreObject[], mesh: MeshOptions = {}, node: object = NODE) {
  const r = compile(storeOf([WEB, ZIPKIN, ...objects]), node as { id: string }, mesh);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  checkedSnapshot(r.value);
  return r.value;
}

const listener = (r: CompiledResources, name: string): Json => decoded(named(r.listeners, name));
const hcmOf = (chain: Json): Json =>
  chain.filters.find((f: Json) => f.name === "envoy.filters.network.http_connection_manager")
    .typed_config;
/** The outbound HTTP listener's HCM and the inbound HTTP chain's HCM, decoded. */
function hcms(r: CompiledResources): { outbound: Json; inbound: Json } {
  const out = listener(r, "0.0.0.0_80");
  const inbound = listener(r, "virtualInbound");
  const chain = (l: Json) => l.filter_chains.find((c: Json) => hcmOfSafe(c));
  return { outbound: hcmOf(chain(out)), inbound: hcmOf(chain(inbound)) };
}
function hcmOfSafe(chain: Json): boolean {
  return (chain.filters ?? []).some(
    (f: Json) => f.name === "envoy.filters.network.http_connection_manager",
  );
}

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

  it("meshConfig accessLogFile: Istio's text format on every HCM and tcp_proxy", () => {
    const { outbound } = hcms(build([], { accessLogFile: "/dev/stdout" }));
    expect(outbound.access_log).toEqual([
      {
        name: "envoy.access_loggers.file",
        typed_config: {
          "@type": "type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog",
          path: "/dev/stdout",
          log_format: { text_format_source: { inline_string: ISTIO_TEXT_LOG_FORMAT } },
        },
      },
    ]);
  });

  it("meshConfig JSON encoding with a custom format", () => {
    const { inbound } = hcms(
      build([], {
        accessLogFile: "/dev/stdout",
        accessLogEncoding: "JSON",
        accessLogFormat: '{"code": "%RESPONSE_CODE%"}',
      }),
    );
    expect(inbound.access_log[0].typed_config.log_format).toEqual({
      json_format: { fields: { code: { string_value: "%RESPONSE_CODE%" } } },
      json_format_options: { sort_properties: false },
    });
  });

  it("Telemetry accessLogging with a CEL filter, disabled on the server side by the workload", () => {
    const r = build([
      telemetry("mesh", "istio-system", {
        accessLogging: [
          { providers: [{ name: "envoy" }], filter: { expression: "response.code >= 400" } },
        ],
      }),
      telemetry("quiet", "default", {
        selector: { matchLabels: { app: "web" } },
        accessLogging: [{ match: { mode: "SERVER" }, disabled: true }],
      }),
    ]);
    const { outbound, inbound } = hcms(r);
    expect(outbound.access_log).toHaveLength(1);
    expect(outbound.access_log[0].filter).toEqual({
      extension_filter: {
        name: "envoy.access_loggers.extension_filters.cel",
        typed_config: {
          "@type":
            "type.googleapis.com/envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter",
          expression: "response.code >= 400",
        },
      },
    });
    expect(inbound.access_log).toBeUndefined();
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

  it("an undeclared provider is left out with a warning naming it", () => {
    const r = build([
      telemetry("t", "default", { accessLogging: [{ providers: [{ name: "nope" }] }] }),
    ]);
    expect(r.warnings).toContain(
      'Telemetry: access log provider "nope" is not declared in the mesh config',
    );
    expect(hcms(r).outbound.access_log).toBeUndefined();
  });

  it("proxyless gRPC gets no stats filter, access log or tracing", () => {
    const r = build(
      [telemetry("mesh", "istio-system", { accessLogging: [{ providers: [{ name: "envoy" }] }] })],
      {},
      grpcNode("10.0.0.6", "client-0", "default", { app: "client" }),
    );
    const text = JSON.stringify(r.listeners);
    expect(text).not.toContain("istio.stats");
    expect(text).not.toContain("access_log");
  });
});
