import { targetName, uninstallPlan, type UninstallTarget } from "../../../cli/uninstall/plan";

describe("rig uninstall's plan", () => {
  const names = (ts: readonly UninstallTarget[]) => ts.map(targetName);

  it("removes the webhooks before anything else, and the root-cert ConfigMaps only after the watcher", () => {
    const plan = uninstallPlan({ purge: false, istiodNamespace: "istio-system" });
    expect(names(plan.first).slice(0, 2)).toEqual([
      "MutatingWebhookConfiguration pepr-rigging",
      "ValidatingWebhookConfiguration pepr-rigging",
    ]);
    expect(names(plan.first)).toContain("Deployment pepr-system/pepr-rigging-watcher");
    expect(names(plan.first)).not.toContain("ConfigMap *");
    expect(plan.afterWatcher[0]).toMatchObject({
      kind: "ConfigMap",
      name: "*",
      selector: "app.kubernetes.io/managed-by=rigging",
    });
  });

  it("removes the autoscaler before the watcher, and its disruption budget and Lease, ours only", () => {
    const plan = uninstallPlan({ purge: false, istiodNamespace: "istio-system" });
    const first = names(plan.first);
    expect(first.indexOf("HorizontalPodAutoscaler pepr-system/pepr-rigging-watcher")).toBeLessThan(
      first.indexOf("Deployment pepr-system/pepr-rigging-watcher"),
    );
    expect(first).toContain("PodDisruptionBudget pepr-system/pepr-rigging-watcher");
    // The Lease is written by the running replicas: it goes once they are gone.
    expect(names(plan.afterWatcher)).toContain("Lease pepr-system/rigging-control-plane-leader");
    for (const t of [...plan.first, ...plan.afterWatcher].filter(t =>
      ["HorizontalPodAutoscaler", "PodDisruptionBudget", "Lease"].includes(t.kind),
    ))
      expect(t.selector).toBe("app.kubernetes.io/managed-by=rigging");
  });

  it("deletes the istiod alias only when it carries our label", () => {
    const plan = uninstallPlan({ purge: false, istiodNamespace: "mesh-system" });
    expect(plan.first.find(t => t.name === "istiod")).toMatchObject({
      namespace: "mesh-system",
      selector: "app.kubernetes.io/managed-by=rigging",
    });
  });

  it.each([
    [
      false,
      ["Secret pepr-system/rigging-ca", "CustomResourceDefinition *", "Namespace pepr-system"],
      [],
    ],
    [
      true,
      [],
      ["Secret pepr-system/rigging-ca", "CustomResourceDefinition *", "Namespace pepr-system"],
    ],
  ])("purge %s: keeps %j, also deletes %j", (purge, kept, purged) => {
    const plan = uninstallPlan({ purge, istiodNamespace: "istio-system" });
    expect(names(plan.keep)).toEqual(["Namespace istio-system", ...kept]);
    const deleted = names([...plan.first, ...plan.afterWatcher]);
    for (const t of purged) expect(deleted).toContain(t);
    for (const t of kept) expect(deleted).not.toContain(t);
  });
});
