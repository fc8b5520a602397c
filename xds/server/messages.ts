/**
 * Wire messages of the discovery services, (de)serialized with the build-time Envoy
 * descriptor. Requests are decoded into small plain records so the rest of the server never
 * touches protobufjs objects; responses are encoded straight from already-encoded resources.
 */
import protobuf from "protobufjs";
import type { EncodedResource } from "../encode/encode-resource";
import { messageType } from "../encode/proto-root";
import type { ErrorDetail } from "./classify-request";

const CONTROL_PLANE = { identifier: "rigging" };

const types = {
  get request() {
    return messageType("envoy.service.discovery.v3.DiscoveryRequest");
  },
  get response() {
    return messageType("envoy.service.discovery.v3.DiscoveryResponse");
  },
  get deltaRequest() {
    return messageType("envoy.service.discovery.v3.DeltaDiscoveryRequest");
  },
  get deltaResponse() {
    return messageType("envoy.service.discovery.v3.DeltaDiscoveryResponse");
  },
};

/** The parts of `envoy.config.core.v3.Node` the server uses. */
export interface NodeInfo {
  /** `node.id`. */
  readonly id: string;
  /** `node.cluster`. */
  readonly cluster: string;
  /** `node.metadata` as JSON. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** `user_agent_name` plus version. */
  readonly userAgent: string;
  /** `node.locality`, when the proxy sent one (locality load balancing reads it). */
  readonly locality?: {
    readonly region?: string;
    readonly zone?: string;
    readonly sub_zone?: string;
  };
}

/** A decoded state-of-the-world DiscoveryRequest. */
export interface SotwRequest {
  readonly variant: "sotw";
  readonly node?: NodeInfo;
  readonly typeUrl: string;
  readonly versionInfo: string;
  readonly names: readonly string[];
  readonly nonce: string;
  readonly errorDetail?: ErrorDetail;
}

/** A decoded DeltaDiscoveryRequest. */
export interface DeltaRequest {
  readonly variant: "delta";
  readonly node?: NodeInfo;
  readonly typeUrl: string;
  readonly subscribe: readonly string[];
  readonly unsubscribe: readonly string[];
  readonly initialVersions: Readonly<Record<string, string>>;
  readonly nonce: string;
  readonly errorDetail?: ErrorDetail;
}

/** Either request variant. */
export type DiscoveryRequest = SotwRequest | DeltaRequest;

/** What one response carries, before encoding for its variant. */
export interface ResponsePlan {
  readonly typeUrl: string;
  /** `version_info` / `system_version_info`. */
  readonly version: string;
  readonly nonce: string;
  readonly resources: readonly EncodedResource[];
  /** Delta only: names the client must drop. */
  readonly removed: readonly string[];
}

type Plain = Record<string, unknown>;

/** Converts a decoded `google.protobuf.Value` into JSON. */
function valueToJson(value: Plain | null | undefined): unknown {
  if (!value) return null;
  if (value.struct_value) return structToJson(value.struct_value as Plain);
  if (value.list_value)
    return (((value.list_value as Plain).values as Plain[] | undefined) ?? []).map(valueToJson);
  if (value.string_value !== undefined && value.string_value !== "") return value.string_value;
  if (value.number_value !== undefined && value.number_value !== 0) return value.number_value;
  if (value.bool_value !== undefined && value.bool_value !== false) return value.bool_value;
  if (value.kind === "string_value") return "";
  if (value.kind === "number_value") return 0;
  if (value.kind === "bool_value") return false;
  return null;
}

/** Converts a decoded `google.protobuf.Struct` into a JSON object. */
export function structToJson(struct: Plain | null | undefined): Record<string, unknown> {
  const fields = (struct?.fields ?? {}) as Record<string, Plain>;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, valueToJson(v)]));
}

function nodeInfo(node: Plain | null | undefined): NodeInfo | undefined {
  if (!node) return undefined;
  const version = typeof node.user_agent_version === "string" ? node.user_agent_version : "";
  return {
    id: String(node.id ?? ""),
    cluster: String(node.cluster ?? ""),
    metadata: structToJson(node.metadata as Plain | undefined),
    userAgent: [node.user_agent_name, version].filter(Boolean).join(" "),
    locality: nodeLocality(node.locality as Plain | null | undefined),
  };
}

function nodeLocality(locality: Plain | null | undefined): NodeInfo["locality"] {
  if (!locality) return undefined;
  const field = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const out = {
    region: field(locality.region),
    zone: field(locality.zone),
    sub_zone: field(locality.sub_zone),
  };
  return out.region || out.zone || out.sub_zone ? out : undefined;
}

function errorDetail(status: Plain | null | undefined): ErrorDetail | undefined {
  if (!status) return undefined;
  return { code: Number(status.code ?? 0), message: String(status.message ?? "") };
}

const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, oneofs: true };

/** Decodes a DiscoveryRequest; throws on bytes that are not one (grpc-js then fails the call). */
export function decodeSotwRequest(bytes: Uint8Array): SotwRequest {
  const m = types.request.toObject(types.request.decode(bytes), TO_OBJECT);
  return {
    variant: "sotw",
    node: nodeInfo(m.node),
    typeUrl: String(m.type_url ?? ""),
    versionInfo: String(m.version_info ?? ""),
    names: (m.resource_names as string[] | undefined) ?? [],
    nonce: String(m.response_nonce ?? ""),
    errorDetail: errorDetail(m.error_detail),
  };
}

/** Decodes a DeltaDiscoveryRequest; throws on bytes that are not one. */
export function decodeDeltaRequest(bytes: Uint8Array): DeltaRequest {
  const m = types.deltaRequest.toObject(types.deltaRequest.decode(bytes), TO_OBJECT);
  return {
    variant: "delta",
    node: nodeInfo(m.node),
    typeUrl: String(m.type_url ?? ""),
    subscribe: (m.resource_names_subscribe as string[] | undefined) ?? [],
    unsubscribe: (m.resource_names_unsubscribe as string[] | undefined) ?? [],
    initialVersions: (m.initial_resource_versions as Record<string, string> | undefined) ?? {},
    nonce: String(m.response_nonce ?? ""),
    errorDetail: errorDetail(m.error_detail),
  };
}

/** Encodes a state-of-the-world DiscoveryResponse. */
export function encodeSotwResponse(plan: ResponsePlan): Buffer {
  const message = {
    version_info: plan.version,
    type_url: plan.typeUrl,
    nonce: plan.nonce,
    resources: plan.resources.map(r => ({ type_url: r.typeUrl, value: r.value })),
    control_plane: CONTROL_PLANE,
  };
  return Buffer.from(types.response.encode(message).finish());
}

/** Encodes a DeltaDiscoveryResponse. */
export function encodeDeltaResponse(plan: ResponsePlan): Buffer {
  const message = {
    system_version_info: plan.version,
    type_url: plan.typeUrl,
    nonce: plan.nonce,
    resources: plan.resources.map(r => ({
      name: r.name,
      version: r.version,
      resource: { type_url: r.typeUrl, value: r.value },
    })),
    removed_resources: [...plan.removed],
    control_plane: CONTROL_PLANE,
  };
  return Buffer.from(types.deltaResponse.encode(message).finish());
}
