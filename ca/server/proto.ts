import type { GrpcObject, ServiceClientConstructor, ServiceDefinition } from "@grpc/grpc-js";
import { loadPackageDefinition } from "@grpc/grpc-js";
import { fromJSON, type Options } from "@grpc/proto-loader";
import protobuf from "protobufjs";

/**
 * Istio's certificate-signing API, `istio.v1.auth.IstioCertificateService` — the message shapes of
 * istio/api `security/v1alpha1/ca.proto` (field numbers are the wire contract with Istio's agent:
 * csr = 1, validity_duration = 3, metadata = 4; cert_chain = 1).
 *
 * Why proto text in a string, parsed by protobufjs and handed to proto-loader's `fromJSON`,
 * rather than `loadSync` of a `.proto` file: `pepr build` bundles the module into one file with
 * esbuild, and a `.proto` beside the source would not ship unless listed in package.json's
 * `includedFiles`. A string ships with the code, still reads as proto, and proto-loader still
 * builds the ordinary grpc-js definition (including `google.protobuf.Struct`, taken from the
 * copy protobufjs bundles). Istio's newer optional `root_cert` response field is left out: Istio's
 * own server never fills it and its agent reads the root from the end of `cert_chain`.
 */
const CA_PROTO = `
syntax = "proto3";
package istio.v1.auth;
import "google/protobuf/struct.proto";

message IstioCertificateRequest {
  string csr = 1;                      // PEM PKCS#10; only its public key is used
  int64 validity_duration = 3;         // requested lifetime, seconds; <= 0 means the default
  google.protobuf.Struct metadata = 4; // opaque node metadata (ImpersonatedIdentity, CertSigner, …)
}

message IstioCertificateResponse {
  repeated string cert_chain = 1;      // leaf first, root last, one PEM certificate each
}

service IstioCertificateService {
  rpc CreateCertificate(IstioCertificateRequest) returns (IstioCertificateResponse);
}
`;

/** The fully-qualified service name. */
export const CA_SERVICE_NAME = "istio.v1.auth.IstioCertificateService";

/**
 * How messages reach handlers: snake_case field names as on the wire, int64 as decimal strings
 * (no precision loss; the handler parses), absent fields as their defaults.
 */
const LOADER_OPTIONS: Options = { keepCase: true, longs: String, defaults: true, oneofs: true };

/** The request as the handler receives it. */
export interface IstioCertificateRequest {
  /** PEM certificate signing request. */
  readonly csr: string;
  /** Requested lifetime in seconds, as a decimal string (int64). */
  readonly validity_duration: string;
  /** `google.protobuf.Struct` in protobufjs object form, or null when absent. */
  readonly metadata: { readonly fields?: Readonly<Record<string, ProtoValue>> } | null;
}

/** A `google.protobuf.Value` in protobufjs object form (only the string case is read). */
export interface ProtoValue {
  /** Which member of the `kind` oneof is set. */
  readonly kind?: string;
  /** The string member. */
  readonly stringValue?: string;
}

/** The response the handler returns. */
export interface IstioCertificateResponse {
  /** Leaf, intermediates, root. */
  readonly cert_chain: string[];
}

let cached: GrpcObject | undefined;

function grpcObject(): GrpcObject {
  if (!cached) {
    const root = new protobuf.Root();
    protobuf.parse(CA_PROTO, root, { keepCase: true });
    const struct = protobuf.common.get("google/protobuf/struct.proto");
    if (!struct?.nested) throw new Error("protobufjs lacks google/protobuf/struct.proto");
    root.addJSON(struct.nested);
    root.resolveAll();
    cached = loadPackageDefinition(fromJSON(root.toJSON(), LOADER_OPTIONS));
  }
  return cached;
}

/** The client constructor (for tests and for `rig agent certs`). */
export function certificateServiceClient(): ServiceClientConstructor {
  const auth = ((grpcObject().istio as GrpcObject).v1 as GrpcObject).auth as GrpcObject;
  return auth.IstioCertificateService as ServiceClientConstructor;
}

/** The service definition to register on a grpc-js `Server`. */
export function certificateServiceDefinition(): ServiceDefinition {
  return certificateServiceClient().service;
}
