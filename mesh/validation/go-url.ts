/**
 * URL parsing as Go's net/url does it, for the checks Istio and the API server make with it: the
 * CRD's CEL `url(self)` (url.ParseRequestURI, then url.Parse) and Istio's security.ParseJwksURI
 * (url.Parse). The WHATWG URL parser of JavaScript differs (it refuses ports over 65535 and
 * `https://`, and accepts bad `%` escapes), so it cannot stand in for them.
 */

import { isIPv6 } from "./ip";

/** What a parsed URL is used for here: its lower-cased scheme and the port after its host. */
export interface GoUrl {
  readonly scheme: string;
  readonly port: string;
}

const HEX = /^[0-9a-fA-F]{2}$/;
// Characters net/url lets through in a host besides letters and digits (shouldEscape, encodeHost).
const HOST_CHARS = new Set("-_.~!$&'()*+,;=:[]<>\"");
const USERINFO_CHARS = new Set("-._:~!$&'()*+,;=%@");

const isAlnum = (c: string): boolean => /^[A-Za-z0-9]$/.test(c);

/** Go's unescape: the `%` escapes must be well formed; a host allows only some characters. */
function unescapeError(s: string, host: boolean): string | undefined {
  for (let i = 0; i < s.length; ) {
    const c = s[i] ?? "";
    if (c === "%") {
      const hex = s.slice(i + 1, i + 3);
      if (!HEX.test(hex)) return `invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`;
      // In a host, %-encoding is only for non-ASCII bytes (and %25 in an IPv6 zone).
      if (host && parseInt(hex[0] ?? "0", 16) < 8 && hex !== "25")
        return `invalid URL escape ${JSON.stringify(s.slice(i, i + 3))}`;
      i += 3;
      continue;
    }
    if (host && c.charCodeAt(0) < 0x80 && !isAlnum(c) && !HOST_CHARS.has(c))
      return `invalid character ${JSON.stringify(c)} in host name`;
    i++;
  }
  return undefined;
}

const validOptionalPort = (p: string): boolean => p === "" || /^:\d*$/.test(p);

/** Go's parseHost: the host and the port after it; an error text when it is not one. */
function parseHost(scheme: string, host: string): { port: string } | string {
  const open = host.lastIndexOf("[");
  if (open > 0) return "invalid IP-literal";
  if (open === 0) {
    const close = host.lastIndexOf("]");
    if (close < 0) return "missing ']' in host";
    const colonPort = host.slice(close + 1);
    if (!validOptionalPort(colonPort))
      return `invalid port ${JSON.stringify(colonPort)} after host`;
    const name = host.slice(1, close);
    const zone = name.indexOf("%25");
    const err = unescapeError(zone >= 0 ? name.slice(0, zone) : name, true);
    if (err) return err;
    // Only an IPv6 address may be bracketed (netip.ParseAddr; a zone follows %25).
    if (!isIPv6(zone >= 0 ? name.slice(0, zone) : name)) return "invalid host";
    return { port: colonPort.slice(1) };
  }
  let port = "";
  let i = host.indexOf(":");
  if (i !== -1) {
    // Go 1.26 refuses a second colon in an http(s) host; other schemes use the last one.
    if (scheme !== "http" && scheme !== "https") i = host.lastIndexOf(":");
    const colonPort = host.slice(i);
    if (!validOptionalPort(colonPort))
      return `invalid port ${JSON.stringify(colonPort)} after host`;
    port = colonPort.slice(1);
  }
  return unescapeError(host, true) ?? { port };
}

/**
 * Parses `raw` as Go's url.Parse (or url.ParseRequestURI when `viaRequest`); returns the error
 * text when Go refuses it.
 */
export function parseGoUrl(raw: string, viaRequest = false): GoUrl | string {
  let s = raw;
  let fragment: string | undefined;
  if (!viaRequest) {
    const hash = s.indexOf("#");
    if (hash >= 0) [s, fragment] = [s.slice(0, hash), s.slice(hash + 1)];
  }
  if ([...s].some(c => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f))
    return "net/url: invalid control character in URL";
  if (s === "" && viaRequest) return "empty url";
  if (s === "*") return { scheme: "", port: "" };
  let scheme = "";
  let rest = s;
  const m = /^([A-Za-z][A-Za-z0-9+.-]*)?:/.exec(s);
  if (s.startsWith(":")) return "missing protocol scheme";
  if (m?.[1] !== undefined) {
    scheme = m[1].toLowerCase();
    rest = s.slice(m[0].length);
  }
  if (rest.endsWith("?") && rest.indexOf("?") === rest.length - 1) rest = rest.slice(0, -1);
  else if (rest.includes("?")) rest = rest.slice(0, rest.indexOf("?"));
  if (!rest.startsWith("/")) {
    if (scheme !== "") return { scheme, port: "" }; // an opaque URL, e.g. mailto:a@b
    if (viaRequest) return "invalid URI for request";
    if ((rest.split("/")[0] ?? "").includes(":"))
      return "first path segment in URL cannot contain colon";
  }
  let port = "";
  if ((scheme !== "" || (!viaRequest && !rest.startsWith("///"))) && rest.startsWith("//")) {
    let authority = rest.slice(2);
    rest = "";
    const slash = authority.indexOf("/");
    if (slash >= 0) [authority, rest] = [authority.slice(0, slash), authority.slice(slash)];
    const at = authority.lastIndexOf("@");
    const host = parseHost(scheme, at < 0 ? authority : authority.slice(at + 1));
    if (typeof host === "string") return host;
    port = host.port;
    if (at >= 0) {
      const userinfo = authority.slice(0, at);
      if ([...userinfo].some(c => !isAlnum(c) && !USERINFO_CHARS.has(c)))
        return "net/url: invalid userinfo";
      const err = unescapeError(userinfo.replace(":", ""), false);
      if (err) return err;
    }
  }
  const err = unescapeError(rest, false) ?? (fragment ? unescapeError(fragment, false) : undefined);
  return err ?? { scheme, port };
}
