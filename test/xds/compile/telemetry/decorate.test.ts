/** Which listeners get the proxy's telemetry. */
import { grpcNode } from "../fixtures";
import { build, telemetry } from "./sidecar-telemetry";

describe("Telemetry compiled into sidecar listeners (decoded from protobuf)", () => {
  it("proxyless gRPC gets no stats filter, access log or tracing", () => {
    const r = build(
      [telemetry("mesh", "istio-system", { accessLogging: [{ providers: [{ name: "envoy" }] }] })],
      {},
      grpcNode("10.0.0.6", "client-0", "default", { app: "client" }),
    );
    const text = JSON.stringify(r.listeners);
    expect(text).not.toContain("istio.stats");
    expect(text).not.toContain("access_log");
  });
});
