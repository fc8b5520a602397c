import {
  controlPlaneConfig,
  debounceConfig,
  jwksConfig,
  readControlPlaneSettings,
  runsControlPlane,
} from "../../control-plane/config";

describe("runsControlPlane", () => {
  it.each([
    [{ PEPR_MODE: "build", PEPR_WATCH_MODE: "true" }, false],
    [{ PEPR_MODE: "dev" }, true],
    [{ PEPR_WATCH_MODE: "true" }, true],
    [{ PEPR_WATCH_MODE: "false" }, false],
    [{}, false],
  ])("%j → %s", (env, expected) => expect(runsControlPlane(env)).toBe(expected));
});

describe("controlPlaneConfig", () => {
  it("keeps `rig dev` on loopback; a watcher serves 15010 and 15012 but withholds Secrets from unauthenticated streams", () => {
    expect(controlPlaneConfig({ PEPR_MODE: "dev" })).toMatchObject({
      xdsAddress: "127.0.0.1:15010",
      xdsTlsAddress: "127.0.0.1:15012",
      tlsAdsAuth: "token",
      unauthenticatedSecrets: "serve",
    });
    expect(controlPlaneConfig({ PEPR_WATCH_MODE: "true" })).toMatchObject({
      xdsAddress: "0.0.0.0:15010",
      xdsTlsAddress: "0.0.0.0:15012",
      unauthenticatedSecrets: "withhold",
    });
    expect(
      controlPlaneConfig({ PEPR_WATCH_MODE: "true", RIGGING_XDS_ADDRESS: "off" }).xdsAddress,
    ).toBeUndefined();
    expect(
      controlPlaneConfig({ PEPR_MODE: "dev", RIGGING_XDS_UNAUTHENTICATED_SECRETS: "withhold" })
        .unauthenticatedSecrets,
    ).toBe("withhold");
    expect(() =>
      controlPlaneConfig({ PEPR_WATCH_MODE: "true", RIGGING_XDS_UNAUTHENTICATED_SECRETS: "yes" }),
    ).toThrow('RIGGING_XDS_UNAUTHENTICATED_SECRETS: "yes" must be "serve" or "withhold"');
  });

  it("serves readiness on istiod's 8080 and applies the Services in a watcher, neither in `rig dev`", () => {
    expect(controlPlaneConfig({ PEPR_WATCH_MODE: "true" })).toMatchObject({
      readyAddress: "0.0.0.0:8080",
      applyServices: true,
    });
    expect(controlPlaneConfig({ PEPR_MODE: "dev" })).toMatchObject({
      readyAddress: undefined,
      applyServices: false,
    });
    expect(
      controlPlaneConfig({
        PEPR_WATCH_MODE: "true",
        RIGGING_READY_ADDRESS: "off",
        RIGGING_APPLY_SERVICES: "false",
      }),
    ).toMatchObject({ readyAddress: undefined, applyServices: false });
  });

  it("takes addresses from the environment, and `off`", () => {
    const c = controlPlaneConfig({
      RIGGING_XDS_ADDRESS: "off",
      RIGGING_XDS_TLS_ADDRESS: "127.0.0.1:0",
    });
    expect(c.xdsAddress).toBeUndefined();
    expect(c.xdsTlsAddress).toBe("127.0.0.1:0");
  });

  it.each([
    [{ RIGGING_XDS_ADDRESS: "15010" }, /RIGGING_XDS_ADDRESS: "15010" must be host:port/],
    [{ RIGGING_XDS_TLS_ADDRESS: "h:99999" }, /RIGGING_XDS_TLS_ADDRESS: "h:99999"/],
    [{ RIGGING_XDS_TLS_AUTH: "mtls" }, /RIGGING_XDS_TLS_AUTH: "mtls" must be "token" or "none"/],
    [{ RIGGING_READY_ADDRESS: "8080" }, /RIGGING_READY_ADDRESS: "8080" must be host:port/],
    [{ RIGGING_APPLY_SERVICES: "yes" }, /RIGGING_APPLY_SERVICES: "yes" must be "true" or "false"/],
  ])("refuses %j naming the variable", (env, message) =>
    expect(() => controlPlaneConfig(env)).toThrow(message),
  );
});

