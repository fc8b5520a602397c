/**
 * Generates `xds/generated/envoy-protos.json`: a protobufjs JSON descriptor holding exactly the
 * Envoy xDS message types Rigging encodes, decodes or serves, and everything they reach.
 *
 * Why a build-time step: the deployed Pepr module is one bundle and must not read `.proto` files
 * from `node_modules` at run time (issue 6, item 3). The `.proto` sources ship inside
 * `@grpc/grpc-js-xds` under `deps/`; this script loads them once, prunes every type that no root
 * type reaches, drops options that do not change the wire format (validation rules, annotations)
 * and services (the server defines its methods itself), and writes `root.toJSON()`.
 *
 * Run: `npx tsx scripts/gen-xds-protos.ts` (prints the output size). Commit the output. It also
 * regenerates `xds/generated/envoy-types.ts` (`scripts/gen-xds-types.ts`) from the new descriptor.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import protobuf from "protobufjs";
import { generateEnvoyTypes, OUTPUT as TYPES_OUTPUT } from "./gen-xds-types";
import { EXTRA_PROTOS } from "./xds-extra-protos";

const repo = resolve(__dirname, "..");
const deps = join(repo, "node_modules/@grpc/grpc-js-xds/deps");
// The declarations grpc-js-xds does not ship, written out so imports resolve to them.
const extraDir = mkdtempSync(join(tmpdir(), "rigging-protos-"));
for (const [path, text] of Object.entries(EXTRA_PROTOS)) {
  mkdirSync(dirname(join(extraDir, path)), { recursive: true });
  writeFileSync(join(extraDir, path), text);
}
const includeDirs = [
  extraDir,
  join(deps, "envoy-api"),
  join(deps, "xds"),
  join(deps, "googleapis"),
  join(deps, "protoc-gen-validate"),
  // google/protobuf/descriptor.proto and friends, needed by option-declaring imports.
  join(repo, "node_modules/protobufjs"),
];
const output = join(repo, "xds/generated/envoy-protos.json");

/** The `.proto` files that declare the root types below. */
const files = [
  "envoy/config/listener/v3/listener.proto",
  "envoy/config/cluster/v3/cluster.proto",
  "envoy/config/endpoint/v3/endpoint.proto",
  "envoy/config/route/v3/route.proto",
  "envoy/extensions/transport_sockets/tls/v3/secret.proto",
  "envoy/extensions/transport_sockets/tls/v3/tls.proto",
  "envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto",
  "envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy.proto",
  "envoy/extensions/filters/listener/tls_inspector/v3/tls_inspector.proto",
  "envoy/extensions/filters/http/router/v3/router.proto",
  "envoy/extensions/filters/http/rbac/v3/rbac.proto",
  "envoy/extensions/filters/network/rbac/v3/rbac.proto",
  "envoy/extensions/filters/http/jwt_authn/v3/config.proto",
  "envoy/extensions/filters/http/ext_authz/v3/ext_authz.proto",
  "envoy/extensions/filters/network/ext_authz/v3/ext_authz.proto",
  "envoy/extensions/path/match/uri_template/v3/uri_template_match.proto",
  "envoy/extensions/filters/http/fault/v3/fault.proto",
  "envoy/extensions/upstreams/http/v3/http_protocol_options.proto",
  "envoy/extensions/load_balancing_policies/round_robin/v3/round_robin.proto",
  "envoy/extensions/load_balancing_policies/ring_hash/v3/ring_hash.proto",
  "envoy/extensions/load_balancing_policies/wrr_locality/v3/wrr_locality.proto",
  "envoy/extensions/load_balancing_policies/pick_first/v3/pick_first.proto",
  "envoy/extensions/filters/http/cors/v3/cors.proto",
  "envoy/extensions/filters/listener/http_inspector/v3/http_inspector.proto",
  "envoy/extensions/filters/listener/original_dst/v3/original_dst.proto",
  "envoy/extensions/filters/network/sni_cluster/v3/sni_cluster.proto",
  "envoy/extensions/transport_sockets/raw_buffer/v3/raw_buffer.proto",
  "envoy/service/discovery/v3/discovery.proto",
  "envoy/service/status/v3/csds.proto",
  "envoy/extensions/access_loggers/file/v3/file.proto",
  "envoy/extensions/access_loggers/filters/cel/v3/cel.proto",
  "envoy/extensions/access_loggers/open_telemetry/v3/logs_service.proto",
  "envoy/config/trace/v3/zipkin.proto",
  "envoy/config/trace/v3/opentelemetry.proto",
  "envoy/config/trace/v3/datadog.proto",
  "istio/stats/plugin_config.proto",
  "envoy/extensions/retry/host/previous_hosts/v3/previous_hosts.proto",
  "envoy/extensions/retry/priority/previous_priorities/v3/previous_priorities_config.proto",
  "envoy/extensions/network/dns_resolver/cares/v3/cares_dns_resolver.proto",
];

