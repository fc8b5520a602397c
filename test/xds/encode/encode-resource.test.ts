import {
  decodeResourceToJson,
  encodeResource,
  type ResourceObject,
} from "../../../xds/encode/encode-resource";
import { TypeUrl } from "../../../xds/encode/type-urls";
import { clientListener, edsCluster, endpoints, weightedRoute } from "../../harness/xds-resources";

/** Deep copy with one change applied at `path` (dot-separated, numeric segments index arrays). */
function edit(
  resource: ResourceObject,
  path: string,
  change: (parent: Record<string, unknown>, key: string) => void,
): ResourceObject {
  const copy = structuredClone(resource) as Record<string, unknown>;
  const parts = path.split(".");
  let node: Record<string, unknown> = copy;
  for (const part of parts.slice(0, -1)) node = node[part] as Record<string, unknown>;
  change(node, parts.at(-1)!);
  return copy as ResourceObject;
}
const rename = (to: string) => (parent: Record<string, unknown>, key: string) => {
  parent[to] = parent[key];
  delete parent[key];
};
const set = (value: unknown) => (parent: Record<string, unknown>, key: string) => {
  parent[key] = value;
};

const listener = clientListener("svc.default.svc.cluster.local:80", "route-80");
const route = weightedRoute("route-80", "svc", { a: 80, b: 20 });
const cluster = edsCluster("a");
const assignment = endpoints("a", [8080]);

describe("encodeResource", () => {
  it.each([
    ["listener", listener],
    ["route", route],
    ["cluster", cluster],
    ["endpoints", assignment],
  ])("encodes a valid %s and round-trips it", (_kind, resource) => {
    const result = encodeResource(resource);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.version).toMatch(/^[0-9a-f]{16}$/);
    const json = decodeResourceToJson(result.value.typeUrl, result.value.value);
    expect(json["@type"]).toBe(resource["@type"]);
  });

  it("gives equal bytes equal versions and different bytes different versions", () => {
    const a = encodeResource(route);
    const b = encodeResource(structuredClone(route) as ResourceObject);
    const c = encodeResource(weightedRoute("route-80", "svc", { a: 79, b: 21 }));
    expect(a.ok && b.ok && c.ok).toBe(true);
    if (!a.ok || !b.ok || !c.ok) return;
    expect(a.value.version).toBe(b.value.version);
    expect(a.value.version).not.toBe(c.value.version);
  });

  // Each of these would be silently dropped or zeroed by protobufjs fromObject alone.
  it.each([
    [
      "camelCase field in a nested Any",
      listener,
      "api_listener.api_listener.stat_prefix",
      rename("statPrefix"),
      /unknown field "statPrefix" \(did you mean "stat_prefix"\?\)/,
    ],
    [
      "misspelled top-level field",
      cluster,
      "lb_policy",
      rename("lb_polcy"),
      /unknown field "lb_polcy"/,
    ],
    [
      "unknown enum name",
      cluster,
      "lb_policy",
      set("ROUND_ROBBIN"),
      /"ROUND_ROBBIN" is not a value of enum LbPolicy/,
    ],
    ["unknown enum number", cluster, "lb_policy", set(99), /99 is not a value of enum LbPolicy/],
    [
      "Any with a type the descriptor lacks",
      listener,
      "api_listener.api_listener.@type",
      set("type.googleapis.com/acme.Nope"),
      /acme.Nope is not in the encoder's descriptor/,
    ],
    [
      "string where a message is expected",
      cluster,
      "connect_timeout",
      set("1s"),
      /object expected/,
    ],
    [
      "string where an integer is expected",
      assignment,
      "endpoints.0.lb_endpoints.0.endpoint.address.socket_address.port_value",
      set("8080"),
      /expected an integer/,
    ],
    [
      "integer out of range",
      assignment,
      "endpoints.0.lb_endpoints.0.endpoint.address.socket_address.port_value",
      set(2 ** 33),
      /does not fit uint32/,
    ],
    [
      "two members of a oneof",
      route,
      "virtual_hosts.0.routes.0.direct_response",
      set({ status: 200 }),
      /both set in oneof action/,
    ],
    [
      "scalar instead of array",
      route,
      "virtual_hosts.0.domains",
      set("svc"),
      /expected an array|array expected/,
    ],
    [
      "misspelled field in a repeated message",
      route,
      "virtual_hosts.0.routes.0.match",
      rename("matcher"),
      /virtual_hosts\[0\]\.routes\[0\]\.matcher: unknown field "matcher"/,
    ],
  ])("rejects %s", (_case, base, path, change, message) => {
    const result = encodeResource(edit(base, path, change));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.join("\n")).toMatch(message);
  });

  it("names the resource and the field path in errors", () => {
    const result = encodeResource(
      edit(
        route,
        "virtual_hosts.0.routes.0.route.weighted_clusters.clusters.1.name",
        rename("clusterz"),
      ),
    );
    expect(result).toEqual({
      ok: false,
      errors: [
        expect.stringMatching(
          /^RDS "route-80": virtual_hosts\[0\]\.routes\[0\]\.route\.weighted_clusters\.clusters\[1\]\.clusterz: unknown field/,
        ),
      ],
    });
  });

  it.each([
    ["no @type", { name: "x" }, /not a served xDS type/],
    [
      "a non-xDS @type",
      { "@type": "type.googleapis.com/google.protobuf.Struct" },
      /not a served xDS type/,
    ],
    ["an empty name", { "@type": TypeUrl.cluster, name: "" }, /name must be a non-empty string/],
    [
      "endpoints without cluster_name",
      { "@type": TypeUrl.endpoint },
      /cluster_name must be a non-empty string/,
    ],
  ])("rejects a resource with %s", (_case, resource, message) => {
    const result = encodeResource(resource as unknown as ResourceObject);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]).toMatch(message);
  });

  it("accepts explicit defaults, 64-bit integers as strings and bytes as base64", () => {
    const resource = {
      "@type": TypeUrl.cluster,
      name: "c",
      type: "STATIC",
      respect_dns_ttl: false,
      per_connection_buffer_limit_bytes: { value: 0 },
      circuit_breakers: { thresholds: [{ max_connections: { value: 10 } }] },
      dns_refresh_rate: { seconds: "30", nanos: 0 },
      metadata: { filter_metadata: { istio: { fields: { config: { string_value: "x" } } } } },
      transport_socket: {
        name: "tls",
        typed_config: {
          "@type":
            "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
          sni: "svc",
          common_tls_context: {
            validation_context: {
              trusted_ca: { inline_bytes: Buffer.from("pem").toString("base64") },
            },
          },
        },
      },
    } as ResourceObject;
    const result = encodeResource(resource);
    expect(result.ok ? [] : result.errors).toEqual([]);
  });
});