describe("jwksConfig", () => {
  it("takes the fetcher's limits and deny-list from the environment", () => {
    expect(
      jwksConfig({
        RIGGING_JWKS_DENY_LIST: "169.254.169.254, 10.0.0.0/8,metadata.google.internal,,*.internal",
        RIGGING_JWKS_TIMEOUT_MS: "2500",
        RIGGING_JWKS_MAX_BYTES: "65536",
        RIGGING_JWKS_REFRESH_MS: "600000",
      }),
    ).toEqual({
      denyList: ["169.254.169.254", "10.0.0.0/8", "metadata.google.internal", "*.internal"],
      timeoutMs: 2500,
      maxBytes: 65536,
      refreshIntervalMs: 600000,
    });
  });

  it("leaves unset values to the fetcher's defaults, and blocks nothing by default", () => {
    expect(jwksConfig({})).toEqual({
      denyList: [],
      timeoutMs: undefined,
      maxBytes: undefined,
      refreshIntervalMs: undefined,
    });
    expect(controlPlaneConfig({}).jwks.denyList).toEqual([]);
  });

  it.each([
    [
      { RIGGING_JWKS_TIMEOUT_MS: "-5" },
      /RIGGING_JWKS_TIMEOUT_MS: "-5" must be a positive whole number/,
    ],
    [
      { RIGGING_JWKS_TIMEOUT_MS: "0" },
      /RIGGING_JWKS_TIMEOUT_MS: "0" must be a positive whole number/,
    ],
    [
      { RIGGING_JWKS_MAX_BYTES: "512k" },
      /RIGGING_JWKS_MAX_BYTES: "512k" must be a positive whole number/,
    ],
    [
      { RIGGING_JWKS_REFRESH_MS: "1.5" },
      /RIGGING_JWKS_REFRESH_MS: "1.5" must be a positive whole number/,
    ],
    [{ RIGGING_JWKS_REFRESH_MS: "1e9" }, /RIGGING_JWKS_REFRESH_MS: "1e9"/],
    [
      { RIGGING_JWKS_DENY_LIST: "10.0.0.0/33" },
      /RIGGING_JWKS_DENY_LIST: .*"10\.0\.0\.0\/33".*prefix length must be 0\.\.32/,
    ],
    [
      { RIGGING_JWKS_DENY_LIST: "10.0.0.0/8,not a host!" },
      /RIGGING_JWKS_DENY_LIST: .*"not a host!"/,
    ],
  ])("refuses %j naming the variable and the rule", (env, message) => {
    expect(() => jwksConfig(env)).toThrow(message);
    // The control plane's config carries the same check: a bad value stops it at startup.
    expect(() => controlPlaneConfig(env)).toThrow(message);
  });
});

describe("debounceConfig", () => {
  it("takes the push debounce from the environment; unset leaves the runtime's defaults", () => {
    expect(
      controlPlaneConfig({ RIGGING_DEBOUNCE_QUIET_MS: "50", RIGGING_DEBOUNCE_MAX_MS: "2000" })
        .debounce,
    ).toEqual({ quietMs: 50, maxDelayMs: 2000 });
    expect(debounceConfig({})).toEqual({ quietMs: undefined, maxDelayMs: undefined });
  });

  it.each([
    [
      { RIGGING_DEBOUNCE_QUIET_MS: "fast" },
      /RIGGING_DEBOUNCE_QUIET_MS: "fast" must be a positive whole number/,
    ],
    [
      { RIGGING_DEBOUNCE_MAX_MS: "-1" },
      /RIGGING_DEBOUNCE_MAX_MS: "-1" must be a positive whole number/,
    ],
  ])("refuses %j naming the variable, and the control plane with it", (env, message) => {
    expect(() => debounceConfig(env)).toThrow(message);
    expect(() => controlPlaneConfig(env)).toThrow(message);
  });
});

describe("apiContactBoundMs", () => {
  it("defaults to 10 s and takes RIGGING_API_CONTACT_BOUND_MS", () => {
    expect(controlPlaneConfig({}).apiContactBoundMs).toBe(10_000);
    expect(controlPlaneConfig({ RIGGING_API_CONTACT_BOUND_MS: "3000" }).apiContactBoundMs).toBe(
      3000,
    );
  });

  it("refuses a malformed bound naming the variable", () => {
    expect(() => controlPlaneConfig({ RIGGING_API_CONTACT_BOUND_MS: "0" })).toThrow(
      /RIGGING_API_CONTACT_BOUND_MS: "0" must be a positive whole number/,
    );
  });
});

describe("readControlPlaneSettings", () => {
  it("reads the environment once into one config, with no errors for a well-formed one", () => {
    const { config, errors } = readControlPlaneSettings({
      PEPR_WATCH_MODE: "true",
      RIGGING_LEASE_DURATION_SECONDS: "30",
      RIGGING_DEBOUNCE_QUIET_MS: "50",
    });
    expect(errors).toEqual([]);
    expect(config).toMatchObject({
      xdsAddress: "0.0.0.0:15010",
      leaseDurationSeconds: 30,
      debounce: { quietMs: 50 },
      apiContactBoundMs: 10_000,
    });
  });

  it("names every malformed variable at once, and keeps defaults for them", () => {
    const { config, errors } = readControlPlaneSettings({
      PEPR_WATCH_MODE: "true",
      RIGGING_XDS_ADDRESS: "15010",
      RIGGING_JWKS_TIMEOUT_MS: "-1",
      RIGGING_LEASE_DURATION_SECONDS: "1",
      RIGGING_APPLY_SERVICES: "yes",
    });
    expect(errors).toEqual([
      'RIGGING_XDS_ADDRESS: "15010" must be host:port (port 0–65535) or "off"',
      'RIGGING_APPLY_SERVICES: "yes" must be "true" or "false"',
      'RIGGING_JWKS_TIMEOUT_MS: "-1" must be a positive whole number',
      'RIGGING_LEASE_DURATION_SECONDS: "1" must be a whole number of seconds from 2 to 300',
    ]);
    expect(config).toMatchObject({
      xdsAddress: "0.0.0.0:15010",
      applyServices: true,
      jwks: { denyList: [] },
      leaseDurationSeconds: 15,
    });
    expect(() =>
      controlPlaneConfig({ RIGGING_XDS_ADDRESS: "15010", RIGGING_APPLY_SERVICES: "yes" }),
    ).toThrow(
      'RIGGING_XDS_ADDRESS: "15010" must be host:port (port 0–65535) or "off"; RIGGING_APPLY_SERVICES: "yes" must be "true" or "false"',
    );
  });
});
