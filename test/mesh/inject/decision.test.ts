/**
 * The injection decision, table by table: namespace labels and revisions (the webhook's
 * selectors), pod overrides, host networking, system and control-plane namespaces, idempotence.
 */
import {
  decideInjection,
  defaultInjectionValues,
  defaultMeshSettings,
  injectPod,
  type Namespace,
  type Pod,
} from "../../../mesh/inject";

const ns = (name: string, labels: Record<string, string> = {}): Namespace => ({
  metadata: { name, labels },
});
const pod = (
  opts: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    hostNetwork?: boolean;
  } = {},
): Pod => ({
  metadata: { name: "app", labels: opts.labels ?? {}, annotations: opts.annotations ?? {} },
  spec: { containers: [{ name: "app", image: "app:1" }], hostNetwork: opts.hostNetwork },
});

const values = defaultInjectionValues();
const mesh = defaultMeshSettings();
const canary = defaultMeshSettings({ revision: "canary" });

describe("decideInjection", () => {
  it.each([
    [
      "namespace istio-injection=enabled",
      ns("a", { "istio-injection": "enabled" }),
      pod(),
      mesh,
      true,
      "namespace-label",
    ],
    [
      "namespace istio-injection=disabled",
      ns("a", { "istio-injection": "disabled" }),
      pod(),
      mesh,
      false,
      "no-selector-matched",
    ],
    ["unlabelled namespace", ns("a"), pod(), mesh, false, "no-selector-matched"],
    [
      "namespace istio.io/rev=default",
      ns("a", { "istio.io/rev": "default" }),
      pod(),
      mesh,
      true,
      "namespace-revision",
    ],
    [
      "namespace rev of another revision",
      ns("a", { "istio.io/rev": "canary" }),
      pod(),
      mesh,
      false,
      "no-selector-matched",
    ],
    [
      "our revision canary, namespace rev=canary",
      ns("a", { "istio.io/rev": "canary" }),
      pod(),
      canary,
      true,
      "namespace-revision",
    ],
    [
      "revision canary ignores istio-injection=enabled",
      ns("a", { "istio-injection": "enabled" }),
      pod(),
      canary,
      false,
      "no-selector-matched",
    ],
    [
      "istio-injection wins over a namespace rev label",
      ns("a", { "istio-injection": "enabled", "istio.io/rev": "default" }),
      pod(),
      mesh,
      true,
      "namespace-label",
    ],
    [
      "pod label inject=true in unlabelled namespace",
      ns("a"),
      pod({ labels: { "sidecar.istio.io/inject": "true" } }),
      mesh,
      true,
      "pod-opt-in",
    ],
    [
      "pod annotation inject=true does not select (labels only)",
      ns("a"),
      pod({ annotations: { "sidecar.istio.io/inject": "true" } }),
      mesh,
      false,
      "no-selector-matched",
    ],
    [
      "pod label istio.io/rev=default in unlabelled namespace",
      ns("a"),
      pod({ labels: { "istio.io/rev": "default" } }),
      mesh,
      true,
      "pod-revision",
    ],
    [
      "pod label inject=false in enabled namespace",
      ns("a", { "istio-injection": "enabled" }),
      pod({ labels: { "sidecar.istio.io/inject": "false" } }),
      mesh,
      false,
      "no-selector-matched",
    ],
    [
      "pod annotation inject=false in enabled namespace",
      ns("a", { "istio-injection": "enabled" }),
      pod({ annotations: { "sidecar.istio.io/inject": "false" } }),
      mesh,
      false,
      "pod-opt-out",
    ],
    [
      "label wins over annotation",
      ns("a", { "istio-injection": "enabled" }),
      pod({
        labels: { "sidecar.istio.io/inject": "true" },
        annotations: { "sidecar.istio.io/inject": "false" },
      }),
      mesh,
      true,
      "pod-opt-in",
    ],
    [
      "invalid inject value falls back to the policy",
      ns("a", { "istio-injection": "enabled" }),
      pod({ annotations: { "sidecar.istio.io/inject": "yes" } }),
      mesh,
      true,
      "namespace-label",
    ],
    [
      "hostNetwork pods are skipped",
      ns("a", { "istio-injection": "enabled" }),
      pod({ hostNetwork: true }),
      mesh,
      false,
      "host-network",
    ],
    [
      "kube-system is skipped",
      ns("kube-system", { "istio-injection": "enabled" }),
      pod(),
      mesh,
      false,
      "ignored-namespace",
    ],
    [
      "kube-public is skipped",
      ns("kube-public", { "istio-injection": "enabled" }),
      pod(),
      mesh,
      false,
      "ignored-namespace",
    ],
    [
      "the control plane namespace is skipped",
      ns("pepr-system", { "istio-injection": "enabled" }),
      pod(),
      mesh,
      false,
      "control-plane-namespace",
    ],
    [
      "already injected pods are left alone",
      ns("a", { "istio-injection": "enabled" }),
      pod({ annotations: { "sidecar.istio.io/status": "{}" } }),
      mesh,
      false,
      "already-injected",
    ],
  ])("%s", (_name, namespace, p, m, inject, reason) => {
    const d = decideInjection(p, namespace, m, values);
    expect({ inject: d.inject, reason: d.reason }).toEqual({ inject, reason });
    expect(d.message).not.toBe("");
  });

  it("honours never/always selectors and the autoInject policy", () => {
    const v = defaultInjectionValues();
    v.sidecarInjectorWebhook.neverInjectSelector = [{ matchLabels: { skip: "yes" } }];
    v.global.proxy.autoInject = "disabled";
    v.sidecarInjectorWebhook.alwaysInjectSelector = [
      { matchExpressions: [{ key: "mesh", operator: "In", values: ["on"] }] },
    ];
    const enabled = ns("a", { "istio-injection": "enabled" });
    expect(decideInjection(pod({ labels: { skip: "yes" } }), enabled, mesh, v).reason).toBe(
      "never-inject-selector",
    );
    expect(decideInjection(pod({ labels: { mesh: "on" } }), enabled, mesh, v).reason).toBe(
      "always-inject-selector",
    );
    expect(decideInjection(pod(), enabled, mesh, v)).toMatchObject({
      inject: false,
      reason: "policy-disabled",
    });
  });

  it("injects unlabelled namespaces with enableNamespacesByDefault, except system ones", () => {
    const v = defaultInjectionValues();
    v.sidecarInjectorWebhook.enableNamespacesByDefault = true;
    expect(decideInjection(pod(), ns("a"), mesh, v).reason).toBe("namespaces-by-default");
    expect(decideInjection(pod(), ns("kube-node-lease"), mesh, v).inject).toBe(false);
  });
});

