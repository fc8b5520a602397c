/**
 * One guarded HTTP(S) GET of a `jwksUri` with Node's fetch: the operator's deny-list checked
 * against the host name and every resolved address (again after each redirect), a timeout over
 * the whole exchange, a body-size limit enforced while streaming, and the body validated as a
 * public-key JWKS. Problems come back as short sentences that never quote the body.
 *
 * The deny-list is checked on our own resolution of the name; fetch resolves it again when it
 * connects, so a name whose DNS answer changes between the two (DNS rebinding) can slip past.
 * Operators who need a hard guarantee should also block egress at the network layer.
 */
import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { FetchDenyList } from "../mesh/authn/fetch-deny-list";
import { parseJwksDocument } from "../mesh/authn/jwks-document";

/** Resolves a host name to every address it has (IPv4 and IPv6). */
export type ResolveHost = (host: string) => Promise<string[]>;

/** The system resolver (`getaddrinfo`, as fetch itself uses). */
export const systemResolve: ResolveHost = async host =>
  (await lookup(host, { all: true, verbatim: true })).map(a => a.address);

/** Timer functions, injectable so tests control time. */
export interface TimeoutTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Limits and collaborators for one fetch. */
export interface JwksHttpOptions {
  readonly denyList: FetchDenyList;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly maxRedirects: number;
  readonly resolve: ResolveHost;
  readonly fetch: typeof fetch;
  readonly timers: TimeoutTimers;
}

/** The validated JWKS text, or the problem in one sentence. */
export type JwksHttpResult =
  | { readonly ok: true; readonly jwks: string; readonly keyCount: number }
  | { readonly ok: false; readonly problem: string };

class Refused extends Error {}

async function checkDestination(url: URL, opts: JwksHttpOptions): Promise<void> {
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new Refused(`scheme ${url.protocol} is not http: or https:`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const byName = opts.denyList.blockedHost(host);
  if (byName) throw new Refused(`host ${host} is blocked by the deny-list entry ${byName}`);
  if (opts.denyList.entries.length === 0) return;
  const addresses = isIP(host) ? [host] : await opts.resolve(host);
  for (const address of addresses) {
    const entry = opts.denyList.blockedAddress(address);
    if (entry) {
      throw new Refused(
        `host ${host} resolves to ${address}, blocked by the deny-list entry ${entry}`,
      );
    }
  }
}

/** Reads at most `maxBytes`; cancels the stream (closing the connection) past that. */
async function readLimited(res: Response, maxBytes: number): Promise<string> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await res.body?.cancel().catch(() => undefined);
    throw new Refused(`response declares ${declared} bytes, over the ${maxBytes}-byte limit`);
  }
  if (!res.body) return "";
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw new Refused(`response body exceeds the ${maxBytes}-byte limit`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

async function exchange(uri: string, opts: JwksHttpOptions, signal: AbortSignal) {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new Refused("is not a URL");
  }
  // Redirects are followed by hand so that every hop passes the deny-list.
  for (let hop = 0; ; hop++) {
    await checkDestination(url, opts);
    const res = await opts.fetch(url, {
      redirect: "manual",
      signal,
      headers: { accept: "application/json, application/jwk-set+json" },
    });
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel().catch(() => undefined);
      if (hop >= opts.maxRedirects) throw new Refused(`more than ${opts.maxRedirects} redirects`);
      url = new URL(location, url);
      continue;
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      throw new Refused(`HTTP status ${res.status}`);
    }
    return readLimited(res, opts.maxBytes);
  }
}

function describe(err: unknown): string {
  if (err instanceof Refused) return err.message;
  const cause = (err as { cause?: { code?: string; message?: string } })?.cause;
  const detail = cause?.code ?? cause?.message ?? (err as Error)?.message ?? String(err);
  return `request failed: ${detail}`;
}

/** Fetches and validates one JWKS; never throws. */
export async function fetchJwksOnce(uri: string, opts: JwksHttpOptions): Promise<JwksHttpResult> {
  const controller = new AbortController();
  let timer: unknown;
  // Rejects after the timeout even if a step (DNS, a stalled body) ignores the abort signal.
  const timeout = new Promise<never>((_, reject) => {
    timer = opts.timers.setTimeout(() => {
      reject(new Refused(`no complete response within ${opts.timeoutMs} ms`));
      controller.abort();
    }, opts.timeoutMs);
  });
  try {
    const body = await Promise.race([exchange(uri, opts, controller.signal), timeout]);
    const parsed = parseJwksDocument(body);
    if (!parsed.ok) return { ok: false, problem: parsed.errors.join("; ") };
    return { ok: true, jwks: parsed.value, keyCount: parsed.keyCount };
  } catch (err) {
    return { ok: false, problem: describe(err) };
  } finally {
    opts.timers.clearTimeout(timer);
    timeout.catch(() => undefined);
  }
}
