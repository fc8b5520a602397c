/**
 * A gRPC SDS client as Envoy is one: a state-of-the-world `StreamSecrets` stream on a Unix socket,
 * asking for secrets by name and ACKing each response. Used against pilot-agent's SDS socket.
 */
import * as grpc from "@grpc/grpc-js";
import { messageType } from "../../xds/encode/proto-root";
import { TypeUrl } from "../../xds/encode/type-urls";

const raw = (b: Buffer): Buffer => b;

/** A secret as Envoy would read it. */
export interface FetchedSecret {
  readonly name: string;
  /** PEM of `tls_certificate.certificate_chain` (the `default` identity). */
  readonly certificateChain?: string;
  /** PEM of `tls_certificate.private_key`. */
  readonly privateKey?: string;
  /** PEM of `validation_context.trusted_ca` (`ROOTCA`). */
  readonly trustedCa?: string;
}

interface DecodedSecret {
  name?: string;
  tls_certificate?: {
    certificate_chain?: { inline_bytes?: Uint8Array };
    private_key?: { inline_bytes?: Uint8Array };
  };
  validation_context?: { trusted_ca?: { inline_bytes?: Uint8Array } };
}

const text = (b?: Uint8Array) => (b && b.length > 0 ? Buffer.from(b).toString("utf8") : undefined);

/**
 * Opens one SDS stream on `unix:<socketPath>` for `names` as node `nodeId`, and resolves with the
 * secrets of the first response that carries all of them (after ACKing it), or rejects with the
 * stream's error or after `timeoutMs`.
 */
export function fetchSecrets(
  socketPath: string,
  nodeId: string,
  names: readonly string[],
  timeoutMs = 10_000,
): Promise<FetchedSecret[]> {
  const request = messageType("envoy.service.discovery.v3.DiscoveryRequest");
  const response = messageType("envoy.service.discovery.v3.DiscoveryResponse");
  const secretType = messageType("envoy.extensions.transport_sockets.tls.v3.Secret");
  const client = new grpc.Client(`unix:${socketPath}`, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    "/envoy.service.secret.v3.SecretDiscoveryService/StreamSecrets",
    raw,
    raw,
  );
  const send = (body: Record<string, unknown>) =>
    call.write(Buffer.from(request.encode({ type_url: TypeUrl.secret, ...body }).finish()));
  const held = new Map<string, FetchedSecret>();
  return new Promise<FetchedSecret[]>((resolve, reject) => {
    const finish = (err?: Error) => {
      clearTimeout(timer);
      call.removeAllListeners();
      call.on("error", () => {});
      call.cancel();
      client.close();
      if (err) reject(err);
      else resolve(names.map(n => held.get(n)!));
    };
    const timer = setTimeout(
      () => finish(new Error(`SDS on ${socketPath}: no response with ${names.join(", ")} in time`)),
      timeoutMs,
    );
    call.on("data", (bytes: Buffer) => {
      const m = response.decode(bytes) as unknown as {
        version_info: string;
        nonce: string;
        resources: { value: Uint8Array }[];
      };
      for (const r of m.resources) {
        const s = secretType.decode(r.value) as unknown as DecodedSecret;
        held.set(s.name ?? "", {
          name: s.name ?? "",
          certificateChain: text(s.tls_certificate?.certificate_chain?.inline_bytes),
          privateKey: text(s.tls_certificate?.private_key?.inline_bytes),
          trustedCa: text(s.validation_context?.trusted_ca?.inline_bytes),
        });
      }
      send({ version_info: m.version_info, response_nonce: m.nonce, resource_names: names });
      if (names.every(n => held.has(n))) finish();
    });
    call.on("error", (err: grpc.ServiceError) =>
      finish(new Error(`SDS on ${socketPath}: ${grpc.status[err.code]} ${err.details}`)),
    );
    send({ node: { id: nodeId }, resource_names: names });
  });
}
