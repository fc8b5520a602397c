/**
 * Encodes one xDS resource into `google.protobuf.Any` bytes against Envoy's real protos, and
 * proves the bytes say what was written by decoding them again (see `compare-decoded.ts`).
 */
import { createHash } from "node:crypto";
import protobuf from "protobufjs";
import { compareMessage, type EncodeIssue } from "./compare-decoded";
import { findMessageType } from "./proto-root";
import { isXdsTypeUrl, TYPE_SHORT_NAME, TypeUrl, type XdsTypeUrl } from "./type-urls";

/** A resource in protobufjs object form (snake_case field names) with its `@type` URL. */
export type ResourceObject = { readonly "@type": string } & Readonly<Record<string, unknown>>;

/** A resource that passed the encoding check: immutable bytes plus the facts the cache needs. */
export interface EncodedResource {
  /** One of the five served xDS type URLs. */
  readonly typeUrl: XdsTypeUrl;
  /** The resource name (`name`, or `cluster_name` for a ClusterLoadAssignment). */
  readonly name: string;
  /**
   * Hash of the encoded bytes: equal bytes give equal versions on every control-plane replica
   * and across restarts, so a reconnecting proxy is not sent what it already has.
   */
  readonly version: string;
  /** The serialized message (the `value` of its `Any`). */
  readonly value: Uint8Array;
  /** The resource as written, kept for reference extraction and `rig proxy-config`. */
  readonly object: ResourceObject;
}

/** Outcome of encoding: the resource, or every issue found (never a partial resource). */
export type EncodeResult =
  | { readonly ok: true; readonly value: EncodedResource }
  | { readonly ok: false; readonly errors: readonly string[] };

/** The field holding a resource's name, by type. */
const NAME_FIELD: Readonly<Record<XdsTypeUrl, string>> = {
  [TypeUrl.cluster]: "name",
  [TypeUrl.endpoint]: "cluster_name",
  [TypeUrl.listener]: "name",
  [TypeUrl.route]: "name",
  [TypeUrl.secret]: "name",
};

/** Length of the hex content hash used as a resource version (64 bits). */
const VERSION_HEX_LENGTH = 16;

/** The content-hash version of encoded bytes of `typeUrl`. */
export function versionOf(typeUrl: string, value: Uint8Array): string {
  return createHash("sha256")
    .update(typeUrl)
    .update("\0")
    .update(value)
    .digest("hex")
    .slice(0, VERSION_HEX_LENGTH);
}

/**
 * Encodes `object` (which must carry one of the five xDS `@type` URLs and a non-empty name),
 * decodes the bytes again and compares field for field. Errors name the resource, the field
 * path and the problem, e.g. `LDS "0.0.0.0_9080": filter_chains[0].filters[0]: unknown field
 * "typedConfig" (did you mean "typed_config"?)`.
 */
export function encodeResource(object: ResourceObject): EncodeResult {
  const typeUrl = object["@type"];
  if (typeof typeUrl !== "string" || !isXdsTypeUrl(typeUrl)) {
    return { ok: false, errors: [`resource @type ${String(typeUrl)} is not a served xDS type`] };
  }
  const nameField = NAME_FIELD[typeUrl];
  const name = object[nameField];
  const label = `${TYPE_SHORT_NAME[typeUrl]} ${JSON.stringify(name ?? "")}`;
  if (typeof name !== "string" || name === "") {
    return { ok: false, errors: [`${label}: ${nameField} must be a non-empty string`] };
  }
  const type = findMessageType(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
  if (!type) return { ok: false, errors: [`${label}: descriptor lacks ${typeUrl}`] };
  const body: Record<string, unknown> = { ...object };
  delete body["@type"];
  let value: Uint8Array;
  let decoded: protobuf.Message;
  try {
    value = type.encode(type.fromObject(body)).finish();
    decoded = type.decode(value);
  } catch (err) {
    return { ok: false, errors: [`${label}: ${(err as Error).message}`] };
  }
  const issues: EncodeIssue[] = [];
  compareMessage(type, body, decoded, "", issues);
  if (issues.length > 0) {
    return { ok: false, errors: issues.map(i => `${label}: ${i.path || "(root)"}: ${i.message}`) };
  }
  return {
    ok: true,
    value: Object.freeze({ typeUrl, name, version: versionOf(typeUrl, value), value, object }),
  };
}

/**
 * Decodes resource bytes of `typeUrl` into JSON form (`@type` on every Any, enums and 64-bit
 * integers as strings), as `rig proxy-config -o json` and CSDS dumps show them.
 */
export function decodeResourceToJson(typeUrl: string, value: Uint8Array): Record<string, unknown> {
  const type = findMessageType(typeUrl.slice(typeUrl.lastIndexOf("/") + 1));
  if (!type) throw new Error(`descriptor lacks ${typeUrl}`);
  const object = type.toObject(type.decode(value), { json: true, enums: String, longs: String });
  return { "@type": typeUrl, ...object };
}
