/** Whether a proxyless gRPC server listens with mTLS, per mTLS mode and certificate label. */
import {
  grpcServerUsesMtls,
  TLS_MODE_LABEL,
} from "../../../../xds/compile/security/workload-security";

describe("grpcServerUsesMtls", () => {
  const withCerts = { app: "echo", [TLS_MODE_LABEL]: "istio" };
  const without = { app: "echo" };

  it.each([
    ["STRICT, with certificates", "STRICT", withCerts, true],
    ["STRICT, without the label (mTLS is required all the same)", "STRICT", without, true],
    ["DISABLE, with certificates", "DISABLE", withCerts, false],
    ["PERMISSIVE with certificates: auto-mTLS clients dial mTLS", "PERMISSIVE", withCerts, true],
    ["PERMISSIVE without certificates: plaintext", "PERMISSIVE", without, false],
    [
      "PERMISSIVE, a tlsMode other than istio",
      "PERMISSIVE",
      { [TLS_MODE_LABEL]: "disabled" },
      false,
    ],
  ] as const)("%s", (_, mode, labels, want) => {
    expect(grpcServerUsesMtls(mode, labels)).toBe(want);
  });
});
