/** Access logs from the mesh config and Telemetry, as sidecar HCMs carry them. */
import { ISTIO_TEXT_LOG_FORMAT } from "../../../../xds/compile/telemetry/access-log";
import { build, hcms, telemetry } from "./sidecar-telemetry";

describe("Telemetry compiled into sidecar listeners (decoded from protobuf)", () => {
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

  it("an undeclared provider is left out with a warning naming it", () => {
    const r = build([
      telemetry("t", "default", { accessLogging: [{ providers: [{ name: "nope" }] }] }),
    ]);
    expect(r.warnings).toContain(
      'Telemetry: access log provider "nope" is not declared in the mesh config',
    );
    expect(hcms(r).outbound.access_log).toBeUndefined();
  });
});
