/**
 * Message declarations the xDS descriptor needs that `@grpc/grpc-js-xds` does not ship, written
 * here from their published wire format (field numbers and types) so `gen-xds-protos.ts` can
 * load them like the rest:
 *
 * - `stats.PluginConfig`: the config of proxyv2's `istio.stats` filter (Istio's
 *   envoy/extensions/stats/config.proto in istio/api), which Istio's proxies read the standard
 *   metrics configuration from.
 * - `opentelemetry.proto.common.v1` values: what Envoy's OpenTelemetry access log config
 *   (`envoyOtelAls`) carries its body and attributes in (open-telemetry/opentelemetry-proto).
 *
 * Only declarations: names, numbers and types are what the encoder checks resources against.
 */

/** Proto file path (as imported) → its text. */
export const EXTRA_PROTOS: Readonly<Record<string, string>> = {
  "istio/stats/plugin_config.proto": `
syntax = "proto3";
package stats;
import "google/protobuf/duration.proto";

message MetricConfig {
  map<string, string> dimensions = 1;
  string name = 2;
  repeated string tags_to_remove = 3;
  string match = 4;
  bool drop = 5;
}
enum MetricType { COUNTER = 0; GAUGE = 1; HISTOGRAM = 2; }
enum Reporter { UNSPECIFIED = 0; SERVER_GATEWAY = 1; }
message MetricDefinition {
  string name = 1;
  string value = 2;
  MetricType type = 3;
}
message PluginConfig {
  bool debug = 1;
  int32 max_peer_cache_size = 2;
  string stat_prefix = 3;
  string field_separator = 4;
  string value_separator = 5;
  bool disable_host_header_fallback = 6;
  google.protobuf.Duration tcp_reporting_duration = 7;
  repeated MetricConfig metrics = 8;
  repeated MetricDefinition definitions = 9;
  Reporter reporter = 10;
  google.protobuf.Duration rotation_interval = 11;
  google.protobuf.Duration graceful_deletion_interval = 12;
}
`,
  "opentelemetry/proto/common/v1/common.proto": `
syntax = "proto3";
package opentelemetry.proto.common.v1;

message AnyValue {
  oneof value {
    string string_value = 1;
    bool bool_value = 2;
    int64 int_value = 3;
    double double_value = 4;
    ArrayValue array_value = 5;
    KeyValueList kvlist_value = 6;
    bytes bytes_value = 7;
  }
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue {
  string key = 1;
  AnyValue value = 2;
}
`,
};
