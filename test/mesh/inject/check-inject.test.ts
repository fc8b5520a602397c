/**
 * `rig check-inject`'s answers: for new pods with given labels and for existing pods (judged as
 * if re-created), whether they would be injected and what decided; and `--labels` parsing.
 */
import {
  checkInjection,
  defaultInjectionValues,
  defaultMeshSettings,
  parseLabels,
  type Namespace,
  type Pod,
} from "../../../mesh/inject";

const mesh = defaultMeshSettings();
const values = defaultInjectionValues();
const ns = (name: string, labels: Record<string, string> = {}): Namespace => ({
  metadata: { name, labels },
});
const enabled = ns("shop", { "istio-injection": "enabled" });
const existing = (annotations: Record<string, string>): Pod => ({
  metadata: { name: "web-1", namespace: "shop", labels: { app: "web" }, annotations },
  spec: { containers: [{ name: "app" }] },
});

describe("checkInjection", () => {
  it.each([
    ["a plain pod, enabled namespace", enabled, {}, true, "namespace-label", "(new pod)"],
    [
      "a plain pod, unlabelled namespace",
      ns("plain"),
      {},
      false,
      "no-selector-matched",
      "(new pod)",
    ],
    [
      "a plain pod, disabled namespace",
      ns("off", { "istio-injection": "disabled" }),
      {},
      false,
      "no-selector-matched",
      "(new pod)",
    ],
    [
      "an opted-in pod, unlabelled namespace",
      ns("plain"),
      { "sidecar.istio.io/inject": "true" },
      true,
      "pod-opt-in",
      "(new pod with sidecar.istio.io/inject=true)",
    ],
    [
      "an opted-out pod, enabled namespace",
      enabled,
      { app: "web", "sidecar.istio.io/inject": "false" },
      false,
      "pod-opt-out",
      "(new pod with app=web,sidecar.istio.io/inject=false)",
    ],
    [
      "a pod in kube-system",
      ns("kube-system", { "istio-injection": "enabled" }),
      {},
      false,
      "ignored-namespace",
      "(new pod)",
    ],
    [
      "a pod in the control plane's namespace",
      ns("pepr-system", { "istio-injection": "enabled" }),
      {},
      false,
      "control-plane-namespace",
      "(new pod)",
    ],
  ])("%s", (_what, namespace, labels, inject, reason, pod) => {
    const c = checkInjection({ labels }, namespace, mesh, values);
    expect(c).toMatchObject({ inject, reason, pod, hasSidecar: false });
    expect(c.namespace).toBe(namespace.metadata?.name);
    expect(c.message.length).toBeGreaterThan(0);
  });

  it.each([
    [{}, "namespace shop has label istio-injection=enabled"],
    [{ "sidecar.istio.io/inject": "false" }, "pod has label sidecar.istio.io/inject=false"],
  ])("names the label that decided for %j", (labels, message) => {
    expect(checkInjection({ labels }, enabled, mesh, values).message).toContain(message);
  });

  it("judges an injected pod as if it were created again, and reports its sidecar", () => {
    const c = checkInjection(
      { pod: existing({ "sidecar.istio.io/status": "{}" }) },
      enabled,
      mesh,
      values,
    );
    expect(c).toMatchObject({ pod: "web-1", inject: true, hasSidecar: true });
  });

  it("names the annotation that opts an existing pod out", () => {
    const c = checkInjection(
      { pod: existing({ "sidecar.istio.io/inject": "false" }) },
      enabled,
      mesh,
      values,
    );
    expect(c).toMatchObject({ inject: false, reason: "pod-opt-out", hasSidecar: false });
    expect(c.message).toContain("annotation sidecar.istio.io/inject=false");
  });
});

describe("parseLabels", () => {
  it.each([
    ["", {}],
    ["app=web", { app: "web" }],
    ["app=web, version==v1", { app: "web", version: "v1" }],
    ["sidecar.istio.io/inject=false", { "sidecar.istio.io/inject": "false" }],
    ["empty=", { empty: "" }],
  ])("parses %j", (text, labels) => {
    expect(parseLabels(text)).toEqual({ ok: true, value: labels });
  });

  it.each([
    ["app", /"app" is not key=value/],
    ["app!=web", /"app!=web" is not key=value/],
    ["-bad=x", /"-bad" is not a valid label key/],
    ["app=has space", /"has space" is not a valid label value/],
  ])("refuses %j", (text, message) => {
    const r = parseLabels(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(message);
  });
});
