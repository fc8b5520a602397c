import * as grpc from "@grpc/grpc-js";
import type { ControlPlaneLogger } from "./logger";

/**
 * Binding and stopping a gRPC server, with the control plane's two rules: a port that cannot be
 * bound is logged and left unserved (admission keeps running), and shutdown waits for calls in
 * flight only briefly before forcing.
 */

/** Binds `server` on `address`; the port, or undefined (logged, server shut) on failure. */
export async function bindServer(
  server: grpc.Server,
  address: string,
  credentials: grpc.ServerCredentials,
  what: string,
  logger: ControlPlaneLogger,
): Promise<number | undefined> {
  try {
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
    );
    logger.info({ address, port }, `${what} listening`);
    return port;
  } catch (err) {
    server.forceShutdown();
    logBindFailure(logger, what, address, err);
    return undefined;
  }
}

/** Logs a port that could not be bound; the rest of the process goes on without it. */
export function logBindFailure(
  logger: ControlPlaneLogger,
  what: string,
  address: string,
  err: unknown,
): void {
  logger.error(
    { address, err: errorText(err) },
    `${what}: could not listen on ${address}; admission keeps running without it`,
  );
}

/** Stops `server`: graceful for up to `graceMs`, then forced. */
export function shutdownServer(server: grpc.Server, graceMs = 500): Promise<void> {
  return new Promise<void>(resolve => {
    const force = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
