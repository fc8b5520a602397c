/**
 * One AuthorizationPolicy value → one Envoy RBAC principal or permission, per attribute, as
 * Istio's generators write them (pilot/pkg/security/authz/model/generator.go): peer identities
 * against the certificate's URI SAN, request principals and claims against the jwt_authn
 * payload, addresses as CIDR ranges, and HTTP-only attributes refused on TCP.
 */
import { ATTRIBUTES } from "../../../../mesh/authz/attributes";
import { generateValue, generateValues } from "../../../../xds/compile/security/rbac-attributes";

const JWT = "envoy.filters.http.jwt_authn";
/** A jwt_authn payload claim matcher, as a principal. */
const claim = (name: string, string_match: object) => ({
  metadata: { filter: JWT, path: [{ key: "payload" }, { key: name }], value: { string_match } },
});
const ANY = { safe_regex: { regex: ".+" } };
/** An authenticated principal whose URI SAN matches `principal_name`. */
const peer = (principal_name: object) => ({ authenticated: { principal_name } });

describe("source identities: matched against the peer certificate's SPIFFE URI", () => {
  it.each([
    [
      "principals: exact, behind spiffe://",
      "cluster.local/ns/foo/sa/bar",
      { exact: "spiffe://cluster.local/ns/foo/sa/bar" },
    ],
    [
      "principals: a prefix",
      "cluster.local/ns/foo/*",
      { prefix: "spiffe://cluster.local/ns/foo/" },
    ],
    [
      "principals: a suffix is a regex after spiffe://, quoting its dots",
      "*/sa/bar.v1",
      { safe_regex: { regex: "spiffe://.*/sa/bar\\.v1" } },
    ],
    ["principals: `*` is any non-empty identity (mTLS required)", "*", ANY],
  ])("%s", (_, value, want) => {
    expect(
      generateValue(ATTRIBUTES.sourcePrincipal, "source.principal", value, false, "ns1"),
    ).toEqual({ value: peer(want) });
  });

  it.each([
    ["namespaces: the /ns/<ns>/ segment", "foo", ".*/ns/foo/.*"],
    ["namespaces: `*` inside a name matches any characters", "team-*", ".*/ns/team-.*/.*"],
    ["namespaces: regex metacharacters are quoted", "a.b", ".*/ns/a\\.b/.*"],
  ])("%s", (_, value, regex) => {
    expect(generateValue(ATTRIBUTES.sourceNamespace, "source.namespace", value, true, "x")).toEqual(
      {
        value: peer({ safe_regex: { regex } }),
      },
    );
  });

  it("serviceAccounts: a bare name is in the policy's namespace; ns/name names another", () => {
    const sa = (value: string) =>
      generateValue(ATTRIBUTES.serviceAccount, "source.serviceAccount", value, false, "prod");
    expect(sa("reader")).toEqual({
      value: peer({ safe_regex: { regex: "spiffe://.+/ns/prod/(.+/|)sa/reader(/.+)?" } }),
    });
    expect(sa("other/reader")).toEqual({
      value: peer({ safe_regex: { regex: "spiffe://.+/ns/other/(.+/|)sa/reader(/.+)?" } }),
    });
  });

  it.each([
    ["`*`: any SPIFFE identity", "*", { prefix: "spiffe://" }],
    ["a name: that trust domain, ended by /", "td1", { prefix: "spiffe://td1/" }],
    [
      "a wildcard stays within the trust domain segment",
      "*.example.com",
      { safe_regex: { regex: "spiffe://[^/]*\\.example\\.com/.*" } },
    ],
  ])("trustDomains %s", (_, value, want) => {
    expect(
      generateValue(ATTRIBUTES.sourceTrustDomain, "source.trustDomain", value, false, "x"),
    ).toEqual({ value: peer(want) });
  });
});

