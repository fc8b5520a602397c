import { checkMeshRequired, type NamespaceLike } from "../../../mesh/admission/mesh-required";
import type { KubeObject } from "../../../mesh/admission/workload";

const ns = (mode?: string): NamespaceLike => ({
  metadata: { name: "shop", labels: mode ? { "rigging.dev/mesh": mode } : {} },
});
const template = (
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> },
  hostNetwork?: boolean,
) => ({
  metadata: meta,
  spec: { hostNetwork, containers: [] },
});
const deployment = (meta: Parameters<typeof template>[0], hostNetwork?: boolean): KubeObject => ({
  kind: "Deployment",
  metadata: { name: "web", namespace: "shop" },
  spec: { template: template(meta, hostNetwork) },
});
const optOut = { annotations: { "sidecar.istio.io/inject": "false" } };

describe("checkMeshRequired", () => {
  it.each([
    ["no label on the namespace", ns(), deployment(optOut)],
    ["an unknown label value", ns("sometimes"), deployment(optOut)],
    ["a pod that does not opt out", ns("required"), deployment({})],
    [
      "inject explicitly true",
      ns("required"),
      deployment({ annotations: { "sidecar.istio.io/inject": "true" } }),
    ],
    [
      "a label of true overriding an annotation of false",
      ns("required"),
      deployment({
        labels: { "sidecar.istio.io/inject": "true" },
        annotations: { "sidecar.istio.io/inject": "false" },
      }),
    ],
    ["a kind that runs no pods", ns("required"), { kind: "ConfigMap", metadata: { name: "c" } }],
    [
      "a Deployment without a template yet",
      ns("required"),
      { kind: "Deployment", metadata: { name: "d" }, spec: {} },
    ],
  ])("allows %s", (_case, namespace, obj) => {
    expect(checkMeshRequired(obj as KubeObject, namespace)).toEqual({ action: "allow" });
  });

  it.each([
    [
      "an opt-out annotation on a Deployment",
      deployment(optOut),
      'Deployment shop/web: spec.template.metadata.annotations["sidecar.istio.io/inject"]: is "false", which opts the pod out of sidecar injection, but namespace shop requires the mesh (rigging.dev/mesh=required); remove the annotation or set it to "true"',
    ],
    [
      "an opt-out label (any ParseBool false)",
      deployment({ labels: { "sidecar.istio.io/inject": "F" } }),
      'Deployment shop/web: spec.template.metadata.labels["sidecar.istio.io/inject"]: is "F", which opts the pod out of sidecar injection, but namespace shop requires the mesh (rigging.dev/mesh=required); remove the label or set it to "true"',
    ],
    [
      "a host-network pod template",
      deployment({}, true),
      "Deployment shop/web: spec.template.spec.hostNetwork: is true, and host-network pods are never injected, but namespace shop requires the mesh (rigging.dev/mesh=required); remove hostNetwork",
    ],
    [
      "a bare Pod with generateName",
      { kind: "Pod", metadata: { generateName: "job-" }, spec: { hostNetwork: true } },
      "Pod shop/job-*: spec.hostNetwork: is true, and host-network pods are never injected, but namespace shop requires the mesh (rigging.dev/mesh=required); remove hostNetwork",
    ],
    [
      "a CronJob's nested template",
      {
        kind: "CronJob",
        metadata: { name: "nightly", namespace: "shop" },
        spec: { jobTemplate: { spec: { template: template(optOut) } } },
      },
      'CronJob shop/nightly: spec.jobTemplate.spec.template.metadata.annotations["sidecar.istio.io/inject"]: is "false", which opts the pod out of sidecar injection, but namespace shop requires the mesh (rigging.dev/mesh=required); remove the annotation or set it to "true"',
    ],
  ])("denies %s with the field, the rule and the fix", (_case, obj, message) => {
    expect(checkMeshRequired(obj as KubeObject, ns("required"))).toEqual({
      action: "deny",
      message,
    });
  });

  it("warns instead of denying when the namespace says warn", () => {
    const verdict = checkMeshRequired(deployment(optOut), ns("warn"));
    expect(verdict.action).toBe("warn");
    expect(verdict).toHaveProperty(
      "message",
      expect.stringContaining("requires the mesh (rigging.dev/mesh=warn)"),
    );
  });
});
