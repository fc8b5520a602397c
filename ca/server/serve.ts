import {
  Server,
  ServerCredentials,
  status,
  type sendUnaryData,
  type ServerUnaryCall,
} from "@grpc/grpc-js";
import { createCertificate, type CertificateServiceOptions } from "./create-certificate";
import {
  certificateServiceDefinition,
  type IstioCertificateRequest,
  type IstioCertificateResponse,
} from "./proto";

/**
 * The CSR service on grpc-js. `addCertificateService` puts it on an existing server (istiod serves
 * it on 15012 next to ADS); `startCertificateServer` runs it alone, for `rig dev` and tests.
 */

/**
 * Told of every answered call: `issued`, or the refusal's gRPC status in lower case
 * (`unauthenticated`, `invalid_argument`, `unavailable`, `internal`, …), and how long it took.
 */
export type CertificateCallObserver = (result: string, seconds: number) => void;

/** Registers `IstioCertificateService` on `server`. */
export function addCertificateService(
  server: Server,
  options: CertificateServiceOptions & { readonly observe?: CertificateCallObserver },
): void {
  const observe = options.observe ?? (() => {});
  server.addService(certificateServiceDefinition(), {
    CreateCertificate: (
      call: ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>,
      callback: sendUnaryData<IstioCertificateResponse>,
    ) => {
      const started = performance.now();
      const done = (result: string) => observe(result, (performance.now() - started) / 1000);
      const authorization = call.metadata.get("authorization").map(String);
      createCertificate(call.request, authorization, options).then(
        outcome => {
          done(outcome.ok ? "issued" : statusName(outcome.code));
          if (outcome.ok) callback(null, { cert_chain: outcome.certChain });
          else callback({ code: outcome.code, details: outcome.message });
        },
        // Not the exception's text: nothing from inside signing is echoed to a caller.
        () => {
          done(statusName(status.INTERNAL));
          callback({ code: status.INTERNAL, details: "internal error while signing" });
        },
      );
    },
  });
}

/** `status.INVALID_ARGUMENT` → `invalid_argument`: a label value operators recognise. */
function statusName(code: status): string {
  return (status[code] ?? String(code)).toLowerCase();
}

/** The server's own TLS identity (from `issueServingCertificate`). */
export interface ServingTls {
  /** Leaf then chain, PEM. */
  readonly certChainPem: string;
  /** The leaf's private key, PEM. */
  readonly privateKeyPem: string;
}

/** Where and how to listen. */
export interface CertificateServerOptions extends CertificateServiceOptions {
  /** Address to bind, e.g. `127.0.0.1`. */
  readonly host: string;
  /** Port; 0 picks a free one. */
  readonly port: number;
  /** TLS identity; the service is never served in plaintext (it hands out credentials). */
  readonly tls: ServingTls;
}

/** A running certificate server. */
export interface RunningCertificateServer {
  /** The bound port. */
  readonly port: number;
  /** Stops accepting calls and waits for those in flight. */
  close(): Promise<void>;
}

/** Starts a TLS gRPC server with only the certificate service. */
export async function startCertificateServer(
  options: CertificateServerOptions,
): Promise<RunningCertificateServer> {
  const server = new Server();
  addCertificateService(server, options);
  const credentials = ServerCredentials.createSsl(
    null,
    [
      {
        cert_chain: Buffer.from(options.tls.certChainPem),
        private_key: Buffer.from(options.tls.privateKeyPem),
      },
    ],
    false,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${options.host}:${options.port}`, credentials, (err, bound) =>
      err ? reject(err) : resolve(bound),
    ),
  );
  return {
    port,
    close: () => new Promise<void>(resolve => server.tryShutdown(() => resolve())),
  };
}
