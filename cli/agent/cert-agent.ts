import { readFileSync } from "node:fs";
import type { Clock, KeyGenerator } from "../../ca/deps";
import { halfLife, rootTrustBundle, validityOf, type Validity } from "../../ca/rotation";
import { writeFilesAtomically } from "./atomic-files";
import { requestCertificate, type CaConnection } from "./request-certificate";

/**
 * `rig agent certs`: keeps a workload certificate in the three files a grpc-js-xds
 * `file_watcher` certificate provider reads, reissuing at half-life as Istio's agent does.
 */

/** The files, in the names Istio's proxyless bootstrap gives the `file_watcher` provider. */
export const CERT_FILES = {
  chain: "cert-chain.pem",
  key: "key.pem",
  roots: "root-cert.pem",
} as const;

/** What the agent needs. */
export interface CertAgentOptions {
  /** The CA (its roots are read from `rootCertFile`). */
  readonly ca: Omit<CaConnection, "rootsPem">;
  /** The projected ServiceAccount token (audience istio-ca); re-read for every request. */
  readonly tokenFile: string;
  /**
   * The mesh's trust bundle (the `istio-ca-root-cert` ConfigMap as mounted): verifies the CA and,
   * merged with the root the CA answers, becomes `root-cert.pem` — during a root rotation it holds
   * both roots, so peers on either keep verifying.
   */
  readonly rootCertFile: string;
  /** Folder to write the files in. */
  readonly outDir: string;
  /** Requested lifetime in seconds (0: the CA's default). */
  readonly ttlSeconds: number;
  /** Key generator. */
  readonly generateKey: KeyGenerator;
  /** Clock. */
  readonly now: Clock;
  /** Progress lines (never keys or tokens). */
  readonly log: (line: string) => void;
}

/** One issuance's outcome. */
export interface Renewal {
  /** Validity of the new leaf. */
  readonly validity: Validity;
  /** When to renew next. */
  readonly renewAt: Date;
}

/** Obtains a certificate and writes the three files atomically. */
export async function renewOnce(options: CertAgentOptions): Promise<Renewal> {
  const token = readText(options.tokenFile, "token file").trim();
  const trusted = readText(options.rootCertFile, "root certificate file");
  const obtained = await requestCertificate(
    { ...options.ca, rootsPem: trusted },
    token,
    options.ttlSeconds,
    options.generateKey,
  );
  const [leaf, ...rest] = obtained.certChain;
  const validity = validityOf(leaf!, "the CA's leaf certificate");
  if (!validity.ok) throw new Error(validity.errors.join("; "));
  const roots = rootTrustBundle(
    { current: rest[rest.length - 1]!, previous: [trusted] },
    options.now(),
  );
  if (!roots.ok) throw new Error(roots.errors.join("; "));
  writeFilesAtomically(options.outDir, {
    [CERT_FILES.chain]: { text: obtained.certChain.slice(0, -1).join("") },
    [CERT_FILES.key]: { text: obtained.keyPem, mode: 0o600 },
    [CERT_FILES.roots]: { text: roots.value.join("") },
  });
  const renewAt = halfLife(validity.value);
  options.log(
    `wrote ${CERT_FILES.chain}, ${CERT_FILES.key}, ${CERT_FILES.roots} in ${options.outDir}: ` +
      `valid until ${validity.value.notAfter.toISOString()}, renewing at ${renewAt.toISOString()}`,
  );
  return { validity: validity.value, renewAt };
}

/** Delay before retry `attempt` (0-based): 1 s doubling to 60 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6));
}

/**
 * Renews forever: at half-life after each success, with backoff after failures (a failure does
 * not touch the files, so the workload keeps its still-valid certificate). Resolves when
 * `signal` aborts.
 */
export async function runCertAgent(options: CertAgentOptions, signal: AbortSignal): Promise<void> {
  let attempt = 0;
  while (!signal.aborted) {
    let waitMs: number;
    try {
      const renewal = await renewOnce(options);
      attempt = 0;
      waitMs = Math.max(0, renewal.renewAt.getTime() - options.now().getTime());
    } catch (err) {
      waitMs = retryDelayMs(attempt++);
      options.log(`certificate request failed (retrying in ${waitMs / 1000}s): ${describe(err)}`);
    }
    await sleep(waitMs, signal);
  }
}

/** A gRPC error as `CODE: message`, other errors by message. */
export function describe(err: unknown): string {
  const e = err as { code?: number; details?: string; message?: string };
  if (typeof e?.code === "number" && e.details !== undefined) {
    return `${GRPC_CODES[e.code] ?? `code ${e.code}`}: ${e.details}`;
  }
  return e?.message ?? String(err);
}

const GRPC_CODES: Record<number, string> = {
  3: "INVALID_ARGUMENT",
  4: "DEADLINE_EXCEEDED",
  7: "PERMISSION_DENIED",
  13: "INTERNAL",
  14: "UNAVAILABLE",
  16: "UNAUTHENTICATED",
};

function readText(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new Error(`${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? "unreadable"}`);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    // setTimeout takes at most 2^31-1 ms (~24.8 days); a longer wait just renews early.
    const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
