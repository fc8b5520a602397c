import * as grpc from "@grpc/grpc-js";
import { Registry } from "prom-client";
import type { KeyGenerator } from "../ca/deps";
import type { TokenAuthenticator } from "../ca/server/create-certificate";
import { addCertificateService } from "../ca/server/serve";
import { SnapshotCache } from "../xds/cache/snapshot-cache";
import { DiscoveryServer } from "../xds/server/discovery-server";
import type { ConnectionHooks } from "../xds/server/xds-session";
import { requireServiceAccountToken } from "./ads-auth";
import { caCallObserver } from "./ca-metrics";
import { secretAccessAuthorizer, type SecretAccessAuthorizer } from "./secret-access";
import type { ControlPlaneLogger } from "./logger";
import type { MeshCa, MeshCaDeps } from "./mesh-ca";
import type { RootCertPublisher } from "./root-cert-configmaps";
import { startCa } from "./ca-lifecycle";
import { controlPlaneDnsNames } from "./service-objects";
import { ServingIdentityKeeper } from "./serving-identity-keeper";
import { bindServer, logBindFailure, shutdownServer } from "./tls-listener";

/**
 * The composition root of the control plane's network side, run only in the watcher (or the
 * local dev process): ADS in plaintext on 15010, and on 15012 TLS with a certificate from the
 * mesh CA, serving ADS (token-authenticated) and `IstioCertificateService/CreateCertificate`.
 * A port that cannot be bound is logged and left unserved; nothing here throws into admission.
 */

/** Where and how to serve. */
export interface ControlPlaneOptions {
  /** Plaintext ADS address, `host:port` (port 0 picks one); undefined serves none. */
  readonly xdsAddress?: string;
  /** TLS address for ADS + CA; undefined serves none. */
  readonly xdsTlsAddress?: string;
  /** The mesh CA (bootstrapped here). */
  readonly ca: MeshCa;
  /** Crypto, clock and randomness for issuing. */
  readonly deps: MeshCaDeps;
  /** Checks bearer tokens (TokenReview in production). */
  readonly authenticate: TokenAuthenticator;
  /**
   * Whether an authenticated caller may receive its namespace's Secrets (gateway credentials).
   * @default SubjectAccessReview through the Kubernetes client, cached per ServiceAccount
   */
  readonly authorizeSecrets?: SecretAccessAuthorizer;
  /** Logger. */
  readonly logger: ControlPlaneLogger;
  /**
   * Whether ADS on the TLS port requires a ServiceAccount token. @default "token" — as istiod:
   * the TLS port is the one reachable from outside the trust boundary, and the config it serves
   * names every Service and endpoint; 15010 serves in-cluster callers, without Secrets.
   */
  readonly tlsAdsAuth?: "token" | "none";
  /** Secrets for streams no port authenticated. @default "serve" */
  readonly unauthenticatedSecrets?: "serve" | "withhold";
  /** Publishes `istio-ca-root-cert` when the roots change; none in CA-only tests. */
  readonly publisher?: RootCertPublisher;
  /** Snapshots for the discovery server. @default an empty cache */
  readonly cache?: SnapshotCache;
  /** Told when proxies connect and disconnect (the mesh runtime compiles for them). */
  readonly hooks?: ConnectionHooks;
  /** Metrics registry. @default a new one */
  readonly registry?: Registry;
  /** DNS names of the serving certificate. @default {@link defaultServingNames} */
  readonly servingDnsNames?: readonly string[];
  /** Serving certificate lifetime. @default 24 h */
  readonly servingTtlSeconds?: number;
  /** Serving key generator. @default deps.generateKey */
  readonly servingKey?: KeyGenerator;
  /** How often roots are retired and the serving certificate checked. @default 60 s */
  readonly tickMs?: number;
  /**
   * Background work that lives as long as the servers: the JWKS fetcher's refresh, started
   * here and stopped on shutdown.
   */
  readonly jwks?: { start(): void; stop(): void };
}

/** A running control plane. */
export interface ControlPlane {
  /** The discovery server (its cache, status, metrics). */
  readonly discovery: DiscoveryServer;
  /** Bound plaintext port, once bound. */
  readonly xdsPort: () => number | undefined;
  /** Bound TLS port, once bound. */
  readonly xdsTlsPort: () => number | undefined;
  /** Resolves when every configured port was bound or failed to bind (and was logged). */
  readonly ready: Promise<void>;
  /** Sends every connected proxy elsewhere, keeping the ports open (see `DiscoveryServer.drain`). */
  drain(graceMs?: number): void;
  /** Stops the servers and timers. */
  stop(): Promise<void>;
}

/**
 * The names 15012's certificate covers: every name a client may dial it by (istiod's, which
 * Istio's agents use, the `rigging` and watcher Services', each short and qualified) and loopback.
 */
export function defaultServingNames(istiodNamespace = "istio-system"): string[] {
  return controlPlaneDnsNames(istiodNamespace);
}

