import { reloadAuthority, type Authority } from "../ca/authority";
import type { Clock, KeyGenerator, RandomBytes, SignerFactory } from "../ca/deps";
import { fromSecretData, toSecretData } from "../ca/secret-data";
import { createSelfSignedRoot } from "../ca/self-signed-root";
import { DEFAULT_TRUST_DOMAIN } from "../ca/spiffe";
import { DEFAULT_TTL_POLICY, type TtlPolicy } from "../ca/ttl";
import { PLUGIN_CA_SECRET, SELF_SIGNED_CA_SECRET, type CaSecretStore } from "./ca-secrets";
import type { ControlPlaneLogger } from "./logger";
import {
  adoptPublishedRoots,
  initialTrust,
  publishedBundle,
  pruneTrust,
  rotateTrust,
  type TrustState,
} from "./trust-bundle";

/**
 * The control plane's CA at run time: which authority signs (Istio's order — the plug-in
 * `cacerts` Secret if present, else the persisted self-signed root, generated on first start),
 * what root bundle workloads must trust, and who to tell when either changes. Every load goes
 * through `ca/`'s checks; a refused Secret leaves the previous authority in service.
 */

/** Runtime dependencies (Node's crypto in production; see `ca/server/node-crypto.ts`). */
export interface MeshCaDeps {
  readonly now: Clock;
  readonly randomBytes: RandomBytes;
  readonly signerFor: SignerFactory;
  readonly generateKey: KeyGenerator;
}

/** Settings of the mesh CA. */
export interface MeshCaOptions {
  /** The CA Secrets. */
  readonly store: CaSecretStore;
  /** Where lifecycle and refusals are logged. */
  readonly logger: ControlPlaneLogger;
  /** Crypto, clock and randomness. */
  readonly deps: MeshCaDeps;
  /** Workload certificate lifetimes; the maximum also bounds how long a replaced root stays. */
  readonly policy?: TtlPolicy;
  /** Trust domain, also the self-signed root's organisation. @default cluster.local */
  readonly trustDomain?: string;
  /** The bundle published before this process started, to keep retiring roots across restarts. */
  readonly readPublishedBundle?: () => Promise<string | undefined>;
}

/** Which Secret the authority came from. */
export type CaSource = typeof PLUGIN_CA_SECRET | typeof SELF_SIGNED_CA_SECRET;

/** What changed, for listeners. */
export interface MeshCaChange {
  /** The authority now signing (possibly unchanged when only the bundle changed). */
  readonly authority: Authority;
  /** The `root-cert.pem` to publish. */
  readonly bundle: string;
  /** Whether the signing authority itself changed (the serving certificate must be reissued). */
  readonly authorityChanged: boolean;
}

/** The mesh's certificate authority and its trust bundle. */
export class MeshCa {
  readonly policy: TtlPolicy;
  #trustDomain: string;
  readonly #options: MeshCaOptions;
  readonly #listeners = new Set<(change: MeshCaChange) => void>();
  #authority: Authority | undefined;
  #source: CaSource | undefined;
  #trust: TrustState | undefined;
  #bundle = "";
  #queue: Promise<void> = Promise.resolve();
  #bootstrapped: Promise<void> | undefined;
  #publishedAtStart: string | undefined;

  constructor(options: MeshCaOptions) {
    this.#options = options;
    this.policy = options.policy ?? DEFAULT_TTL_POLICY;
    this.#trustDomain = options.trustDomain ?? DEFAULT_TRUST_DOMAIN;
  }

  /** The trust domain certificates are issued in (MeshConfig `trustDomain`). */
  get trustDomain(): string {
    return this.#trustDomain;
  }

  /**
   * Issues later certificates in `trustDomain` (a MeshConfig change). Certificates already
   * issued keep theirs until renewed; `trustDomainAliases` lets policies accept both meanwhile.
   */
  useTrustDomain(trustDomain: string): void {
    this.#trustDomain = trustDomain;
  }

  /** The signing authority, or undefined while none is loaded. */
  authority(): Authority | undefined {
    return this.#authority;
  }

  /** The Secret the authority came from. */
  source(): CaSource | undefined {
    return this.#source;
  }

  /** The `root-cert.pem` workloads should trust ("" while no authority is loaded). */
  bundle(): string {
    return this.#bundle;
  }

