import { moduleEnv } from "../../../cli/dev/runner";

const serving = { PEPR_API_PATH: "abc", SSL_KEY_PATH: "/k", SSL_CERT_PATH: "/c" };

describe("moduleEnv", () => {
  it("runs everything in one process by default, as `pepr dev` does", () => {
    const env = moduleEnv({ env: { PEPR_WATCH_MODE: "true" } }, serving);
    expect(env.PEPR_MODE).toBe("dev");
    expect(env).toMatchObject(serving);
  });

  it("runs admission alone as the admission Deployment does, whatever the caller's environment says", () => {
    const env = moduleEnv(
      { role: "admission", env: { PEPR_MODE: "dev", PEPR_WATCH_MODE: "true", LOG_LEVEL: "debug" } },
      serving,
    );
    expect(env.PEPR_MODE).toBeUndefined();
    expect(env.PEPR_WATCH_MODE).toBe("false");
    expect(env.LOG_LEVEL).toBe("debug");
    expect(env).toMatchObject(serving);
  });
});
