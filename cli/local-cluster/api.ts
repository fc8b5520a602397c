import { request } from "node:https";

/** How to reach and authenticate to an API server with a client certificate. */
export interface ApiConnection {
  server: string;
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** An API server's answer: HTTP status and the parsed JSON body (or the raw text). */
export interface ApiResponse {
  status: number;
  body: unknown;
}

/**
 * One request to the API server over mutual TLS. Used by the local cluster's own bootstrap
 * (readiness, fake nodes) so that it depends on nothing but Node itself.
 */
export function apiRequest(
  conn: ApiConnection,
  method: string,
  path: string,
  body?: unknown,
  timeoutMs = 5000,
): Promise<ApiResponse> {
  const url = new URL(path, conn.server);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: conn.caPem,
        cert: conn.certPem,
        key: conn.keyPem,
        timeout: timeoutMs,
        headers: payload
          ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
          : {},
      },
      res => {
        const chunks: Buffer[] = [];
        res.on("data", chunk => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // plain-text endpoints such as /readyz
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`${method} ${path}: timed out after ${timeoutMs} ms`)),
    );
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}
