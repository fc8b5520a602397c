/**
 * gRPC method tables for the discovery services, built without `.proto` loading at run time:
 * requests are decoded by `messages.ts`, responses are pre-encoded buffers.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol#rpc-services-and-variants
 */
import type { MethodDefinition } from "@grpc/grpc-js";
import { TypeUrl, type XdsTypeUrl } from "../encode/type-urls";
import {
  decodeDeltaRequest,
  decodeSotwRequest,
  type DeltaRequest,
  type SotwRequest,
} from "./messages";

const passThrough = (buffer: Buffer): Buffer => buffer;

function method<Req>(
  service: string,
  name: string,
  decode: (bytes: Buffer) => Req,
  stream: boolean,
): MethodDefinition<Req, Buffer> {
  return {
    path: `/${service}/${name}`,
    requestStream: stream,
    responseStream: stream,
    requestSerialize: () => {
      throw new Error("server-side definition: requests are never serialized");
    },
    requestDeserialize: decode,
    responseSerialize: passThrough,
    responseDeserialize: passThrough,
    originalName: name,
  };
}

/** The ADS service: `StreamAggregatedResources` (SotW) and `DeltaAggregatedResources`. */
export const ADS_SERVICE = {
  StreamAggregatedResources: method<SotwRequest>(
    "envoy.service.discovery.v3.AggregatedDiscoveryService",
    "StreamAggregatedResources",
    decodeSotwRequest,
    true,
  ),
  DeltaAggregatedResources: method<DeltaRequest>(
    "envoy.service.discovery.v3.AggregatedDiscoveryService",
    "DeltaAggregatedResources",
    decodeDeltaRequest,
    true,
  ),
};

/** A per-type discovery service (e.g. `envoy.service.cluster.v3.ClusterDiscoveryService`). */
export interface PerTypeService {
  readonly typeUrl: XdsTypeUrl;
  readonly definition: {
    readonly stream: MethodDefinition<SotwRequest, Buffer>;
    readonly delta: MethodDefinition<DeltaRequest, Buffer>;
    readonly fetch: MethodDefinition<SotwRequest, Buffer>;
  };
  /** Method names in the service (`StreamClusters`, `DeltaClusters`, `FetchClusters`). */
  readonly names: { readonly stream: string; readonly delta: string; readonly fetch: string };
}

function perType(service: string, noun: string, typeUrl: XdsTypeUrl): PerTypeService {
  const names = { stream: `Stream${noun}`, delta: `Delta${noun}`, fetch: `Fetch${noun}` };
  return {
    typeUrl,
    names,
    definition: {
      stream: method(service, names.stream, decodeSotwRequest, true),
      delta: method(service, names.delta, decodeDeltaRequest, true),
      fetch: method(service, names.fetch, decodeSotwRequest, false),
    },
  };
}

/** The five per-type services, each with Stream, Delta and Fetch methods. */
export const PER_TYPE_SERVICES: readonly PerTypeService[] = [
  perType("envoy.service.cluster.v3.ClusterDiscoveryService", "Clusters", TypeUrl.cluster),
  perType("envoy.service.endpoint.v3.EndpointDiscoveryService", "Endpoints", TypeUrl.endpoint),
  perType("envoy.service.listener.v3.ListenerDiscoveryService", "Listeners", TypeUrl.listener),
  perType("envoy.service.route.v3.RouteDiscoveryService", "Routes", TypeUrl.route),
  perType("envoy.service.secret.v3.SecretDiscoveryService", "Secrets", TypeUrl.secret),
];

/** CSDS: `StreamClientStatus` and `FetchClientStatus`; requests stay raw for `csds.ts`. */
export const CSDS_SERVICE = {
  StreamClientStatus: method<Buffer>(
    "envoy.service.status.v3.ClientStatusDiscoveryService",
    "StreamClientStatus",
    passThrough,
    true,
  ),
  FetchClientStatus: method<Buffer>(
    "envoy.service.status.v3.ClientStatusDiscoveryService",
    "FetchClientStatus",
    passThrough,
    false,
  ),
};
