/**
 * Names one xDS resource needs from another: the RDS route config a listener's
 * HttpConnectionManager loads, the EDS assignment an EDS cluster loads, the SDS secrets a TLS
 * context loads. Only references served over ADS count; a secret fetched from a local SDS
 * server (the istio-agent's `sds-grpc`) or a certificate provider is not ours to check.
 */
import type { ResourceObject } from "../encode/encode-resource";
import { TypeUrl, type XdsTypeUrl } from "../encode/type-urls";

/** A name one resource needs of another type. */
export interface ResourceReference {
  /** The type the referenced resource has. */
  readonly typeUrl: XdsTypeUrl;
  /** The referenced resource's name. */
  readonly name: string;
  /** Where in the referencing resource the name sits, for error messages. */
  readonly path: string;
}

type Plain = Record<string, unknown>;

const HCM =
  "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager";
const TLS_CONTEXTS = new Set([
  "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
  "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext",
]);

function obj(value: unknown): Plain | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Plain)
    : undefined;
}

function list(value: unknown): Plain[] {
  return Array.isArray(value) ? value.map(obj).filter((v): v is Plain => v !== undefined) : [];
}

/** A ConfigSource that points back at this ADS stream (`ads: {}` or `self: {}`). */
function isAds(source: unknown): boolean {
  const s = obj(source);
  return s !== undefined && (obj(s.ads) !== undefined || obj(s.self) !== undefined);
}

function hcmRefs(config: Plain, path: string, out: ResourceReference[]): void {
  const rds = obj(config.rds);
  if (rds && typeof rds.route_config_name === "string" && isAds(rds.config_source)) {
    out.push({
      typeUrl: TypeUrl.route,
      name: rds.route_config_name,
      path: `${path}.rds.route_config_name`,
    });
  }
}

function sdsRef(config: unknown, path: string, out: ResourceReference[]): void {
  const c = obj(config);
  if (c && typeof c.name === "string" && isAds(c.sds_config)) {
    out.push({ typeUrl: TypeUrl.secret, name: c.name, path: `${path}.name` });
  }
}

function tlsRefs(config: Plain, path: string, out: ResourceReference[]): void {
  const common = obj(config.common_tls_context);
  if (!common) return;
  const base = `${path}.common_tls_context`;
  list(common.tls_certificate_sds_secret_configs).forEach((c, i) =>
    sdsRef(c, `${base}.tls_certificate_sds_secret_configs[${i}]`, out),
  );
  sdsRef(
    common.validation_context_sds_secret_config,
    `${base}.validation_context_sds_secret_config`,
    out,
  );
  const combined = obj(common.combined_validation_context);
  if (combined) {
    sdsRef(
      combined.validation_context_sds_secret_config,
      `${base}.combined_validation_context.validation_context_sds_secret_config`,
      out,
    );
  }
}

function transportSocketRefs(socket: unknown, path: string, out: ResourceReference[]): void {
  const config = obj(obj(socket)?.typed_config);
  if (config && TLS_CONTEXTS.has(String(config["@type"])))
    tlsRefs(config, `${path}.typed_config`, out);
}

function filterChainRefs(chain: Plain, path: string, out: ResourceReference[]): void {
  list(chain.filters).forEach((filter, i) => {
    const config = obj(filter.typed_config);
    if (config?.["@type"] === HCM) hcmRefs(config, `${path}.filters[${i}].typed_config`, out);
  });
  transportSocketRefs(chain.transport_socket, `${path}.transport_socket`, out);
}

/** RDS and SDS names a Listener loads over ADS. */
export function listenerReferences(listener: ResourceObject): ResourceReference[] {
  const out: ResourceReference[] = [];
  list(listener.filter_chains).forEach((chain, i) =>
    filterChainRefs(chain, `filter_chains[${i}]`, out),
  );
  const fallback = obj(listener.default_filter_chain);
  if (fallback) filterChainRefs(fallback, "default_filter_chain", out);
  const api = obj(obj(listener.api_listener)?.api_listener);
  if (api?.["@type"] === HCM) hcmRefs(api, "api_listener.api_listener", out);
  return out;
}

/** EDS and SDS names a Cluster loads over ADS. */
export function clusterReferences(cluster: ResourceObject): ResourceReference[] {
  const out: ResourceReference[] = [];
  const eds = obj(cluster.eds_cluster_config);
  if ((cluster.type === "EDS" || cluster.type === 3) && eds && isAds(eds.eds_config)) {
    const serviceName =
      typeof eds.service_name === "string" && eds.service_name !== ""
        ? eds.service_name
        : undefined;
    out.push({
      typeUrl: TypeUrl.endpoint,
      name: serviceName ?? String(cluster.name),
      path: serviceName ? "eds_cluster_config.service_name" : "name",
    });
  }
  transportSocketRefs(cluster.transport_socket, "transport_socket", out);
  list(cluster.transport_socket_matches).forEach((m, i) =>
    transportSocketRefs(m.transport_socket, `transport_socket_matches[${i}].transport_socket`, out),
  );
  return out;
}

/** References held by any resource (only Listeners and Clusters hold checked references). */
export function resourceReferences(
  typeUrl: XdsTypeUrl,
  resource: ResourceObject,
): ResourceReference[] {
  if (typeUrl === TypeUrl.listener) return listenerReferences(resource);
  if (typeUrl === TypeUrl.cluster) return clusterReferences(resource);
  return [];
}
