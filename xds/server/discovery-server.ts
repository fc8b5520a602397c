/**
 * The xDS server on @grpc/grpc-js: ADS (state of the world and Delta), the five per-type
 * services, and CSDS, all reading the same snapshot cache. It listens where it is told
 * (`127.0.0.1:15010` in `rig dev` and tests, plaintext; a TLS port with credentials from the CA).
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-docs/xds_protocol
 */
import { randomUUID } from "node:crypto";
import * as grpc from "@grpc/grpc-js";
import type { Registry } from "prom-client";
import type { SnapshotCache } from "../cache/snapshot-cache";
import { TypeUrl, type XdsTypeUrl } from "../encode/type-urls";
import { decodeClientStatusRequest, encodeClientStatusResponse } from "./csds";
import { warningsToStderr, type XdsLogger } from "./logger";
import {
  encodeDeltaResponse,
  encodeSotwResponse,
  type DiscoveryRequest,
  type NodeInfo,
  type ResponsePlan,
  type SotwRequest,
} from "./messages";
import { createXdsMetrics, type XdsMetrics } from "./metrics";
import { planResponse } from "./plan-response";
import { ProxyStatusRegistry } from "./proxy-status";
import { ADS_SERVICE, CSDS_SERVICE, PER_TYPE_SERVICES } from "./service-definitions";
import { sotwSubscription } from "./subscription";
import {
  authenticatedCaller,
  nodeRefusal,
  secretsWithheldMessage,
  visibleToCaller,
  type AuthenticatedCaller,
  type UnauthenticatedSecrets,
} from "./caller";
import type { FailureKind, SessionLimits, StreamCallbacks } from "./stream-callbacks";
import { XdsSession, type ConnectionHooks, type SessionContext } from "./xds-session";

/** Settings of a discovery server. */
export interface DiscoveryServerOptions {
  /** Where snapshots come from. */
  readonly cache: SnapshotCache;
  /** prom-client registry the xDS metrics are registered on. */
  readonly registry: Registry;
  /** Structured logger. @default JSON warnings on stderr */
  readonly logger?: XdsLogger;
  /** Clock in ms since epoch. @default Date.now */
  readonly now?: () => number;
  /** Prefix that makes nonces unique across server instances. @default a random UUID fragment */
  readonly noncePrefix?: string;
  /** Cache key of a proxy's snapshot. @default the node id */
  readonly nodeKey?: (node: NodeInfo) => string;
  /** Per-client bounds (streams per node id, request rate). @default DEFAULT_SESSION_LIMITS */
  readonly limits?: SessionLimits;
  /** Told when proxies connect and disconnect, e.g. to compile a new proxy's snapshot. */
  readonly hooks?: ConnectionHooks;
  /**
   * Secrets for a stream no port authenticated: served (tests, `rig dev` on loopback) or
   * withheld (a cluster's plaintext 15010, as istiod). @default "serve"
   */
  readonly unauthenticatedSecrets?: UnauthenticatedSecrets;
  /**
   * Callbacks on every xDS stream's life (open, request, node, response, close), asked after
   * the built-in admission rules; one that refuses ends the stream.
   */
  readonly callbacks?: StreamCallbacks;
}

type Duplex<Req> = grpc.ServerDuplexStream<Req, Buffer>;

const failureCodes: Record<FailureKind, grpc.status> = {
  invalid: grpc.status.INVALID_ARGUMENT,
  exhausted: grpc.status.RESOURCE_EXHAUSTED,
  denied: grpc.status.PERMISSION_DENIED,
};

// Set only by the TLS port's token check, which strips any value the client sent. A port
// without that check (plaintext 15010) has no caller: its Secrets follow `unauthenticatedSecrets`
// (withheld in a cluster, as istiod does; served on loopback for tests and `rig dev`).
function callerOf(metadata: grpc.Metadata): AuthenticatedCaller | undefined {
  return authenticatedCaller(key => {
    const value = metadata.get(key)[0];
    return value === undefined ? undefined : String(value);
  });
}

/** ADS + per-type xDS + CSDS on one grpc-js server. */
export class DiscoveryServer {
  /** Per-proxy status: what was sent, ACKed and NACKed. */
  readonly status = new ProxyStatusRegistry();
  /** The server's metrics. */
  readonly metrics: XdsMetrics;
  readonly #server = new grpc.Server();
  readonly #ctx: SessionContext;
  readonly #streams = new Set<{ session: XdsSession; call: Duplex<unknown> }>();
  /** Bound `host:port`s of the own server, as grpc-js names them for `drain`. */
  readonly #bound: string[] = [];

