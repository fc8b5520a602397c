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

/** Registers `IstioCertificateService` on `server`. */
export function addCertificateService(server: Server, options: CertificateServiceOptions): void {
  server.addService(certificateServiceDefinition(), {
    CreateCertificate: (
      call: ServerUnaryCall<IstioCertificateRequest, IstioCertificateResponse>,
      callback: sendUnaryData<IstioCertificateResponse>,
    ) => {
      const authorization = call.metadata.get("authorization").map(String);
      createCertificate(call.request, authorization, options).then(
        outcome =>
          outcome.ok
            ? callback(null, { cert_chain: outcome.certChain })
            : callback({ code: outcome.code, details: outcome.message }),
        // Not the exception's text: nothing from inside signing is echoed to a caller.
        () => callback({ code: status.INTERNAL, details: "internal error while signing" }),
      );
    },
  });
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
