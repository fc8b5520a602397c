import { SidecarInjection } from "../../capabilities/sidecar-injection";

// The capability is a table of contents: which kinds it binds, on which events, with which action.
describe("sidecar-injection capability", () => {
  const bindings = SidecarInjection.bindings.map(b => ({
    kind: b.kind.kind,
    event: b.event,
    action: b.isMutate ? "Mutate" : b.isValidate ? "Validate" : b.isWatch ? "Watch" : "other",
  }));

  it("injects Pods on create and refuses malformed injection", () => {
    expect(bindings).toEqual(
      expect.arrayContaining([
        { kind: "Pod", event: "CREATE", action: "Mutate" },
        { kind: "Pod", event: "CREATE", action: "Validate" },
      ]),
    );
  });

  it("checks every pod-bearing workload against mesh-required namespaces", () => {
    const validated = bindings
      .filter(b => b.action === "Validate" && b.event === "CREATEORUPDATE")
      .map(b => b.kind);
    expect(validated.sort()).toEqual([
      "CronJob",
      "DaemonSet",
      "Deployment",
      "Job",
      "Pod",
      "ReplicaSet",
      "StatefulSet",
    ]);
  });
});
