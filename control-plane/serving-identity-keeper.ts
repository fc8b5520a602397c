import type { IssueDeps, KeyGenerator } from "../ca/deps";
import { halfLife } from "../ca/rotation";
import type { ControlPlaneLogger } from "./logger";
import type { MeshCa } from "./mesh-ca";
import {
  issueServingIdentity,
  RotatingServerCredentials,
  type ServingIdentity,
} from "./serving-credentials";

/** What the 15012 certificate is issued for, and with what. */
export interface ServingIdentityOptions {
  readonly ca: MeshCa;
  readonly deps: IssueDeps;
  readonly dnsNames: readonly string[];
  readonly ttlSeconds: number;
  readonly generateKey: KeyGenerator;
  readonly logger: ControlPlaneLogger;
}

/**
 * Holds the control plane's serving identity (the 15012 certificate from the mesh CA) and the
 * one credentials object the TLS server binds with. Renewing swaps the identity inside those
 * credentials, so the port is never rebound: at half-life, and when the CA's authority changes.
 */
export class ServingIdentityKeeper {
  #identity: ServingIdentity | undefined;
  #credentials: RotatingServerCredentials | undefined;

  constructor(private readonly options: ServingIdentityOptions) {}

  /** The credentials to bind with, issuing the first identity if needed; none without a CA authority. */
  credentials(): RotatingServerCredentials | undefined {
    if (!this.#identity && !this.renew()) return undefined;
    this.#credentials ??= new RotatingServerCredentials(this.#identity!);
    return this.#credentials;
  }

  /** Whether a TLS server holds these credentials (renewal then matters). */
  get inUse(): boolean {
    return this.#credentials !== undefined;
  }

  /** Issues a fresh identity and serves it from the next handshake; false (logged) on failure. */
  renew(): boolean {
    const { ca, deps, logger } = this.options;
    const authority = ca.authority();
    if (!authority) return false;
    const issued = issueServingIdentity(
      authority,
      {
        dnsNames: this.options.dnsNames,
        ttlSeconds: this.options.ttlSeconds,
        generateKey: this.options.generateKey,
      },
      deps,
    );
    if (!issued.ok) {
      logger.error(
        { problems: issued.errors },
        "could not issue the control plane's serving certificate",
      );
      return false;
    }
    this.#identity = issued.value;
    this.#credentials?.update(issued.value);
    logger.info(
      { notAfter: issued.value.notAfter.toISOString() },
      "issued the control plane's serving certificate",
    );
    return true;
  }

  /** Renews when the current identity is past half its life (Istio's rotation point). */
  renewIfDue(): void {
    if (this.#identity && this.options.deps.now() >= halfLife(this.#identity)) this.renew();
  }
}