describe("addresses and ports", () => {
  it("ipBlocks match the connection's peer, remoteIpBlocks the original client", () => {
    expect(generateValue(ATTRIBUTES.sourceIp, "source.ip", "10.0.0.0/8", true, "x")).toEqual({
      value: { direct_remote_ip: { address_prefix: "10.0.0.0", prefix_len: { value: 8 } } },
    });
    expect(generateValue(ATTRIBUTES.remoteIp, "remote.ip", "192.0.2.7", true, "x")).toEqual({
      value: { remote_ip: { address_prefix: "192.0.2.7", prefix_len: { value: 32 } } },
    });
  });

  it("destination.ip and destination.port are permissions on the local address", () => {
    expect(
      generateValue(ATTRIBUTES.destinationIp, "destination.ip", "10.1.0.0/16", true, "x"),
    ).toEqual({
      value: { destination_ip: { address_prefix: "10.1.0.0", prefix_len: { value: 16 } } },
    });
    expect(
      generateValue(ATTRIBUTES.destinationPort, "destination.port", "8080", true, "x"),
    ).toEqual({
      value: { destination_port: 8080 },
    });
  });

  it.each([
    [ATTRIBUTES.sourceIp, "source.ip", "10.0.0.300", '"10.0.0.300" is not a valid IP address'],
    [ATTRIBUTES.remoteIp, "remote.ip", "10.0.0.0/40", '"10.0.0.0/40" is not a valid CIDR block'],
    [
      ATTRIBUTES.destinationPort,
      "destination.port",
      "65536",
      'invalid port "65536": must be an integer in [0, 65535]',
    ],
    [
      ATTRIBUTES.destinationPort,
      "destination.port",
      "http",
      'invalid port "http": must be an integer in [0, 65535]',
    ],
  ])("refuses %s %s", (attribute, key, value, error) => {
    expect(generateValue(attribute, key, value, false, "x")).toEqual({ error });
  });

  it("connection.sni matches the requested server name", () => {
    expect(
      generateValue(ATTRIBUTES.connectionSni, "connection.sni", "*.example.com", true, "x"),
    ).toEqual({
      value: { requested_server_name: { suffix: ".example.com" } },
    });
  });
});

describe("operations: HTTP only", () => {
  it("hosts match :authority case-insensitively; methods match :method as written", () => {
    expect(generateValue(ATTRIBUTES.host, ":authority", "Example.COM", false, "x")).toEqual({
      value: {
        header: { name: ":authority", string_match: { exact: "Example.COM", ignore_case: true } },
      },
    });
    expect(generateValue(ATTRIBUTES.method, ":method", "GET", false, "x")).toEqual({
      value: { header: { name: ":method", string_match: { exact: "GET" } } },
    });
  });

  it("paths match the path without query; {*} and {**} make a uri_template", () => {
    expect(generateValue(ATTRIBUTES.path, "path-matcher", "/api/*", false, "x")).toEqual({
      value: { url_path: { path: { prefix: "/api/" } } },
    });
    const template = generateValue(ATTRIBUTES.path, "path-matcher", "/v1/{*}/items", false, "x");
    expect(template).toMatchObject({
      value: { uri_template: { typed_config: { path_template: "/v1/*/items" } } },
    });
  });

  it.each([
    [ATTRIBUTES.host, ":authority", "a.com"],
    [ATTRIBUTES.method, ":method", "GET"],
    [ATTRIBUTES.path, "path-matcher", "/"],
    [ATTRIBUTES.requestHeader, "request.headers[x-user]", "alice"],
  ])("on TCP, %s cannot apply", (attribute, key, value) => {
    expect(generateValue(attribute, key, value, true, "x")).toEqual({
      error: `${JSON.stringify(key)} is HTTP only`,
    });
  });

  it("request.headers[<name>] matches that header; a key without brackets is refused", () => {
    expect(
      generateValue(ATTRIBUTES.requestHeader, "request.headers[x-user]", "admin-*", false, "x"),
    ).toEqual({ value: { header: { name: "x-user", string_match: { prefix: "admin-" } } } });
    expect(
      generateValue(ATTRIBUTES.requestHeader, "request.headers.x-user", "a", false, "x"),
    ).toEqual({
      error: "expecting format request.headers[<NAME>], but found request.headers.x-user",
    });
  });
});