  /** Calls `listener` after every change of authority or bundle; returns the unsubscriber. */
  onChange(listener: (change: MeshCaChange) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Loads (or creates) the authority once; later calls wait for the same load. */
  bootstrap(): Promise<void> {
    this.#bootstrapped ??= (async () => {
      // Read before the first load, so the first bundle published already keeps the roots a
      // previous process was still retiring.
      const read = this.#options.readPublishedBundle;
      this.#publishedAtStart = read ? await read().catch(() => undefined) : undefined;
      await this.reload();
    })();
    return this.#bootstrapped;
  }

  /**
   * Re-reads the CA Secrets and switches authority if they changed (a watch on either Secret
   * calls this). Reloads run one at a time, in order.
   */
  reload(): Promise<void> {
    const next = this.#queue.then(() => this.#select());
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** Drops retired roots from the bundle; tells listeners when the bundle changed. */
  retireRoots(): void {
    if (!this.#trust || !this.#authority) return;
    this.#trust = pruneTrust(this.#trust, this.#options.deps.now());
    this.#publish(false);
  }

  async #select(): Promise<void> {
    const { store, logger } = this.#options;
    const plugin = await store.read(PLUGIN_CA_SECRET);
    if (plugin !== undefined) return this.#load(PLUGIN_CA_SECRET, plugin);
    const persisted = await store.read(SELF_SIGNED_CA_SECRET);
    if (persisted !== undefined) return this.#load(SELF_SIGNED_CA_SECRET, persisted);

    const { deps } = this.#options;
    const root = createSelfSignedRoot({
      key: deps.generateKey,
      now: deps.now,
      randomBytes: deps.randomBytes,
      signerFor: deps.signerFor,
      trustDomain: this.trustDomain,
    });
    if (!root.ok) throw new Error(root.errors.join("; "));
    const outcome = await store.createIfAbsent(
      SELF_SIGNED_CA_SECRET,
      toSecretData(root.value.files),
    );
    if (outcome === "created") {
      logger.info(
        { secret: `${store.namespace}/${SELF_SIGNED_CA_SECRET}` },
        "generated a self-signed root CA and persisted it",
      );
      return this.#load(SELF_SIGNED_CA_SECRET, toSecretData(root.value.files));
    }
    // Another starter created it between our read and create: its root wins, ours is dropped,
    // so every replica signs under the same root.
    const winner = await store.read(SELF_SIGNED_CA_SECRET);
    if (winner === undefined)
      throw new Error(`Secret ${SELF_SIGNED_CA_SECRET} vanished after a conflict`);
    logger.info(
      { secret: `${store.namespace}/${SELF_SIGNED_CA_SECRET}` },
      "another replica created the self-signed root first; signing under its root",
    );
    return this.#load(SELF_SIGNED_CA_SECRET, winner);
  }

  #load(source: CaSource, data: Record<string, string>): void {
    const { store, logger, deps } = this.#options;
    const secret = `Secret ${store.namespace}/${source}`;
    const files = fromSecretData(data);
    const loaded = files.ok
      ? reloadAuthority(this.#authority, files.value, { now: deps.now, signerFor: deps.signerFor })
      : { authority: this.#authority, errors: files.errors };
    if (loaded.errors.length > 0) {
      logger.error(
        {
          secret: `${store.namespace}/${source}`,
          problems: loaded.errors.map(e => `${secret}: ${e}`),
          keptPrevious: this.#authority !== undefined,
        },
        this.#authority
          ? `CA refused ${secret}; still signing with the previous authority (${this.#source})`
          : `CA refused ${secret}; no authority is loaded, certificate requests are refused`,
      );
      return;
    }
    const authority = loaded.authority!;
    const changed =
      !this.#authority ||
      this.#authority.signing.fingerprint !== authority.signing.fingerprint ||
      this.#authority.chainPem.join("") !== authority.chainPem.join("");
    const roots = authority.trustBundlePem.join("");
    const at = deps.now();
    if (!this.#trust) {
      this.#trust = adoptPublishedRoots(
        initialTrust(roots),
        this.#publishedAtStart,
        at,
        this.policy,
      );
    } else if (this.#trust.current !== roots) {
      const rotated = rotateTrust(this.#trust, roots, at, this.policy);
      if (rotated.ok) this.#trust = rotated.value;
    }
    this.#authority = authority;
    this.#source = source;
    if (changed) {
      logger.info(
        { secret: `${store.namespace}/${source}`, signingSha256: fingerprintOf(authority) },
        "CA authority loaded",
      );
    }
    this.#publish(changed);
  }

  #publish(authorityChanged: boolean): void {
    if (!this.#trust || !this.#authority) return;
    const bundle = publishedBundle(this.#trust, this.#options.deps.now());
    if (!bundle.ok) {
      this.#options.logger.error({ problems: bundle.errors }, "CA trust bundle could not be built");
      return;
    }
    if (!authorityChanged && bundle.value === this.#bundle) return;
    this.#bundle = bundle.value;
    const change = { authority: this.#authority, bundle: bundle.value, authorityChanged };
    for (const listener of [...this.#listeners]) {
      try {
        listener(change);
      } catch (err) {
        this.#options.logger.warn({ err: String(err) }, "CA change listener failed");
      }
    }
  }
}

function fingerprintOf(authority: Authority): string {
  return authority.signing.fingerprint.slice(0, 16);
}
