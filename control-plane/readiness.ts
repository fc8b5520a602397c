import { createServer, type Server } from "node:http";
import { request } from "node:https";
import type { ControlPlaneLogger } from "./logger";
import { READINESS_PATH } from "./service-objects";

/**
 * The watcher's readiness: istiod answers `/ready` on 8080 once its discovery server can serve;
 * the watcher's probe asks the same of Rigging, and also of Pepr (its `/healthz` on 3000, which
 * Pepr's own probe uses and which cannot be extended), so a pod joins the `rigging` Service's
 * endpoints only when both the watches and xDS + CA are up, and leaves them when the replica
 * has lost the API server (`api-contact.ts`).
 */

/** What readiness is decided from. */
export interface ReadinessState {
  /** Ports the configuration asked for, by role, and whether each is bound. */
  readonly ports: ReadonlyArray<{ readonly role: string; readonly bound: boolean }>;
  /** Whether Pepr's `/healthz` answered 200. */
  readonly pepr: boolean;
  /**
   * Whether the Kubernetes API server was reached within its bound (see `api-contact.ts`), with
   * the reason when not; absent when not monitored.
   */
  readonly api?: { readonly reachable: boolean; readonly reason?: string };
}

/** Ready, or not with the reasons (shown in the probe's body, so `kubectl describe` has them). */
export function readinessVerdict(state: ReadinessState): { ready: boolean; reasons: string[] } {
  const reasons = state.ports.filter(p => !p.bound).map(p => `${p.role} is not listening`);
  if (!state.pepr) reasons.push("Pepr's /healthz on 3000 does not answer 200");
  if (state.api && !state.api.reachable)
    reasons.push(state.api.reason ?? "the Kubernetes API server is not reachable");
  return { ready: reasons.length === 0, reasons };
}

/** Asks Pepr's HTTPS `/healthz` on loopback (its certificate is for the Service, not 127.0.0.1). */
export function peprHealthy(port = 3000, timeoutMs = 2000): Promise<boolean> {
  return new Promise(resolve => {
    const req = request(
      { host: "127.0.0.1", port, path: "/healthz", rejectUnauthorized: false, timeout: timeoutMs },
      res => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => resolve(false));
    req.end();
  });
}

/**
 * Serves {@link READINESS_PATH} on `host:port`: 200 `ready` or 503 with the reasons, one a line.
 * Resolves with the server once it listens.
 */
export function serveReadiness(
  address: string,
  state: () => Promise<ReadinessState>,
  logger: ControlPlaneLogger,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== "GET" || req.url !== READINESS_PATH) {
      res.writeHead(404).end();
      return;
    }
    state().then(
      s => {
        const verdict = readinessVerdict(s);
        res
          .writeHead(verdict.ready ? 200 : 503, { "content-type": "text/plain" })
          .end(verdict.ready ? "ready\n" : `${verdict.reasons.join("\n")}\n`);
      },
      err => res.writeHead(503).end(`readiness check failed: ${String(err)}\n`),
    );
  });
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon).replace(/^\[|\]$/g, "");
  const port = Number(address.slice(colon + 1));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      logger.info({ address, path: READINESS_PATH }, "readiness endpoint listening");
      resolve(server);
    });
  });
}
