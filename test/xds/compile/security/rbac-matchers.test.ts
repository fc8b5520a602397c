/**
 * Envoy matchers from Istio's value syntax (exact, `prefix*`, `*suffix`, `*`), as Istio's
 * pilot/pkg/security/authz/matcher writes them into RBAC policies.
 */
import {
  containsPathTemplate,
  headerMatcher,
  metadataListOrScalar,
  orValue,
  stringMatcher,
  stringOrValue,
  uriTemplate,
} from "../../../../xds/compile/security/rbac-matchers";

describe("stringMatcher", () => {
  it.each([
    ["exact", "foo", "", { exact: "foo" }],
    [
      "`*` is present and non-empty (never an empty prefix)",
      "*",
      "",
      { safe_regex: { regex: ".+" } },
    ],
    ["prefix", "foo*", "", { prefix: "foo" }],
    ["suffix", "*foo", "", { suffix: "foo" }],
    ["exact with a prefix prepended", "td/ns/a", "spiffe://", { exact: "spiffe://td/ns/a" }],
    ["prefix with a prefix prepended", "td/ns/*", "spiffe://", { prefix: "spiffe://td/ns/" }],
    [
      "a suffix with a prefix becomes a regex, quoting the suffix",
      "*/sa/a.b",
      "spiffe://",
      { safe_regex: { regex: "spiffe://.*/sa/a\\.b" } },
    ],
  ])("%s: %s", (_, value, prefix, want) => {
    expect(stringMatcher(value, prefix)).toEqual(want);
  });
});

describe("headerMatcher", () => {
  it.each([
    ["`*` is a presence match", "*", false, { name: ":authority", present_match: true }],
    ["exact", "a.com", false, { name: ":authority", string_match: { exact: "a.com" } }],
    ["prefix", "a.*", false, { name: ":authority", string_match: { prefix: "a." } }],
    [
      "suffix, case-insensitive",
      "*.com",
      true,
      { name: ":authority", string_match: { suffix: ".com", ignore_case: true } },
    ],
  ])("%s", (_, value, ignoreCase, want) => {
    expect(headerMatcher(":authority", value, ignoreCase)).toEqual(want);
  });

  it("leaves ignore_case out when false, as Go does", () => {
    expect(JSON.stringify(headerMatcher("x", "v"))).not.toContain("ignore_case");
  });
});

describe("value matchers", () => {
  it("one value stays itself; several are an OR", () => {
    expect(stringOrValue(["a"])).toEqual({ string_match: { exact: "a" } });
    expect(stringOrValue(["a", "b*"])).toEqual({
      or_match: {
        value_matchers: [{ string_match: { exact: "a" } }, { string_match: { prefix: "b" } }],
      },
    });
    expect(orValue([{ present_match: true }])).toEqual({ present_match: true });
  });

  it("a JWT claim matches as a scalar or as one element of a list", () => {
    const v = { string_match: { exact: "admin" } };
    expect(metadataListOrScalar("envoy.filters.http.jwt_authn", ["payload", "groups"], v)).toEqual({
      filter: "envoy.filters.http.jwt_authn",
      path: [{ key: "payload" }, { key: "groups" }],
      value: { or_match: { value_matchers: [{ list_match: { one_of: v } }, v] } },
    });
  });
});

describe("path templates", () => {
  it.each([
    ["/foo/{*}/bar", true],
    ["/foo/{**}", true],
    ["/foo/*", false],
  ])("%s is a template: %s", (path, want) => {
    expect(containsPathTemplate(path)).toBe(want);
  });

  it("{*} becomes * and {**} becomes ** in Envoy's uri_template", () => {
    expect(uriTemplate("/a/{*}/b/{**}")).toEqual({
      name: "uri-template",
      typed_config: {
        "@type":
          "type.googleapis.com/envoy.extensions.path.match.uri_template.v3.UriTemplateMatchConfig",
        path_template: "/a/*/b/**",
      },
    });
  });
});