  constructor(options: DiscoveryServerOptions) {
    this.metrics = createXdsMetrics(options.registry);
    const prefix = options.noncePrefix ?? randomUUID().slice(0, 8);
    let nonces = 0;
    let connections = 0;
    this.#ctx = {
      cache: options.cache,
      status: this.status,
      metrics: this.metrics,
      logger: options.logger ?? warningsToStderr,
      now: options.now ?? Date.now,
      nonce: () => `${prefix}-${++nonces}`,
      connectionId: node => `${node.id}-${++connections}`,
      nodeKey: options.nodeKey ?? (node => node.id),
      limits: options.limits,
      hooks: options.hooks,
      unauthenticatedSecrets: options.unauthenticatedSecrets,
      callbacks: options.callbacks,
    };
    this.addServicesTo(this.#server);
  }

  /**
   * Registers ADS, the per-type services and CSDS on another grpc-js `Server`, sharing this
   * server's cache, sessions, status and metrics. The control plane uses it to serve xDS on its
   * TLS port next to the CA service, on a server with its own credentials and interceptors;
   * {@link DiscoveryServer.stop} ends those streams too, while that server's owner shuts it down.
   */
  addServicesTo(server: grpc.Server): void {
    server.addService(ADS_SERVICE, {
      StreamAggregatedResources: (call: Duplex<DiscoveryRequest>) => this.#stream(call, "sotw"),
      DeltaAggregatedResources: (call: Duplex<DiscoveryRequest>) => this.#stream(call, "delta"),
    });
    for (const service of PER_TYPE_SERVICES) {
      server.addService(
        {
          [service.names.stream]: service.definition.stream,
          [service.names.delta]: service.definition.delta,
          [service.names.fetch]: service.definition.fetch,
        },
        {
          [service.names.stream]: (call: Duplex<DiscoveryRequest>) =>
            this.#stream(call, "sotw", service.typeUrl),
          [service.names.delta]: (call: Duplex<DiscoveryRequest>) =>
            this.#stream(call, "delta", service.typeUrl),
          [service.names.fetch]: (
            call: grpc.ServerUnaryCall<SotwRequest, Buffer>,
            done: grpc.sendUnaryData<Buffer>,
          ) => this.#fetch(call.request, service.typeUrl, callerOf(call.metadata), done),
        },
      );
    }
    server.addService(CSDS_SERVICE, {
      StreamClientStatus: (call: Duplex<Buffer>) => this.#csdsStream(call),
      FetchClientStatus: (
        call: grpc.ServerUnaryCall<Buffer, Buffer>,
        done: grpc.sendUnaryData<Buffer>,
      ) => this.#csds(call.request, done),
    });
  }

