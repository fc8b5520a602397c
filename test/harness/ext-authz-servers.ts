/**
 * External authorizers for CUSTOM AuthorizationPolicy tests, real servers on loopback: a gRPC
 * one speaking `envoy.service.auth.v3.Authorization/Check` with Envoy's own protos, and an HTTP
 * one answering under `/check/`. Both follow Istio's sample ext-authz: allow when the request
 * says `x-ext-authz: allow`, deny with 403 and an `x-ext-authz-check-result` header otherwise.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import * as grpc from "@grpc/grpc-js";
import { authorizationServiceDefinition } from "../mesh/authz/ext-authz-interpreter";

type Headers = Record<string, string>;

/** What the gRPC authorizer decoded off the wire. */
export interface GrpcCall {
  readonly http: {
    method?: string;
    path?: string;
    host?: string;
    headers?: Headers;
    body?: string;
  };
  readonly source: { principal?: string };
  /** `:authority` of the Check call (the provider's hostname). */
  readonly authority: string;
}

/** What the HTTP authorizer received. */
export interface HttpCall {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Istio's sample policy: allow exactly when the request says `x-ext-authz: allow`. */
const allows = (h: Headers | IncomingHttpHeaders | undefined) => h?.["x-ext-authz"] === "allow";

export class GrpcAuthorizer {
  readonly calls: GrpcCall[] = [];
  delayMs = 0;
  private server = new grpc.Server();
  port = 0;

  /** Listens on `address` (a loopback `host:port`; port 0 picks one). */
  async start(address = "127.0.0.1:0"): Promise<void> {
    this.server.addService(authorizationServiceDefinition().service, {
      Check: (
        call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        const attrs = (call.request.attributes ?? {}) as {
          request?: { http?: GrpcCall["http"] };
          source?: GrpcCall["source"];
        };
        const http = attrs.request?.http ?? {};
        this.calls.push({
          http,
          source: attrs.source ?? {},
          authority: call.getHost(),
        });
        const answer = () =>
          allows(http.headers)
            ? callback(null, {
                status: { code: grpc.status.OK },
                ok_response: {
                  headers: [{ header: { key: "x-ext-authz-check-result", value: "allowed" } }],
                  headers_to_remove: ["x-ext-authz"],
                },
              })
            : callback(null, {
                status: { code: grpc.status.PERMISSION_DENIED },
                denied_response: {
                  status: { code: 403 },
                  headers: [{ header: { key: "x-ext-authz-check-result", value: "denied" } }],
                  body: "denied by ext_authz: no `x-ext-authz: allow` header",
                },
              });
        if (this.delayMs > 0) setTimeout(answer, this.delayMs);
        else answer();
      },
    });
    this.port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
  }

  stop(): void {
    this.server.forceShutdown();
  }
}

export class HttpAuthorizer {
  readonly calls: HttpCall[] = [];
  private server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      this.calls.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: Buffer.concat(chunks).toString("utf8"),
      });
      if (!(req.url ?? "").startsWith("/check/")) {
        res.writeHead(404).end("not the check path");
      } else if (req.headers["x-ext-authz"] === "crash") {
        res.writeHead(500).end("authorizer bug");
      } else if (allows(req.headers)) {
        res
          .writeHead(200, {
            "x-ext-authz-check-result": "allowed",
            "x-user-id": "alice",
            "x-not-forwarded": "internal",
          })
          .end();
      } else {
        res
          .writeHead(403, {
            "x-ext-authz-check-result": "denied",
            "x-internal-reason": "no header",
          })
          .end("denied by ext_authz");
      }
    });
  });
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>(resolve => this.server.listen(0, "127.0.0.1", resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>(resolve => this.server.close(() => resolve()));
  }
}
