/**
 * Go's net/url as Istio (security.ParseJwksURI) and the CRD's CEL `url()` read a URL: where it
 * differs from JavaScript's WHATWG parser, which cannot stand in for it.
 */
import { parseGoUrl } from "../../../mesh/validation/go-url";

describe("parseGoUrl (Go's url.Parse)", () => {
  it.each([
    ["https://example.com/.well-known/jwks.json", { scheme: "https", port: "" }],
    ["HTTPS://example.com:8443/keys", { scheme: "https", port: "8443" }],
    // WHATWG refuses both; Go accepts them, and so does Istio.
    ["https://example.com:99999/keys", { scheme: "https", port: "99999" }],
    ["https://", { scheme: "https", port: "" }],
    ["https://[::1]:443/keys", { scheme: "https", port: "443" }],
    ["https://user:pass@example.com/keys", { scheme: "https", port: "" }],
    ["mailto:a@b", { scheme: "mailto", port: "" }],
    ["/relative/path", { scheme: "", port: "" }],
    ["a:b/c:d", { scheme: "a", port: "" }],
  ])("accepts %s", (raw, want) => {
    expect(parseGoUrl(raw)).toEqual(want);
  });

  it.each([
    // WHATWG accepts a bad escape; Go refuses it.
    ["https://example.com/a%zzb", /invalid URL escape "%zz"/],
    ["https://example.com:80a/keys", /invalid port ":80a" after host/],
    ["https://exa mple.com/keys", /invalid character " " in host name/],
    ["https://[::1/keys", /missing ']' in host/],
    ["https://[example.com]/keys", /invalid host/],
    ["https://example.com/\u0007", /invalid control character/],
    [":no-scheme", /missing protocol scheme/],
    ["1a:b", /first path segment in URL cannot contain colon/],
  ])("refuses %s, saying why", (raw, why) => {
    expect(parseGoUrl(raw)).toEqual(expect.stringMatching(why));
  });

  it("as url.ParseRequestURI, refuses a relative or empty URI", () => {
    expect(parseGoUrl("relative/path", true)).toBe("invalid URI for request");
    expect(parseGoUrl("", true)).toBe("empty url");
    expect(parseGoUrl("https://example.com/keys", true)).toEqual({ scheme: "https", port: "" });
  });
});
