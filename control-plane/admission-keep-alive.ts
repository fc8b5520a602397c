/**
 * Keeps the admission server's idle connections open longer than the API server keeps them.
 *
 * The API server calls webhooks with Go's HTTP client, which reuses an idle connection for up to
 * 90 s (http.Transport IdleConnTimeout). Node's HTTP server closes an idle connection after 5 s.
 * A webhook call sent on a connection Node is closing at that moment reads a reset, and Go does
 * not retry a POST: the user's `kubectl apply` fails with "failed calling webhook ... connection
 * reset by peer" (seen in this repository's CI). Istio's webhook server keeps idle connections
 * for 90 s for the same reason. Pepr creates its admission server inside its controller and
 * takes no server options, so the process's HTTPS servers get the longer timeouts as they are
 * created.
 */
import type { Server } from "node:https";

/** Longer than Go's 90 s, so that the client, not the server, closes an idle connection. */
export const IDLE_CONNECTION_MS = 95_000;

/**
 * A server's timeouts for reused connections: idle ones kept {@link IDLE_CONNECTION_MS}, and the
 * headers timeout above it, as Node requires for the keep-alive timeout to take effect.
 */
export function keepIdleConnections<S extends Pick<Server, "keepAliveTimeout" | "headersTimeout">>(
  server: S,
): S {
  server.keepAliveTimeout = IDLE_CONNECTION_MS;
  server.headersTimeout = Math.max(server.headersTimeout, IDLE_CONNECTION_MS + 1_000);
  return server;
}

const patched = Symbol.for("rigging.keepIdleConnections");

/**
 * Makes every server `https.createServer` creates from now on keep idle connections (Pepr's
 * admission server among them). Idempotent.
 */
export function keepAdmissionConnectionsOpen(https: {
  createServer: (...args: never[]) => Server;
}): void {
  const create = https.createServer as typeof https.createServer & { [patched]?: true };
  if (create[patched]) return;
  const wrapped = ((...args: never[]) => keepIdleConnections(create(...args))) as typeof create;
  wrapped[patched] = true;
  https.createServer = wrapped;
}