/** Types kept with everything they reach; anything else is pruned. */
const rootTypes = [
  "envoy.config.listener.v3.Listener",
  "envoy.config.cluster.v3.Cluster",
  "envoy.config.endpoint.v3.ClusterLoadAssignment",
  "envoy.config.route.v3.RouteConfiguration",
  "envoy.extensions.transport_sockets.tls.v3.Secret",
  "envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
  "envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
  "envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
  "envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy",
  // Gateways: SNI filter chains need the TLS inspector listener filter.
  "envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector",
  "envoy.extensions.filters.http.router.v3.Router",
  "envoy.extensions.filters.http.rbac.v3.RBAC",
  "envoy.extensions.filters.http.rbac.v3.RBACPerRoute",
  // Authorization and request authentication (issue 8): Istio's RBAC on TCP filter chains,
  // CUSTOM action through ext_authz, RequestAuthentication through jwt_authn, and the
  // `uri_template` path matcher an RBAC permission carries inside an Any.
  "envoy.extensions.filters.network.rbac.v3.RBAC",
  "envoy.extensions.filters.http.ext_authz.v3.ExtAuthz",
  "envoy.extensions.filters.network.ext_authz.v3.ExtAuthz",
  "envoy.extensions.filters.http.jwt_authn.v3.JwtAuthentication",
  "envoy.extensions.filters.http.jwt_authn.v3.PerRouteConfig",
  "envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig",
  "envoy.extensions.filters.http.fault.v3.HTTPFault",
  "envoy.extensions.upstreams.http.v3.HttpProtocolOptions",
  "envoy.extensions.load_balancing_policies.round_robin.v3.RoundRobin",
  "envoy.extensions.load_balancing_policies.ring_hash.v3.RingHash",
  "envoy.extensions.load_balancing_policies.wrr_locality.v3.WrrLocality",
  "envoy.extensions.load_balancing_policies.pick_first.v3.PickFirst",
  // Route compilation for Envoy: CORS (filter + per-route policy), protocol sniffing and
  // original destination on sidecar listeners, AUTO_PASSTHROUGH gateways routing by SNI, and
  // the plaintext socket of auto-mTLS transport socket matches.
  "envoy.extensions.filters.http.cors.v3.Cors",
  "envoy.extensions.filters.http.cors.v3.CorsPolicy",
  "envoy.extensions.filters.listener.http_inspector.v3.HttpInspector",
  "envoy.extensions.filters.listener.original_dst.v3.OriginalDst",
  "envoy.extensions.filters.network.sni_cluster.v3.SniCluster",
  "envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer",
  "envoy.service.discovery.v3.DiscoveryRequest",
  "envoy.service.discovery.v3.DiscoveryResponse",
  "envoy.service.discovery.v3.DeltaDiscoveryRequest",
  "envoy.service.discovery.v3.DeltaDiscoveryResponse",
  "envoy.service.status.v3.ClientStatusRequest",
  "envoy.service.status.v3.ClientStatusResponse",
  // Telemetry (issue 14): file and OpenTelemetry access logs with their CEL filter, the
  // zipkin/opentelemetry/datadog tracers, and proxyv2's `istio.stats` filter config.
  "envoy.extensions.access_loggers.file.v3.FileAccessLog",
  "envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter",
  "envoy.extensions.access_loggers.open_telemetry.v3.OpenTelemetryAccessLogConfig",
  "envoy.config.trace.v3.ZipkinConfig",
  "envoy.config.trace.v3.OpenTelemetryConfig",
  "envoy.config.trace.v3.DatadogConfig",
  "stats.PluginConfig",
  // Istio's defaults (issue 15, held against istiod): the retry policy's previous-hosts
  // predicate and the c-ares resolver config of DNS clusters.
  "envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate",
  // A VirtualService's `retryRemoteLocalities`: the retry priority Istio writes for it.
  "envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig",
  "envoy.extensions.network.dns_resolver.cares.v3.CaresDnsResolverConfig",
  // Nested `Any` payloads that Envoy resources commonly carry.
  "google.protobuf.Struct",
  "google.protobuf.Duration",
  "google.protobuf.Timestamp",
  "google.protobuf.Empty",
];

/** Options that change the wire encoding; every other option is dropped. */
const wireOptions = new Set(["packed"]);

