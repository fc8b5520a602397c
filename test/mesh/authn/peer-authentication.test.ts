import {
  effectiveMtls,
  mtlsModeForPort,
  type MtlsMode,
  type PeerAuthenticationInput,
} from "../../../mesh/authn";

type Mode = "UNSET" | MtlsMode;

const pa = (
  namespace: string,
  name: string,
  mode: Mode | undefined,
  opts: { selector?: Record<string, string>; ports?: Record<number, Mode>; created?: string } = {},
): PeerAuthenticationInput => ({
  namespace,
  name,
  creationTimestamp: opts.created,
  spec: {
    ...(mode ? { mtls: { mode } } : {}),
    ...(opts.selector ? { selector: { matchLabels: opts.selector } } : {}),
    ...(opts.ports
      ? {
          portLevelMtls: Object.fromEntries(
            Object.entries(opts.ports).map(([p, m]) => [p, { mode: m }]),
          ),
        }
      : {}),
  },
});

const app = { namespace: "foo", labels: { app: "httpbin", version: "v1" } };

describe("PeerAuthentication resolution", () => {
  it.each<[string, PeerAuthenticationInput[], MtlsMode, string | undefined]>([
    ["nothing: PERMISSIVE by default", [], "PERMISSIVE", undefined],
    ["mesh STRICT", [pa("istio-system", "default", "STRICT")], "STRICT", "istio-system/default"],
    [
      "mesh UNSET keeps the default",
      [pa("istio-system", "default", "UNSET")],
      "PERMISSIVE",
      undefined,
    ],
    [
      "namespace overrides mesh",
      [pa("istio-system", "default", "STRICT"), pa("foo", "ns", "DISABLE")],
      "DISABLE",
      "foo/ns",
    ],
    [
      "namespace UNSET inherits mesh",
      [pa("istio-system", "default", "STRICT"), pa("foo", "ns", "UNSET")],
      "STRICT",
      "istio-system/default",
    ],
    [
      "namespace without mtls inherits mesh",
      [pa("istio-system", "default", "STRICT"), pa("foo", "ns", undefined)],
      "STRICT",
      "istio-system/default",
    ],
    [
      "workload overrides namespace",
      [pa("foo", "ns", "STRICT"), pa("foo", "w", "PERMISSIVE", { selector: { app: "httpbin" } })],
      "PERMISSIVE",
      "foo/w",
    ],
    [
      "workload UNSET inherits namespace",
      [pa("foo", "ns", "STRICT"), pa("foo", "w", "UNSET", { selector: { app: "httpbin" } })],
      "STRICT",
      "foo/ns",
    ],
    [
      "a selector that does not match is ignored",
      [pa("foo", "ns", "STRICT"), pa("foo", "w", "DISABLE", { selector: { app: "other" } })],
      "STRICT",
      "foo/ns",
    ],
    ["another namespace's policy is ignored", [pa("bar", "ns", "STRICT")], "PERMISSIVE", undefined],
    [
      "a selector policy in the root namespace is not mesh-wide",
      [pa("istio-system", "w", "STRICT", { selector: { app: "httpbin" } })],
      "PERMISSIVE",
      undefined,
    ],
    [
      "two namespace policies: the oldest wins",
      [
        pa("foo", "newer", "DISABLE", { created: "2024-02-01T00:00:00Z" }),
        pa("foo", "older", "STRICT", { created: "2024-01-01T00:00:00Z" }),
      ],
      "STRICT",
      "foo/older",
    ],
    [
      "two mesh policies of one age: by name",
      [
        pa("istio-system", "b", "DISABLE", { created: "2024-01-01T00:00:00Z" }),
        pa("istio-system", "a", "STRICT", { created: "2024-01-01T00:00:00Z" }),
      ],
      "STRICT",
      "istio-system/a",
    ],
  ])("%s", (_name, policies, mode, source) => {
    const eff = effectiveMtls(policies, app);
    expect(eff.mode).toBe(mode);
    expect(eff.modeSource.policy).toBe(source);
  });

  it.each<[string, PeerAuthenticationInput[], Record<number, MtlsMode>]>([
    [
      "port-level modes override the workload mode on their ports only",
      [
        pa("istio-system", "default", "STRICT"),
        pa("foo", "w", undefined, {
          selector: { app: "httpbin" },
          ports: { 8080: "DISABLE", 9090: "PERMISSIVE" },
        }),
      ],
      { 80: "STRICT", 8080: "DISABLE", 9090: "PERMISSIVE" },
    ],
    [
      "an UNSET port inherits the resolved workload mode",
      [
        pa("foo", "ns", "DISABLE"),
        pa("foo", "w", "STRICT", { selector: { app: "httpbin" }, ports: { 8080: "UNSET" } }),
      ],
      { 80: "STRICT", 8080: "STRICT" },
    ],
    [
      "ports of a non-matching workload policy do not apply",
      [pa("foo", "w", "STRICT", { selector: { app: "other" }, ports: { 8080: "DISABLE" } })],
      { 80: "PERMISSIVE", 8080: "PERMISSIVE" },
    ],
  ])("%s", (_name, policies, byPort) => {
    const eff = effectiveMtls(policies, app);
    for (const [port, mode] of Object.entries(byPort))
      expect([port, mtlsModeForPort(eff, Number(port))]).toEqual([port, mode]);
  });

  it("honours a custom root namespace", () => {
    const policies = [
      pa("mesh-root", "default", "STRICT"),
      pa("istio-system", "default", "DISABLE"),
    ];
    expect(effectiveMtls(policies, app, "mesh-root").mode).toBe("STRICT");
  });
});