/** Starts what `options` asks for; never rejects (failures are logged). */
export function startControlPlane(options: ControlPlaneOptions): ControlPlane {
  const { ca, logger } = options;
  const registry = options.registry ?? new Registry();
  const discovery = new DiscoveryServer({
    cache: options.cache ?? new SnapshotCache(),
    registry,
    logger,
    hooks: options.hooks,
    unauthenticatedSecrets: options.unauthenticatedSecrets,
  });
  const serving = new ServingIdentityKeeper({
    ca,
    deps: options.deps,
    dnsNames: options.servingDnsNames ?? defaultServingNames(),
    ttlSeconds: options.servingTtlSeconds ?? 24 * 3600,
    generateKey: options.servingKey ?? options.deps.generateKey,
    logger,
  });
  const tlsServices = tlsServicesOf(options, discovery, registry);
  // What the lifecycle below changes: the ports once bound, the TLS server, a bind in progress.
  const state: {
    xdsPort?: number;
    xdsTlsPort?: number;
    tlsServer?: grpc.Server;
    binding?: Promise<void>;
    stopped: boolean;
    unsubscribe: Array<() => void>;
  } = { stopped: false, unsubscribe: [] };

  const plaintext = options.xdsAddress
    ? discovery.listen(options.xdsAddress).then(
        port => void (state.xdsPort = port),
        err => logBindFailure(logger, "plaintext ADS", options.xdsAddress!, err),
      )
    : Promise.resolve();

  const bindTls = async (address: string): Promise<void> => {
    const credentials = serving.credentials();
    if (!credentials) {
      state.binding = undefined;
      logger.error(
        { address },
        "the TLS port waits for a CA authority: no serving certificate can be issued yet",
      );
      return;
    }
    const server = tlsServices();
    const port = await bindServer(server, address, credentials, "xDS + CA (TLS)", logger);
    if (port !== undefined) {
      state.xdsTlsPort = port;
      state.tlsServer = server;
    }
  };

  const tls = (async () => {
    const unsubscribeCa = await startCa(ca, options.publisher, logger);
    state.unsubscribe.push(...unsubscribeCa);
    if (state.stopped) return;
    state.unsubscribe.push(
      ca.onChange(change => {
        if (change.authorityChanged && serving.inUse) serving.renew();
        // A CA that had no authority at start (a refused `cacerts`) binds the port once fixed.
        else if (!serving.inUse && !state.binding && options.xdsTlsAddress && !state.stopped) {
          state.binding = bindTls(options.xdsTlsAddress);
        }
      }),
    );
    if (options.xdsTlsAddress) await (state.binding = bindTls(options.xdsTlsAddress));
  })();

  options.jwks?.start();

  const timer = setInterval(() => {
    ca.retireRoots();
    serving.renewIfDue();
  }, options.tickMs ?? 60_000);
  timer.unref();

  return {
    discovery,
    xdsPort: () => state.xdsPort,
    xdsTlsPort: () => state.xdsTlsPort,
    ready: Promise.all([plaintext, tls]).then(() => undefined),
    drain(graceMs = 1_000) {
      const host = options.xdsTlsAddress?.slice(0, options.xdsTlsAddress.lastIndexOf(":"));
      if (state.tlsServer && state.xdsTlsPort) {
        state.tlsServer.drain(`${host}:${state.xdsTlsPort}`, graceMs);
      }
      discovery.drain(graceMs);
    },
    async stop() {
      state.stopped = true;
      clearInterval(timer);
      options.jwks?.stop();
      await tls.catch(() => undefined);
      for (const u of state.unsubscribe) u();
      await state.binding?.catch(() => undefined);
      await discovery.stop(500);
      if (state.tlsServer) await shutdownServer(state.tlsServer, 500);
    },
  };
}

/**
 * Makes the 15012 server: ADS (behind the ServiceAccount-token interceptor unless `tlsAdsAuth`
 * is "none") and Istio's CreateCertificate, sharing one discovery server with 15010.
 */
function tlsServicesOf(
  options: ControlPlaneOptions,
  discovery: DiscoveryServer,
  registry: Registry,
): () => grpc.Server {
  const { ca, logger } = options;
  const observeCa = caCallObserver(registry);
  const authorizeSecrets = options.authorizeSecrets ?? secretAccessAuthorizer({ logger });
  return () => {
    const auth =
      (options.tlsAdsAuth ?? "token") === "token"
        ? [requireServiceAccountToken(options.authenticate, authorizeSecrets, logger)]
        : [];
    const server = new grpc.Server({ interceptors: auth });
    discovery.addServicesTo(server);
    addCertificateService(server, {
      authority: () => ca.authority(),
      authenticate: options.authenticate,
      trustDomain: () => ca.trustDomain,
      policy: ca.policy,
      deps: options.deps,
      observe: observeCa,
    });
    return server;
  };
}