function load(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    for (const dir of includeDirs) {
      const candidate = join(dir, target);
      try {
        if (statSync(candidate).isFile()) return candidate;
      } catch {
        // try the next include directory
      }
    }
    return target;
  };
  root.loadSync(files, { keepCase: true });
  root.resolveAll();
  return root;
}

/** Every Type and Enum a root type reaches through fields, map values or nesting. */
function reachable(root: protobuf.Root): Set<protobuf.ReflectionObject> {
  const seen = new Set<protobuf.ReflectionObject>();
  const visit = (obj: protobuf.ReflectionObject | null): void => {
    if (!obj || seen.has(obj)) return;
    if (!(obj instanceof protobuf.Type) && !(obj instanceof protobuf.Enum)) return;
    seen.add(obj);
    // A nested type needs its parent type to exist under the same path.
    if (obj.parent instanceof protobuf.Type) visit(obj.parent);
    if (obj instanceof protobuf.Type) {
      for (const field of obj.fieldsArray) visit(field.resolve().resolvedType);
    }
  };
  for (const name of rootTypes) visit(root.lookupTypeOrEnum(name));
  return seen;
}

function stripOptions(obj: protobuf.ReflectionObject): void {
  if (obj.options) {
    const kept = Object.fromEntries(
      Object.entries(obj.options).filter(([key]) => wireOptions.has(key)),
    );
    obj.options = Object.keys(kept).length > 0 ? kept : undefined;
  }
  const withParsed = obj as unknown as { parsedOptions?: unknown };
  if (withParsed.parsedOptions) withParsed.parsedOptions = undefined;
}

function prune(ns: protobuf.NamespaceBase, keep: Set<protobuf.ReflectionObject>): void {
  for (const child of [...ns.nestedArray]) {
    if (child instanceof protobuf.Type || child instanceof protobuf.Enum) {
      if (!keep.has(child)) {
        ns.remove(child);
        continue;
      }
      stripOptions(child);
      if (child instanceof protobuf.Type) {
        for (const field of child.fieldsArray) stripOptions(field);
        for (const oneof of child.oneofsArray) stripOptions(oneof);
        prune(child, keep);
      }
    } else if (child instanceof protobuf.Namespace && !(child instanceof protobuf.Service)) {
      prune(child, keep);
      if (child.nestedArray.length === 0) ns.remove(child);
      else stripOptions(child);
    } else {
      // Services and top-level extension fields (option declarations) are not needed.
      ns.remove(child);
    }
  }
}

/**
 * protobufjs substitutes its own camelCase definition of `google.protobuf.Value` for struct.proto
 * (its other bundled well-known types are snake_case already). Resources are written with the
 * proto field names, so Value gets them back; names do not affect the wire format.
 */
function snakeCaseValue(root: protobuf.Root): void {
  const value = root.lookupType("google.protobuf.Value");
  const snake = (name: string) => name.replace(/[A-Z]/g, c => `_${c.toLowerCase()}`);
  const members = new Map(value.oneofsArray.map(o => [o, [...o.oneof]] as const));
  for (const oneof of members.keys()) {
    for (const field of [...oneof.fieldsArray]) oneof.remove(field);
  }
  for (const field of [...value.fieldsArray]) {
    value.remove(field);
    const renamed = new protobuf.Field(
      snake(field.name),
      field.id,
      field.type,
      field.repeated ? "repeated" : undefined,
      undefined,
      field.options,
    );
    value.add(renamed);
    for (const [oneof, names] of members) if (names.includes(field.name)) oneof.add(renamed);
  }
}

async function main(): Promise<void> {
  const root = load();
  rmSync(extraDir, { recursive: true, force: true });
  snakeCaseValue(root);
  const keep = reachable(root);
  prune(root, keep);
  const json = JSON.stringify(root.toJSON({ keepComments: false }));
  // Check the pruned descriptor stands on its own before writing it.
  const check = protobuf.Root.fromJSON(JSON.parse(json));
  check.resolveAll();
  for (const name of rootTypes) check.lookupTypeOrEnum(name);
  // Generated, so written minified (the folder is in .prettierignore): it is bundled into the module.
  const text = `${json}\n`;
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, text);
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`${output}: ${keep.size} types, ${kib(text.length)} (${kib(json.length)} minified)`);
  // The compiler's TypeScript types follow the descriptor (scripts/gen-xds-types.ts).
  const types = generateEnvoyTypes(JSON.parse(json) as protobuf.INamespace);
  writeFileSync(join(repo, TYPES_OUTPUT), types);
  console.log(`${TYPES_OUTPUT}: ${kib(types.length)}`);
}

void main();
