import { randomBytes } from "node:crypto";
import { Log } from "pepr";
import { nodeCaDeps } from "../ca/server/node-crypto";
import { kubernetesCaSecretStore, CONTROL_PLANE_NAMESPACE } from "./ca-secrets";
import { readControlPlaneSettings } from "./config";
import type { ControlPlaneLogger } from "./logger";
import { MeshCa } from "./mesh-ca";
import { kubernetesRootCertWriter, RootCertPublisher } from "./root-cert-configmaps";
import { defaultServingNames, startControlPlane, type ControlPlane } from "./start";
import { tokenReviewAuthenticator } from "./token-review";
import { MeshRuntime } from "./mesh-runtime";
import { SnapshotCache } from "../xds/cache/snapshot-cache";
import { Registry } from "prom-client";
import { exposeOnPeprMetrics } from "./metrics";
import { createMeshMetrics, registerMeshMetrics } from "./mesh-metrics";
import { MeteredJwksFetcher } from "./metered-jwks-fetcher";
import { meshConfigWatch } from "./mesh-config-source";
import { applyControlPlaneServices } from "./apply-services";
import { peprHealthy, serveReadiness } from "./readiness";
import { ApiContactMonitor } from "./api-contact";
import { UnreadyDrain } from "./unready-drain";
import { kubernetesApiProbe } from "./api-contact-probe";
import { LeaderElector } from "./leader-elector";
import { leaderIdentity } from "./leader-config";
import { kubernetesLeaseStore } from "./lease-store";

/**
 * The module's one mesh CA and root publisher, shared by the `cert-issuance` capability's
 * watches and the servers `pepr.ts` starts. Constructing them does no I/O (Pepr loads this file
 * in build mode); the first watch event or {@link startMeshControlPlane} bootstraps the CA.
 */

const logger: ControlPlaneLogger = Log;

/** The mesh CA of this process. */
export const meshCa = new MeshCa({
  store: kubernetesCaSecretStore(),
  logger,
  deps: nodeCaDeps,
  readPublishedBundle: () => kubernetesRootCertWriter.read(CONTROL_PLANE_NAMESPACE),
});

/** Per-proxy xDS snapshots, written by {@link meshRuntime} and served by the discovery server. */
const snapshots = new SnapshotCache();

/** Push and JWKS metrics; registered on `/metrics` when the control plane starts. */
const meshMetrics = createMeshMetrics();

/**
 * The environment, read once (see `config.ts`). A malformed variable takes its default here, so
 * admission and the watches are unaffected; the control plane then refuses to start, naming
 * every malformed variable and its rule (see {@link startMeshControlPlane}).
 */
const settings = readControlPlaneSettings(process.env);

/**
 * The control plane's JWKS cache for RequestAuthentication `jwksUri`s, with the limits of
 * RIGGING_JWKS_DENY_LIST, RIGGING_JWKS_TIMEOUT_MS, RIGGING_JWKS_MAX_BYTES and
 * RIGGING_JWKS_REFRESH_MS. With any malformed setting there is none, so nothing is ever
 * fetched without the deny list the operator meant.
 */
const jwksFetcher =
  settings.errors.length === 0
    ? new MeteredJwksFetcher({ ...settings.config.jwks, logger }, meshMetrics.jwksFetches)
    : undefined;

/**
 * The mesh model the `route-compilation` capability's watches feed, compiled for every
 * connected proxy. Debounce timing: RIGGING_DEBOUNCE_QUIET_MS (100) and RIGGING_DEBOUNCE_MAX_MS
 * (10000), as istiod's PILOT_DEBOUNCE_AFTER and PILOT_DEBOUNCE_MAX.
 */
export const meshRuntime = new MeshRuntime({
  cache: snapshots,
  logger,
  timers: {
    now: () => performance.now(),
    setTimeout,
    clearTimeout: h => clearTimeout(h as NodeJS.Timeout),
  },
  ...settings.config.debounce,
  jwks: jwksFetcher,
  metrics: meshMetrics,
  // Under `rig dev` pods run as processes on this host, reached at their host address.
  storeOptions: { hostAddresses: process.env.PEPR_MODE === "dev" },
});

/** Follows the mesh config ConfigMap (`istio` in RIGGING_ISTIOD_NAMESPACE). */
export const applyMeshConfigMap = meshConfigWatch({
  runtime: meshRuntime,
  ca: meshCa,
  logger,
  loads: meshMetrics.meshConfigLoads,
});

/**
 * This process's side of the control-plane Lease, once {@link startMeshControlPlane} runs. Every
 * replica serves xDS and signs with the shared root; only the leader publishes the roots.
 */
let elector: LeaderElector | undefined;

