/**
 * The control plane's JWKS cache for RequestAuthentication `jwksUri`s. Istio's istiod fetches
 * key sets itself and inlines them into `jwt_authn` (`local_jwks`) so proxies never reach out to
 * issuers; we do the same. Per URI: fetched once when first referenced, refetched in the
 * background every refresh interval, and on failure the last good set is kept (a rotating or
 * briefly unavailable issuer must not make every proxy reject valid tokens).
 *
 * Limits (all configurable): timeout 5 s, body 512 KiB, refresh 20 min (Istio's
 * `PILOT_JWT_PUB_KEY_REFRESH_INTERVAL` default), retry after failure 1 min, 3 redirects.
 * Deny-list: empty by default — nothing is blocked until the operator lists CIDRs, addresses or
 * host names (`denyList`), which are then checked against the URL host and every address it
 * resolves to, on each redirect hop. See `mesh/authn/fetch-deny-list.ts`.
 *
 * @see istio/istio pilot/pkg/model/jwks_resolver.go
 */
import type { RequestAuthenticationInput, JwksLookup } from "../mesh/authn/request-authentication";
import { parseFetchDenyList } from "../mesh/authn/fetch-deny-list";
import { fetchJwksOnce, systemResolve, type JwksHttpOptions, type ResolveHost } from "./jwks-http";
import type { ControlPlaneLogger } from "./logger";

/** Timer functions, injectable so tests control time. */
export interface JwksTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

/** Settings for {@link JwksFetcher}; every field has a default. */
export interface JwksFetcherOptions {
  /** CIDRs, addresses, host names or `*.suffix` never fetched from. @default [] (none) */
  readonly denyList?: readonly string[];
  /** Whole-exchange timeout (DNS, connect, headers, body). @default 5000 */
  readonly timeoutMs?: number;
  /** Largest body accepted; reading stops past it. @default 524288 */
  readonly maxBytes?: number;
  /** How often a good key set is refetched. @default 1_200_000 (20 min) */
  readonly refreshIntervalMs?: number;
  /** How soon a failed fetch is retried. @default 60_000 */
  readonly retryIntervalMs?: number;
  /** Redirects followed (each hop re-checked against the deny-list). @default 3 */
  readonly maxRedirects?: number;
  /** Milliseconds since the epoch. @default Date.now */
  readonly now?: () => number;
  /** @default the global timers (the refresh interval is `unref`ed) */
  readonly timers?: JwksTimers;
  /** @default the system resolver */
  readonly resolve?: ResolveHost;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Where failures are reported (without bodies). @default silent */
  readonly logger?: ControlPlaneLogger;
}

/** What one fetch of a URI did. */
export type JwksFetchOutcome =
  | { readonly ok: true; readonly jwksUri: string; readonly changed: boolean }
  | { readonly ok: false; readonly jwksUri: string; readonly message: string };

interface Entry {
  /** `namespace/name` of every RequestAuthentication that names this URI. */
  refs: Set<string>;
  jwks?: string;
  fetchedAt?: number;
  attemptedAt?: number;
  failing: boolean;
  inflight?: Promise<JwksFetchOutcome>;
}

const realTimers: JwksTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: h => clearTimeout(h as NodeJS.Timeout),
  setInterval: (fn, ms) => setInterval(fn, ms).unref(),
  clearInterval: h => clearInterval(h as NodeJS.Timeout),
};

const silent: ControlPlaneLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
};

/** Every `jwksUri` (or deprecated `jwks_uri`) a policy names without an inline `jwks`. */
export function jwksUrisOf(policy: RequestAuthenticationInput): string[] {
  return (policy.spec.jwtRules ?? [])
    .filter(r => !r.jwks)
    .map(r => r.jwksUri ?? r.jwks_uri ?? "")
    .filter(u => u !== "");
}

/**
 * Fetches, validates, caches and refreshes JWKS documents. `lookup` is the pure builder's
 * {@link JwksLookup}; `onChange` tells the runtime to recompile when a key set changes.
 */
export class JwksFetcher {
  private readonly entries = new Map<string, Entry>();
  private readonly listeners: ((jwksUri: string) => void)[] = [];
  private readonly http: JwksHttpOptions;
  private readonly refreshMs: number;
  private readonly retryMs: number;
  private readonly now: () => number;
  private readonly timers: JwksTimers;
  private readonly log: ControlPlaneLogger;
  private interval: unknown;

  /** Throws when `denyList` holds an entry that is not a CIDR, address or host name. */
  constructor(options: JwksFetcherOptions = {}) {
    const deny = parseFetchDenyList(options.denyList ?? []);
    if (!deny.ok) throw new Error(`JWKS fetcher: ${deny.errors.join("; ")}`);
    this.timers = options.timers ?? realTimers;
    this.http = {
      denyList: deny.value,
      timeoutMs: options.timeoutMs ?? 5_000,
      maxBytes: options.maxBytes ?? 512 * 1024,
      maxRedirects: options.maxRedirects ?? 3,
      resolve: options.resolve ?? systemResolve,
      fetch: options.fetch ?? globalThis.fetch,
      timers: this.timers,
    };
    this.refreshMs = options.refreshIntervalMs ?? 20 * 60_000;
    this.retryMs = options.retryIntervalMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.log = options.logger ?? silent;
  }

