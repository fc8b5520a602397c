/**
 * HTTP header names and values in routing rules. Rules follow Istio's validation.go
 * (ValidateHTTPHeaderNameOrJwtClaimRoute, ValidateHTTPHeaderOperationName, ValidateHTTPHeaderValue)
 * and Envoy's custom header syntax
 * (https://www.envoyproxy.io/docs/envoy/latest/configuration/http/http_conn_man/headers#custom-request-response-headers).
 */

// RFC 7230 token characters.
const TOKEN = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;
const STRICT = /^[-_A-Za-z0-9]+$/;
const PSEUDO = new Set([":method", ":scheme", ":authority", ":path", ":status"]);
const JWT_CLAIM_PREFIX = "@request.auth.claims";

/** Whether a match key routes on a JWT claim (`@request.auth.claims.sub`, `...[groups]`). */
export function isJwtClaimRoute(name: string): boolean {
  if (!name.toLowerCase().startsWith(JWT_CLAIM_PREFIX)) return false;
  const rest = name.slice(JWT_CLAIM_PREFIX.length);
  return (
    (rest.startsWith(".") && rest.length > 1) ||
    (rest.startsWith("[") && rest.endsWith("]") && rest.length > 2)
  );
}

/** A header name in a match: a token, a pseudo-header or a JWT claim route. */
export function checkMatchHeaderName(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  if (isJwtClaimRoute(name) || PSEUDO.has(name) || TOKEN.test(name)) return undefined;
  return `header name ${name} is not a valid header name`;
}

/** A header name in a CORS list: a token or `*`. */
export function checkCorsHeaderName(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  return name === "*" || TOKEN.test(name)
    ? undefined
    : `header name ${name} is not a valid header name`;
}

/** A header name for JWT claim output or probes: letters, digits, `-` and `_` only. */
export function checkStrictHeaderName(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  return STRICT.test(name) ? undefined : `header name ${name} is not a valid header name`;
}

/** Whether a header is the authority (`:authority` or `host`). */
export function isAuthorityHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n === ":authority" || n === "host";
}

function isInternalHeader(name: string): boolean {
  return name.startsWith(":") || name.toLowerCase() === "host";
}

/** A request header to add or set: anything but pseudo-headers, except the authority. */
export function checkRequestHeaderSet(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  if (isInternalHeader(name) && !isAuthorityHeader(name))
    return `invalid header ${JSON.stringify(name)}: header cannot have ":" prefix`;
  return undefined;
}

/** A header to remove, or a response header to change: not Host, not a pseudo-header. */
export function checkHeaderOperationName(name: string): string | undefined {
  if (name === "") return "header name cannot be empty";
  if (name.toLowerCase() === "host")
    return `invalid header ${JSON.stringify(name)}: cannot set Host header`;
  if (isInternalHeader(name))
    return `invalid header ${JSON.stringify(name)}: header cannot have ":" prefix`;
  return undefined;
}

/**
 * A header value: no control characters, and `%` either doubled (`%%`) or opening a complete
 * Envoy variable such as `%HOSTNAME%` or `%REQ(x-user)%`.
 */
export function checkHeaderValue(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000A-\u001F\u007F]/.test(value))
    return `header value configuration ${value} is invalid`;
  let i = 0;
  while (i < value.length) {
    if (value[i] !== "%") {
      i++;
      continue;
    }
    if (i === value.length - 1)
      return "header value configuration: invalid header configuration. Un-escaped %";
    if (value[i + 1] === "%") {
      i += 2;
      continue;
    }
    // A variable: find its closing %, skipping a parenthesised argument list that may hold quotes.
    let j = i + 1;
    let depth = 0;
    let inString = false;
    for (; j < value.length; j++) {
      const ch = value[j];
      if (inString) {
        if (ch === "\\") j++;
        else if (ch === '"') inString = false;
      } else if (ch === '"' && depth > 0) inString = true;
      else if (ch === "(") depth++;
      else if (ch === ")") depth = Math.max(0, depth - 1);
      else if (ch === "%" && depth === 0) break;
    }
    if (j >= value.length) {
      return `header value configuration: invalid header configuration. Un-terminated variable expression '${value}'`;
    }
    i = j + 1;
  }
  return undefined;
}