  /**
   * Listens on `address` (`host:port`; port 0 picks a free one) and resolves to the bound port.
   * Call more than once to serve several ports (plaintext 15010 and TLS 15012).
   */
  listen(address: string, credentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
    return new Promise((resolve, reject) => {
      this.#server.bindAsync(address, credentials, (err, port) => {
        if (err) reject(err);
        else {
          this.#bound.push(`${address.slice(0, address.lastIndexOf(":"))}:${port}`);
          this.#ctx.logger.info({ address, port }, "xDS server listening");
          resolve(port);
        }
      });
    });
  }

  /**
   * Sends proxies elsewhere without stopping: every connection of the own server gets a GOAWAY
   * (so new streams need a new connection, which a Service gives to a ready replica), then every
   * stream, on any server this one registered with, is ended with OK so that proxies reconnect
   * now; connections still open after `graceMs` are cut. The server keeps listening.
   */
  drain(graceMs = 1_000): void {
    for (const port of this.#bound) this.#server.drain(port, graceMs);
    this.#endStreams();
  }

  /** Open xDS streams, on the own server and on every server this one registered with. */
  openStreams(): number {
    return this.#streams.size;
  }

  /**
   * Responses written but not yet taken by HTTP/2 (a client that stops reading leaves them in
   * the stream's buffer), over all open xDS streams. Per-type flow control in XdsSession bounds
   * it at one response per type and stream, however many changes are published meanwhile.
   */
  writeBacklog(): { streams: number; messages: number } {
    let streams = 0;
    let messages = 0;
    for (const { call } of this.#streams) {
      if (call.writableLength === 0) continue;
      streams += 1;
      messages += call.writableLength;
    }
    return { streams, messages };
  }

  #endStreams(): void {
    for (const { session, call } of [...this.#streams]) {
      session.close();
      try {
        call.end();
      } catch {
        // already gone
      }
    }
    this.#streams.clear();
  }

  /**
   * Drains and stops: every stream is ended with OK (so proxies reconnect, to a new instance or
   * a replica), then the server waits up to `graceMs` for calls to finish before forcing.
   */
  async stop(graceMs = 5_000): Promise<void> {
    this.#endStreams();
    await new Promise<void>(resolve => {
      const timer = setTimeout(() => {
        this.#server.forceShutdown();
        resolve();
      }, graceMs);
      this.#server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #stream(call: Duplex<DiscoveryRequest>, variant: "sotw" | "delta", onlyType?: XdsTypeUrl): void {
    const encode = variant === "sotw" ? encodeSotwResponse : encodeDeltaResponse;
    let entry: { session: XdsSession; call: Duplex<unknown> } | undefined = undefined;
    const end = (): void => {
      entry?.session.close();
      if (entry) this.#streams.delete(entry);
    };
    const session = new XdsSession(
      this.#ctx,
      variant,
      {
        send: (plan: ResponsePlan) => {
          if (!call.cancelled && !call.destroyed) call.write(encode(plan));
        },
        fail: (reason: string, kind: FailureKind) => {
          end();
          call.emit("error", { code: failureCodes[kind], details: reason });
        },
      },
      onlyType,
      callerOf(call.metadata),
    );
    entry = { session, call: call as Duplex<unknown> };
    this.#streams.add(entry);
    call.on("data", (request: DiscoveryRequest) => session.handle(request));
    call.on("end", () => {
      end();
      call.end();
    });
    call.on("error", end);
    call.on("cancelled", end);
    call.on("close", end);
  }

  #fetch(
    request: SotwRequest,
    typeUrl: XdsTypeUrl,
    caller: AuthenticatedCaller | undefined,
    done: grpc.sendUnaryData<Buffer>,
  ): void {
    if (!request.node?.id) {
      done({ code: grpc.status.INVALID_ARGUMENT, details: "node.id is required" });
      return;
    }
    // The same rules as a stream's (see XdsSession): own namespace only, Secrets if allowed.
    const refusal = nodeRefusal(request.node, caller);
    if (refusal !== undefined) {
      done({ code: grpc.status.PERMISSION_DENIED, details: refusal });
      return;
    }
    const cached = this.#ctx.cache.get(this.#ctx.nodeKey(request.node));
    const view = cached && visibleToCaller(cached, caller, this.#ctx.unauthenticatedSecrets);
    if (view && view.withheld > 0 && typeUrl === TypeUrl.secret) {
      this.#ctx.logger.warn(
        {
          proxy: request.node.id,
          namespace: caller?.namespace,
          serviceAccount: caller?.serviceAccount,
          withheld: view.withheld,
        },
        secretsWithheldMessage(request.node.id, caller),
      );
    }
    const snapshot = view?.snapshot;
    if (!snapshot) {
      done({
        code: grpc.status.UNAVAILABLE,
        details: `no configuration for ${request.node.id} yet`,
      });
      return;
    }
    const subscription = sotwSubscription(typeUrl, undefined, request.names);
    const content = planResponse("sotw", typeUrl, subscription, new Map(), snapshot, true);
    const plan = {
      typeUrl,
      version: snapshot.versions.get(typeUrl) ?? "",
      nonce: this.#ctx.nonce(),
      resources: content?.resources ?? [],
      removed: [],
    };
    done(null, encodeSotwResponse(plan));
  }

  #csds(request: Buffer, done: grpc.sendUnaryData<Buffer>): void {
    try {
      done(
        null,
        encodeClientStatusResponse(this.status.list(), decodeClientStatusRequest(request)),
      );
    } catch (err) {
      done({ code: grpc.status.INVALID_ARGUMENT, details: String(err) });
    }
  }

  #csdsStream(call: Duplex<Buffer>): void {
    call.on("data", (request: Buffer) => {
      try {
        call.write(
          encodeClientStatusResponse(this.status.list(), decodeClientStatusRequest(request)),
        );
      } catch (err) {
        call.emit("error", { code: grpc.status.INVALID_ARGUMENT, details: String(err) });
      }
    });
    call.on("end", () => call.end());
    call.on("error", () => undefined);
  }
}