describe("injectPod", () => {
  const enabled = ns("shop", { "istio-injection": "enabled" });

  it("leaves a pod that is not selected untouched", () => {
    const p = pod();
    const r = injectPod(p, ns("shop"), mesh, values);
    expect(r).toMatchObject({ ok: true, value: { injected: false, pod: p } });
  });

  it("points the pinned proxy at the control plane by Istio's own name", () => {
    const r = injectPod(pod(), enabled, mesh, values);
    if (!r.ok) throw new Error(r.errors.join("\n"));
    const proxy = r.value.pod.spec.initContainers?.find(c => c.name === "istio-proxy");
    const env = Object.fromEntries((proxy?.env ?? []).map(e => [e.name, e.value]));
    expect(proxy?.image).toBe("docker.io/istio/proxyv2:1.31.0");
    expect(env.CA_ADDR).toBe("istiod.istio-system.svc:15012");
    // Istio's default address is left out of PROXY_CONFIG: the agent falls back to it.
    expect(JSON.parse(env.PROXY_CONFIG ?? "")).toEqual({});
  });

  it("writes a discoveryAddress other than Istio's default into PROXY_CONFIG and CA_ADDR", () => {
    const elsewhere = defaultMeshSettings({ discoveryAddress: "cp.mesh.svc:15012" });
    const r = injectPod(pod(), enabled, elsewhere, values);
    if (!r.ok) throw new Error(r.errors.join("\n"));
    const proxy = r.value.pod.spec.initContainers?.find(c => c.name === "istio-proxy");
    const env = Object.fromEntries((proxy?.env ?? []).map(e => [e.name, e.value]));
    expect(env.CA_ADDR).toBe("cp.mesh.svc:15012");
    expect(JSON.parse(env.PROXY_CONFIG ?? "")).toEqual({ discoveryAddress: "cp.mesh.svc:15012" });
  });

  it("is idempotent: an injected pod is not injected again", () => {
    const once = injectPod(pod(), enabled, mesh, values);
    if (!once.ok) throw new Error(once.errors.join("\n"));
    const twice = injectPod(once.value.pod, enabled, mesh, values);
    expect(twice).toMatchObject({
      ok: true,
      value: { injected: false, decision: { reason: "already-injected" } },
    });
    if (twice.ok) expect(twice.value.pod).toEqual(once.value.pod);
  });

  it("re-rendering an injected pod (kube-inject twice) gives the same pod", () => {
    const once = injectPod(pod(), enabled, mesh, values, { manual: true });
    if (!once.ok) throw new Error(once.errors.join("\n"));
    const twice = injectPod(once.value.pod, enabled, mesh, values, { manual: true });
    if (!twice.ok) throw new Error(twice.errors.join("\n"));
    expect(twice.value.pod).toEqual(once.value.pod);
  });

  it("names the workload from the controller reference, as the webhook does", () => {
    const p = pod({ labels: { "pod-template-hash": "5d9f7c" } });
    p.metadata = {
      ...p.metadata,
      name: undefined,
      generateName: "reviews-v1-5d9f7c-",
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "ReplicaSet", name: "reviews-v1-5d9f7c", controller: true },
      ],
    };
    const r = injectPod(p, enabled, mesh, values);
    if (!r.ok) throw new Error(r.errors.join("\n"));
    const proxy = r.value.pod.spec.initContainers?.find(c => c.name === "istio-proxy");
    const env = Object.fromEntries((proxy?.env ?? []).map(e => [e.name, e.value]));
    expect(env.ISTIO_META_WORKLOAD_NAME).toBe("reviews-v1");
    expect(env.ISTIO_META_OWNER).toBe(
      "kubernetes://apis/apps/v1/namespaces/shop/deployments/reviews-v1",
    );
  });

  it("does not modify its input", () => {
    const p = pod();
    const before = structuredClone(p);
    injectPod(p, enabled, mesh, values);
    expect(p).toEqual(before);
  });
});