  /** The last good key set for `jwksUri`, or undefined if none was ever fetched. */
  get(jwksUri: string): string | undefined {
    return this.entries.get(jwksUri)?.jwks;
  }

  /** The lookup `buildJwtAuthnFilter` takes. */
  readonly lookup: JwksLookup = (_issuer, jwksUri) => this.get(jwksUri);

  /** Calls `listener(jwksUri)` whenever a URI's key set changes (first fetch or rotation). */
  onChange(listener: (jwksUri: string) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Makes the cache follow `policies`: URIs no policy names any more are dropped; new ones are
   * fetched (awaited, so the first compile after a policy appears has its keys when the issuer
   * answers). Returns the outcome for each newly fetched URI.
   */
  async sync(policies: readonly RequestAuthenticationInput[]): Promise<JwksFetchOutcome[]> {
    const wanted = new Map<string, Set<string>>();
    for (const p of policies) {
      for (const uri of jwksUrisOf(p)) {
        if (!wanted.has(uri)) wanted.set(uri, new Set());
        wanted.get(uri)!.add(`${p.namespace}/${p.name}`);
      }
    }
    for (const uri of [...this.entries.keys()]) {
      if (!wanted.has(uri)) this.entries.delete(uri);
    }
    const fresh: string[] = [];
    for (const [uri, refs] of wanted) {
      const entry = this.entries.get(uri);
      if (entry) entry.refs = refs;
      else {
        this.entries.set(uri, { refs, failing: false });
        fresh.push(uri);
      }
    }
    return Promise.all(fresh.map(uri => this.refresh(uri)));
  }

  /** Fetches `jwksUri` now (joining a fetch already under way). Unknown URIs are refused. */
  refresh(jwksUri: string): Promise<JwksFetchOutcome> {
    const entry = this.entries.get(jwksUri);
    if (!entry) {
      return Promise.resolve({
        ok: false,
        jwksUri,
        message: `jwksUri ${jwksUri}: not named by any RequestAuthentication`,
      });
    }
    entry.inflight ??= this.fetchInto(jwksUri, entry).finally(() => (entry.inflight = undefined));
    return entry.inflight;
  }

  /** Refetches every URI whose refresh (or, after a failure, retry) interval has passed. */
  async refreshDue(): Promise<JwksFetchOutcome[]> {
    const t = this.now();
    const due = [...this.entries].filter(([, e]) => {
      const since = t - (e.attemptedAt ?? -Infinity);
      return since >= (e.failing ? this.retryMs : this.refreshMs);
    });
    return Promise.all(due.map(([uri]) => this.refresh(uri)));
  }

  /** Resolves when no fetch is under way (for shutdown and tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.entries.values()].map(e => e.inflight));
  }

  /** Starts the background refresh (idempotent). */
  start(): void {
    if (this.interval !== undefined) return;
    const tick = Math.min(this.refreshMs, this.retryMs);
    this.interval = this.timers.setInterval(() => void this.refreshDue(), tick);
  }

  /** Stops the background refresh; cached key sets stay readable. */
  stop(): void {
    if (this.interval === undefined) return;
    this.timers.clearInterval(this.interval);
    this.interval = undefined;
  }

  private async fetchInto(jwksUri: string, entry: Entry): Promise<JwksFetchOutcome> {
    entry.attemptedAt = this.now();
    const result = await fetchJwksOnce(jwksUri, this.http);
    const refs = [...entry.refs].sort();
    if (!result.ok) {
      entry.failing = true;
      const message = `RequestAuthentication ${refs.join(", ")}: jwksUri ${jwksUri}: ${result.problem}`;
      this.log.warn(
        {
          requestAuthentication: refs,
          jwksUri,
          problem: result.problem,
          keptLastGood: entry.jwks !== undefined,
        },
        entry.jwks !== undefined
          ? "JWKS fetch failed; keeping the last good key set"
          : "JWKS fetch failed; tokens of this issuer are rejected until it succeeds",
      );
      return { ok: false, jwksUri, message };
    }
    entry.failing = false;
    entry.fetchedAt = this.now();
    const changed = entry.jwks !== result.jwks;
    entry.jwks = result.jwks;
    this.log.info(
      { requestAuthentication: refs, jwksUri, keys: result.keyCount, changed },
      "JWKS fetched",
    );
    // A policy may have been deleted while the fetch ran; only announce what is still wanted.
    if (changed && this.entries.get(jwksUri) === entry) {
      for (const l of this.listeners) l(jwksUri);
    }
    return { ok: true, jwksUri, changed };
  }
}
