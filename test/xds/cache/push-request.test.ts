import {
  absorbPushRequest,
  configChange,
  endpointChange,
  mergePushRequests,
  type PushRequest,
} from "../../../xds/cache/push-request";

describe("absorbPushRequest", () => {
  const events = [
    endpointChange("EndpointSlice/a/s1"),
    endpointChange("Pod/a/p1"),
    configChange("VirtualService/a/vs"),
    endpointChange("EndpointSlice/a/s1"),
    configChange("Namespace//a", "Namespace"),
  ];

  it("accumulates what mergePushRequests merges", () => {
    const merged = events.reduce(mergePushRequests);
    const absorbed = events
      .map(
        (e): PushRequest => ({
          full: e.full,
          endpoints: new Set(e.endpoints),
          configs: new Set(e.configs),
          reasons: new Set(e.reasons),
        }),
      )
      .reduce(absorbPushRequest);
    expect(absorbed).toEqual(merged);
  });

  it("stays an endpoint-only request until a config change arrives", () => {
    const a = absorbPushRequest(endpointChange("Pod/a/p1"), endpointChange("Pod/a/p2"));
    expect(a.full).toBe(false);
    expect([...a.endpoints]).toEqual(["Pod/a/p1", "Pod/a/p2"]);
    expect(absorbPushRequest(a, configChange("Sidecar/a/default")).full).toBe(true);
  });

  it("merges 20,000 events in linear time", () => {
    let batch = endpointChange("Pod/ns/p0");
    const start = performance.now();
    for (let i = 1; i < 20_000; i++)
      batch = absorbPushRequest(batch, endpointChange(`Pod/ns/p${i}`));
    expect(batch.endpoints.size).toBe(20_000);
    // Copying the sets per event (mergePushRequests) takes seconds here.
    expect(performance.now() - start).toBeLessThan(1_000);
  });
});
