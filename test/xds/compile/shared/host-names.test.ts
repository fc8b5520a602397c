/**
 * Host names and visibility as Istio config states them: short names expanded in the config's
 * namespace, and `exportTo` deciding which proxies' namespaces see a config.
 */
import { exportedTo, resolveHost } from "../../../../xds/compile/shared/host-names";

describe("resolveHost", () => {
  it.each([
    ["a short name, in the config's namespace", "reviews", "reviews.team.svc.cluster.local"],
    ["a name with dots, kept", "reviews.other", "reviews.other"],
    ["a FQDN, kept", "api.example.com", "api.example.com"],
    ["the wildcard, kept", "*", "*"],
  ])("%s", (_label, host, want) => {
    expect(resolveHost(host, "team", "cluster.local")).toBe(want);
  });
});

describe("exportedTo", () => {
  it.each<[string, string[] | undefined, string, boolean]>([
    ["unset: every namespace", undefined, "other", true],
    ["empty: every namespace", [], "other", true],
    ["'*': every namespace", ["*"], "other", true],
    ["'.': the config's own namespace", ["."], "team", true],
    ["'.': not another namespace", ["."], "other", false],
    ["a named namespace", ["other"], "other", true],
    ["not an unnamed one", ["other"], "third", false],
    ["'.' and a name together", [".", "other"], "other", true],
  ])("%s", (_label, exportTo, proxyNs, visible) => {
    expect(exportedTo(exportTo, "team", proxyNs)).toBe(visible);
  });
});
