/**
 * Where the control plane listens, and how it fetches JWKS, from the environment. In a cluster
 * the watcher serves every interface; `rig dev` (PEPR_MODE=dev) keeps to loopback. `off`
 * disables a port.
 */
import { parseFetchDenyList } from "../mesh/authn/fetch-deny-list";
import { DEFAULT_LEASE_DURATION_SECONDS, leaseDurationSeconds } from "./leader-config";

/**
 * How the control plane fetches RequestAuthentication `jwksUri`s (see `jwks-fetcher.ts`);
 * unset fields take the fetcher's defaults.
 */
export interface JwksConfig {
  /** RIGGING_JWKS_DENY_LIST: CIDRs, addresses and host names never fetched from. */
  readonly denyList: readonly string[];
  /** RIGGING_JWKS_TIMEOUT_MS: whole-exchange timeout. */
  readonly timeoutMs?: number;
  /** RIGGING_JWKS_MAX_BYTES: largest body accepted. */
  readonly maxBytes?: number;
  /** RIGGING_JWKS_REFRESH_MS: how often a good key set is refetched. */
  readonly refreshIntervalMs?: number;
}

/** The control plane's network settings. */
export interface ControlPlaneConfig {
  /** Plaintext ADS, or undefined when off. */
  readonly xdsAddress: string | undefined;
  /** TLS ADS + CA, or undefined when off. */
  readonly xdsTlsAddress: string | undefined;
  /**
   * Readiness endpoint (`/ready`, see `readiness.ts`), or undefined when off. The watcher's probe
   * reads it; `rig dev` has no probe, so it is off there unless asked.
   */
  readonly readyAddress: string | undefined;
  /**
   * Whether the process applies the control-plane Services itself at start (the watcher, so that
   * `npx pepr deploy`, which never reads dist/, gets them too). RIGGING_APPLY_SERVICES=false
   * leaves them to the manifests or the chart.
   */
  readonly applyServices: boolean;
  /** Namespace in `istiod.<ns>.svc`, the name Istio's agents dial. */
  readonly istiodNamespace: string;
  /** Whether ADS on the TLS port needs a ServiceAccount token. */
  readonly tlsAdsAuth: "token" | "none";
  /**
   * RIGGING_XDS_UNAUTHENTICATED_SECRETS: whether a stream no port authenticated (plaintext
   * 15010) receives gateway credentials. `withhold` in a cluster, as istiod; `serve` for `rig dev`.
   */
  readonly unauthenticatedSecrets: "serve" | "withhold";
  /** JWKS fetching. */
  readonly jwks: JwksConfig;
  /** Push debouncing. */
  readonly debounce: DebounceConfig;
  /**
   * RIGGING_API_CONTACT_BOUND_MS: how long the replica may go without reaching the Kubernetes
   * API server before it reports unready and drains its proxies (see `api-contact.ts`): past
   * a restart of the API server, and before Pepr's watcher gives up (5 failed resyncs 5 s apart
   * end the process). @default 10000
   */
  readonly apiContactBoundMs: number;
  /** RIGGING_LEASE_DURATION_SECONDS: the leader Lease's duration (see `leader-config.ts`). */
  readonly leaseDurationSeconds: number;
}

/**
 * The environment read once: the settings (each malformed variable replaced by its default)
 * and every malformed variable's error, naming the variable and the rule. The process reads
 * this once at start; a control plane with errors does not start, and says all of them at once.
 */
export interface ControlPlaneSettings {
  readonly config: ControlPlaneConfig;
  readonly errors: readonly string[];
}

/** How long changes are gathered before a push; unset fields take the runtime's defaults. */
export interface DebounceConfig {
  /** RIGGING_DEBOUNCE_QUIET_MS: quiet period before a push (istiod's PILOT_DEBOUNCE_AFTER). */
  readonly quietMs?: number;
  /** RIGGING_DEBOUNCE_MAX_MS: longest a change waits (istiod's PILOT_DEBOUNCE_MAX). */
  readonly maxDelayMs?: number;
}

/** Whether this process runs the control plane: the watcher, or the dev process; never a build. */
export function runsControlPlane(env: NodeJS.ProcessEnv): boolean {
  if (env.PEPR_MODE === "build") return false;
  return env.PEPR_WATCH_MODE === "true" || env.PEPR_MODE === "dev";
}

