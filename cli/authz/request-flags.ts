/**
 * `rig x explain` flags → the described request. Pure, so the parsing rules are tested without
 * a command line.
 */
import type { AuthzRequest } from "../../mesh/authz/request-attributes";

/** The request-describing flags as commander hands them over. */
export interface RequestFlags {
  fromPrincipal?: string;
  fromNamespace?: string;
  fromServiceAccount: string;
  trustDomain: string;
  sourceIp?: string;
  remoteIp?: string;
  port?: string;
  method: string;
  path: string;
  host?: string;
  header: string[];
  claim: string[];
  requestPrincipal?: string;
  tcp?: boolean;
}

/** `k=v` split at the first `=`; throws naming the flag when there is none. */
function pair(flag: string, text: string): [string, string] {
  const eq = text.indexOf("=");
  if (eq <= 0) throw new Error(`${flag} ${JSON.stringify(text)}: expected key=value`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

// A value that reads as a JSON list or object is a structured claim (`groups=["a","b"]`).
function claimValue(v: string): unknown {
  if (!/^[[{]/.test(v)) return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}

/** The claims of `--claim` (repeated keys make a list) and `--request-principal iss/sub`. */
export function claimsOf(
  claims: readonly string[],
  requestPrincipal?: string,
): Record<string, unknown> | undefined {
  if (claims.length === 0 && requestPrincipal === undefined) return undefined;
  const out: Record<string, unknown> = {};
  for (const c of claims) {
    const [k, v] = pair("--claim", c);
    const value = claimValue(v);
    const prev = out[k];
    out[k] = prev === undefined ? value : [...(Array.isArray(prev) ? prev : [prev]), value];
  }
  if (requestPrincipal !== undefined) {
    // Split at the last `/`: issuers are often URLs, subjects have no slash.
    const idx = requestPrincipal.lastIndexOf("/");
    if (idx <= 0)
      throw new Error(`--request-principal ${JSON.stringify(requestPrincipal)}: expected iss/sub`);
    out.iss = requestPrincipal.slice(0, idx);
    out.sub = requestPrincipal.slice(idx + 1);
  }
  return out;
}

/** The peer identity the flags describe, or undefined for a plaintext client. */
export function principalOf(f: RequestFlags): string | undefined {
  if (f.fromPrincipal !== undefined) return f.fromPrincipal.replace(/^spiffe:\/\//, "");
  if (f.fromNamespace !== undefined)
    return `${f.trustDomain}/ns/${f.fromNamespace}/sa/${f.fromServiceAccount}`;
  return undefined;
}

/** The request, or an error naming the flag that is wrong. */
export function requestOf(f: RequestFlags): AuthzRequest {
  const port = f.port === undefined ? undefined : Number(f.port);
  if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536))
    throw new Error(`--port ${JSON.stringify(f.port)}: must be an integer in [1, 65535]`);
  const principal = principalOf(f);
  const claims = claimsOf(f.claim, f.requestPrincipal);
  const headers = Object.fromEntries(f.header.map(h => pair("--header", h)));
  const base: AuthzRequest = {
    ...(principal !== undefined ? { principal } : {}),
    ...(f.sourceIp !== undefined ? { sourceIp: f.sourceIp } : {}),
    ...(f.remoteIp !== undefined ? { remoteIp: f.remoteIp } : {}),
    ...(port !== undefined ? { destinationPort: port } : {}),
  };
  if (f.tcp) return { ...base, protocol: "TCP" };
  return {
    ...base,
    protocol: "HTTP",
    method: f.method,
    path: f.path,
    ...(f.host !== undefined ? { host: f.host } : {}),
    headers,
    ...(claims ? { claims } : {}),
  };
}
