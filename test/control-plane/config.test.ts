import { controlPlaneConfig, runsControlPlane } from "../../control-plane/config";

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
  it("keeps `rig dev` on loopback, and a watcher's plaintext port closed unless asked", () => {
    expect(controlPlaneConfig({ PEPR_MODE: "dev" })).toMatchObject({
      xdsAddress: "127.0.0.1:15010",
      xdsTlsAddress: "127.0.0.1:15012",
      tlsAdsAuth: "token",
    });
    expect(controlPlaneConfig({ PEPR_WATCH_MODE: "true" })).toMatchObject({
      xdsAddress: undefined,
      xdsTlsAddress: "0.0.0.0:15012",
    });
    expect(
      controlPlaneConfig({ PEPR_WATCH_MODE: "true", RIGGING_XDS_ADDRESS: "0.0.0.0:15010" })
        .xdsAddress,
    ).toBe("0.0.0.0:15010");
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
  ])("refuses %j naming the variable", (env, message) =>
    expect(() => controlPlaneConfig(env)).toThrow(message),
  );
});