/** Reads {@link ControlPlaneSettings}: every variable, collecting each malformed one's error. */
export function readControlPlaneSettings(env: NodeJS.ProcessEnv): ControlPlaneSettings {
  const errors: string[] = [];
  // Each reader throws naming its variable and rule; a malformed value takes its default here.
  const read = <T>(reader: () => T, fallback: T): T => {
    try {
      return reader();
    } catch (err) {
      errors.push((err as Error).message);
      return fallback;
    }
  };
  const host = env.PEPR_MODE === "dev" ? "127.0.0.1" : "0.0.0.0";
  const devOr = <T>(dev: T, cluster: T): T => (env.PEPR_MODE === "dev" ? dev : cluster);
  const listen = (name: string, fallback: string) =>
    read(() => address(name, env[name], fallback), address(name, undefined, fallback));
  const config: ControlPlaneConfig = {
    // Plaintext ADS, as istiod serves it on 15010 (grpc-simple pods and in-cluster tools dial it).
    // It never carries gateway private keys in a cluster: unauthenticated streams get no Secrets.
    xdsAddress: listen("RIGGING_XDS_ADDRESS", `${host}:15010`),
    unauthenticatedSecrets: read(() => unauthenticatedSecrets(env), devOr("serve", "withhold")),
    xdsTlsAddress: listen("RIGGING_XDS_TLS_ADDRESS", `${host}:15012`),
    readyAddress: listen("RIGGING_READY_ADDRESS", devOr("off", "0.0.0.0:8080")),
    applyServices: read(() => applyServices(env), devOr(false, true)),
    istiodNamespace: istiodNamespace(env),
    tlsAdsAuth: read(() => tlsAdsAuth(env), "token"),
    jwks: read(() => jwksConfig(env), { denyList: [] }),
    debounce: read(() => debounceConfig(env), {}),
    apiContactBoundMs: read(
      () =>
        positiveInteger("RIGGING_API_CONTACT_BOUND_MS", env.RIGGING_API_CONTACT_BOUND_MS) ?? 10_000,
      10_000,
    ),
    leaseDurationSeconds: read(() => leaseDurationSeconds(env), DEFAULT_LEASE_DURATION_SECONDS),
  };
  return { config, errors };
}

/** Reads {@link ControlPlaneConfig}; throws naming every malformed variable and its rule. */
export function controlPlaneConfig(env: NodeJS.ProcessEnv): ControlPlaneConfig {
  const { config, errors } = readControlPlaneSettings(env);
  if (errors.length > 0) throw new Error(errors.join("; "));
  return config;
}

function tlsAdsAuth(env: NodeJS.ProcessEnv): "token" | "none" {
  const auth = env.RIGGING_XDS_TLS_AUTH ?? "token";
  if (auth !== "token" && auth !== "none") {
    throw new Error(`RIGGING_XDS_TLS_AUTH: "${auth}" must be "token" or "none"`);
  }
  return auth;
}

function unauthenticatedSecrets(env: NodeJS.ProcessEnv): "serve" | "withhold" {
  const value =
    env.RIGGING_XDS_UNAUTHENTICATED_SECRETS ?? (env.PEPR_MODE === "dev" ? "serve" : "withhold");
  if (value !== "serve" && value !== "withhold") {
    throw new Error(
      `RIGGING_XDS_UNAUTHENTICATED_SECRETS: "${value}" must be "serve" or "withhold"`,
    );
  }
  return value;
}

function applyServices(env: NodeJS.ProcessEnv): boolean {
  const value = env.RIGGING_APPLY_SERVICES ?? (env.PEPR_MODE === "dev" ? "false" : "true");
  if (value !== "true" && value !== "false") {
    throw new Error(`RIGGING_APPLY_SERVICES: "${value}" must be "true" or "false"`);
  }
  return value === "true";
}

/**
 * RIGGING_ISTIOD_NAMESPACE: the namespace Istio's agents know as istiod's (`istiod.<ns>.svc`),
 * where the mesh config ConfigMap `istio` lives, as for istiod.
 */
export function istiodNamespace(env: NodeJS.ProcessEnv): string {
  return env.RIGGING_ISTIOD_NAMESPACE ?? "istio-system";
}

/** Reads {@link JwksConfig}; throws naming the variable and the rule for a malformed value. */
export function jwksConfig(env: NodeJS.ProcessEnv): JwksConfig {
  const denyList = (env.RIGGING_JWKS_DENY_LIST ?? "")
    .split(",")
    .map(e => e.trim())
    .filter(e => e !== "");
  const parsed = parseFetchDenyList(denyList);
  if (!parsed.ok) {
    throw new Error(
      `RIGGING_JWKS_DENY_LIST: ${parsed.errors.join("; ")} (want comma-separated CIDRs, addresses or host names)`,
    );
  }
  return {
    denyList,
    timeoutMs: positiveInteger("RIGGING_JWKS_TIMEOUT_MS", env.RIGGING_JWKS_TIMEOUT_MS),
    maxBytes: positiveInteger("RIGGING_JWKS_MAX_BYTES", env.RIGGING_JWKS_MAX_BYTES),
    refreshIntervalMs: positiveInteger("RIGGING_JWKS_REFRESH_MS", env.RIGGING_JWKS_REFRESH_MS),
  };
}

/** Reads {@link DebounceConfig}; throws naming the variable and the rule for a malformed value. */
export function debounceConfig(env: NodeJS.ProcessEnv): DebounceConfig {
  return {
    quietMs: positiveInteger("RIGGING_DEBOUNCE_QUIET_MS", env.RIGGING_DEBOUNCE_QUIET_MS),
    maxDelayMs: positiveInteger("RIGGING_DEBOUNCE_MAX_MS", env.RIGGING_DEBOUNCE_MAX_MS),
  };
}

function positiveInteger(name: string, value: string | undefined): number | undefined {
  if (value === undefined || value === "") return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n <= 0) {
    throw new Error(`${name}: "${value}" must be a positive whole number`);
  }
  return n;
}

function address(name: string, value: string | undefined, fallback: string): string | undefined {
  // An unset variable takes the fallback, which may itself be "off".
  const chosen = value === undefined || value === "" ? fallback : value;
  if (chosen === "off") return undefined;
  const m = /^(\[[0-9a-f:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(chosen);
  if (!m || Number(m[2]) > 65535) {
    throw new Error(`${name}: "${chosen}" must be host:port (port 0–65535) or "off"`);
  }
  return chosen;
}