describe("requestPrincipals: iss/sub of a verified JWT", () => {
  const rp = (values: string[], forTCP = false) =>
    generateValues(ATTRIBUTES.requestPrincipal, "request.auth.principal", values, forTCP);
  const both = (iss: object, sub: object) => ({
    and_ids: { ids: [claim("iss", iss), claim("sub", sub)] },
  });

  it.each([
    [
      "split at the last /, so a URL issuer stays whole",
      "https://accounts.example.com/realms/a/user-1",
      both({ exact: "https://accounts.example.com/realms/a" }, { exact: "user-1" }),
    ],
    ["`*`: any issuer and any subject", "*", both(ANY, ANY)],
    ["*/sub: any issuer, that subject", "*/user-1", both(ANY, { exact: "user-1" })],
    ["iss/*: that issuer, any subject", "https://idp/*", both({ exact: "https://idp" }, ANY)],
    [
      "a suffix with no / matches the subject",
      "*@example.com",
      both(ANY, { suffix: "@example.com" }),
    ],
    [
      "a prefix with no / matches the issuer",
      "accounts.example*",
      both({ prefix: "accounts.example" }, ANY),
    ],
  ])("%s", (_, value, want) => {
    expect(rp([value])).toEqual({ value: want });
  });

  it("several values are an OR; none generate nothing", () => {
    expect(rp(["a/1", "b/2"])).toEqual({
      value: {
        or_ids: {
          ids: [both({ exact: "a" }, { exact: "1" }), both({ exact: "b" }, { exact: "2" })],
        },
      },
    });
    expect(rp([])).toEqual({});
  });

  it("on TCP it cannot apply: there is no token", () => {
    expect(rp(["a/1"], true)).toEqual({ error: '"request.auth.principal" is HTTP only' });
  });
});

describe("JWT claims: a scalar or one element of a list", () => {
  const listOrScalar = (path: string[], value: object) => ({
    metadata: {
      filter: JWT,
      path: path.map(key => ({ key })),
      value: { or_match: { value_matchers: [{ list_match: { one_of: value } }, value] } },
    },
  });

  it("request.auth.audiences reads aud, request.auth.presenter azp", () => {
    expect(
      generateValues(ATTRIBUTES.requestAudiences, "request.auth.audiences", ["api"], false),
    ).toEqual({ value: listOrScalar(["payload", "aud"], { string_match: { exact: "api" } }) });
    expect(
      generateValues(ATTRIBUTES.requestPresenter, "request.auth.presenter", ["web*"], false),
    ).toEqual({ value: listOrScalar(["payload", "azp"], { string_match: { prefix: "web" } }) });
  });

  it("request.auth.claims[a][b] walks nested claims; several values are an OR", () => {
    expect(
      generateValues(
        ATTRIBUTES.requestClaim,
        "request.auth.claims[realm_access][roles]",
        ["admin", "ops"],
        false,
      ),
    ).toEqual({
      value: listOrScalar(["payload", "realm_access", "roles"], {
        or_match: {
          value_matchers: [
            { string_match: { exact: "admin" } },
            { string_match: { exact: "ops" } },
          ],
        },
      }),
    });
  });

  it("a claim key without brackets is refused, and every claim is refused on TCP", () => {
    expect(
      generateValues(ATTRIBUTES.requestClaim, "request.auth.claims.groups", ["a"], false),
    ).toEqual({
      error: "expecting format request.auth.claims[<NAME>], but found request.auth.claims.groups",
    });
    expect(
      generateValues(ATTRIBUTES.requestClaim, "request.auth.claims[groups]", ["a"], true),
    ).toEqual({ error: '"request.auth.claims[groups]" is HTTP only' });
  });
});

describe("experimental.envoy.filters.*: another filter's dynamic metadata", () => {
  it("the key names filter and field; [v] matches in a list, v as a string, values OR-ed", () => {
    expect(
      generateValues(
        ATTRIBUTES.envoyFilterMetadata,
        "experimental.envoy.filters.network.mysql_proxy[db.table]",
        ["[update]", "users"],
        true,
      ),
    ).toEqual({
      value: {
        metadata: {
          filter: "envoy.filters.network.mysql_proxy",
          path: [{ key: "db.table" }],
          value: {
            or_match: {
              value_matchers: [
                { list_match: { one_of: { string_match: { exact: "update" } } } },
                { string_match: { exact: "users" } },
              ],
            },
          },
        },
      },
    });
  });

  it("a key without [field] is refused", () => {
    expect(
      generateValues(
        ATTRIBUTES.envoyFilterMetadata,
        "experimental.envoy.filters.network.mysql_proxy",
        ["x"],
        false,
      ),
    ).toEqual({ error: "invalid key: experimental.envoy.filters.network.mysql_proxy" });
  });
});