/**
 * Keeps `istio-ca-root-cert` in every namespace, while this process leads (a process whose
 * control plane did not start never does).
 */
export const rootCertPublisher = new RootCertPublisher(
  () => meshCa.bundle(),
  kubernetesRootCertWriter,
  logger,
  { mayPublish: () => elector?.isLeader() ?? false, publishedBy: () => elector?.identity },
);

/**
 * Starts ADS on 15010 and ADS + CA on 15012 as the environment says (see `config.ts`). A bad
 * setting is logged and the servers stay off; admission is never affected.
 */
export function startMeshControlPlane(
  env: NodeJS.ProcessEnv = process.env,
): ControlPlane | undefined {
  const { config, errors } = env === process.env ? settings : readControlPlaneSettings(env);
  if (errors.length > 0) {
    logger.error({ err: errors.join("; "), errors }, "control plane not started");
    return undefined;
  }
  // xDS metrics (connected proxies, pushes, push latency, NACKs, convergence) on Pepr's /metrics.
  const registry = new Registry();
  registerMeshMetrics(registry, meshMetrics);
  exposeOnPeprMetrics(registry);
  const plane = startControlPlane({
    registry,
    xdsAddress: config.xdsAddress,
    xdsTlsAddress: config.xdsTlsAddress,
    tlsAdsAuth: config.tlsAdsAuth,
    unauthenticatedSecrets: config.unauthenticatedSecrets,
    servingDnsNames: defaultServingNames(config.istiodNamespace),
    ca: meshCa,
    deps: nodeCaDeps,
    authenticate: tokenReviewAuthenticator(),
    logger,
    publisher: rootCertPublisher,
    cache: snapshots,
    hooks: meshRuntime,
    jwks: jwksFetcher,
  });
  const election = startElection(config.leaseDurationSeconds, registry);
  if (config.applyServices)
    void applyControlPlaneServices(config.istiodNamespace, logger).catch(() => undefined);
  // Losing the API server makes this replica unready and sends its proxies to the others, again
  // and again while the Service still sends some here (see `unready-drain.ts`).
  const unreadyDrain = new UnreadyDrain({
    drain: () => plane.drain(),
    openStreams: () => plane.discovery.openStreams(),
    intervalMs: Math.max(500, config.apiContactBoundMs / 2),
  });
  const apiContact = new ApiContactMonitor({
    probe: kubernetesApiProbe(config.istiodNamespace),
    boundMs: config.apiContactBoundMs,
    onChange: verdict => {
      if (verdict.reachable) {
        unreadyDrain.ready();
        logger.info({}, "the Kubernetes API server is reachable again; ready");
        return;
      }
      logger.warn(
        { reason: verdict.reason },
        "unready: draining xDS connections to other replicas until ready again",
      );
      unreadyDrain.unready();
    },
  });
  apiContact.start();
  if (config.readyAddress) {
    const ports = [
      ...(config.xdsAddress ? [{ role: "plaintext ADS", bound: () => !!plane.xdsPort() }] : []),
      ...(config.xdsTlsAddress
        ? [{ role: "TLS ADS + CA", bound: () => !!plane.xdsTlsPort() }]
        : []),
    ];
    serveReadiness(
      config.readyAddress,
      async () => ({
        ports: ports.map(p => ({ role: p.role, bound: p.bound() })),
        pepr: await peprHealthy(Number(env.RIGGING_ADMISSION_PORT ?? 3000)),
        api: apiContact.verdict(),
      }),
      logger,
    ).catch(err =>
      logger.error(
        { address: config.readyAddress, err: (err as Error).message },
        "readiness endpoint: could not listen; the watcher's probe will fail",
      ),
    );
  }
  return {
    ...plane,
    async stop() {
      apiContact.stop();
      unreadyDrain.ready();
      await election.stop();
      await plane.stop();
    },
  };
}

/**
 * Joins the election on the Lease in the control plane's namespace. The new leader publishes
 * the roots everywhere at once (what it missed while following); on SIGTERM (a rollout, a scale
 * down) the leader releases the Lease so the next one need not wait for it to expire.
 */
function startElection(seconds: number, registry: Registry): LeaderElector {
  const running = new LeaderElector({
    store: kubernetesLeaseStore(CONTROL_PLANE_NAMESPACE),
    identity: leaderIdentity(randomBytes(4).toString("hex")),
    leaseDurationSeconds: seconds,
    logger,
    registry,
    onStartedLeading: () =>
      void meshCa
        .bootstrap()
        .then(() => rootCertPublisher.publishEverywhere())
        .catch(err =>
          logger.warn({ err: (err as Error).message }, "new leader: could not publish the roots"),
        ),
  });
  elector = running;
  running.start();
  process.once("SIGTERM", () => void running.stop());
  return running;
}
