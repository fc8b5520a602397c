/**
 * Injection templates beyond Istio's goldens: the refusals (unknown names, custom templates with
 * Go template actions), composition order, re-injection, and the values the new templates read.
 */
import {
  defaultInjectionValues,
  defaultMeshSettings,
  injectPod,
  renderSidecar,
  type Container,
  type InjectionValues,
  type Namespace,
  type Pod,
} from "../../../mesh/inject";

const ns: Namespace = { metadata: { name: "edge", labels: { "istio-injection": "enabled" } } };
const mesh = defaultMeshSettings();

function gatewayPod(templates: string, extra: Partial<Pod["spec"]> = {}): Pod {
  return {
    metadata: {
      name: "ingress",
      namespace: "edge",
      labels: { istio: "ingress" },
      annotations: { "inject.istio.io/templates": templates },
    },
    spec: { containers: [{ name: "istio-proxy", image: "auto" }], ...extra },
  };
}

function inject(pod: Pod, values: InjectionValues = defaultInjectionValues()): Pod {
  const r = injectPod(pod, ns, mesh, values);
  if (!r.ok) throw new Error(r.errors.join("\n"));
  expect(r.value.injected).toBe(true);
  return r.value.pod;
}

const proxyOf = (pod: Pod): Container | undefined =>
  pod.spec.containers.find(c => c.name === "istio-proxy");

describe("injection templates", () => {
  it("refuses a template name it does not know, naming the pod, field and known templates", () => {
    const r = injectPod(gatewayPod("gateway, egress"), ns, mesh, defaultInjectionValues());
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      'Pod edge/ingress: metadata.annotations["inject.istio.io/templates"]: template "egress" not found; known templates: gateway, grpc-agent, grpc-simple, sidecar',
    ]);
  });

  it("refuses a custom template with Go template actions instead of rendering it wrongly", () => {
    const values = defaultInjectionValues();
    values.sidecarInjectorWebhook.templates = {
      custom: "spec:\n  containers:\n  {{- range .Spec.Containers }}\n  - name: x\n  {{- end }}\n",
    };
    const r = injectPod(gatewayPod("gateway,custom"), ns, mesh, values);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors[0]).toBe(
      'Pod edge/ingress: metadata.annotations["inject.istio.io/templates"]: values.sidecarInjectorWebhook.templates["custom"]: Go template actions ({{ ... }}) are not supported; only plain YAML overlays are',
    );
  });

  it("refuses a custom template that is not a mapping", () => {
    const values = defaultInjectionValues();
    values.sidecarInjectorWebhook.templates = { list: "- a\n- b\n" };
    const r = injectPod(gatewayPod("gateway,list"), ns, mesh, values);
    expect(r.ok ? [] : r.errors[0]).toContain(
      'values.sidecarInjectorWebhook.templates["list"]: must be a partial Pod',
    );
  });

  it("merges templates in the order named: a later one wins on the same field", () => {
    const values = defaultInjectionValues();
    values.sidecarInjectorWebhook.templates = {
      slow: "spec:\n  containers:\n  - name: istio-proxy\n    readinessProbe:\n      periodSeconds: 60\n",
    };
    const pod = inject(gatewayPod("gateway,slow"), values);
    expect(proxyOf(pod)?.readinessProbe?.periodSeconds).toBe(60);
    expect(proxyOf(pod)?.args?.slice(0, 2)).toEqual(["proxy", "router"]);
    // The status annotation lists the union of what the templates injected.
    const status = JSON.parse(pod.metadata?.annotations?.["sidecar.istio.io/status"] ?? "{}");
    expect(status.containers).toEqual(["istio-proxy"]);
  });

  it("a custom template of a built-in name replaces the built-in, as Istio's chart does", () => {
    const values = defaultInjectionValues();
    values.sidecarInjectorWebhook.templates = { gateway: "metadata:\n  labels:\n    own: yes\n" };
    const pod = inject(gatewayPod("gateway"), values);
    expect(pod.metadata?.labels?.own).toBe("yes");
    expect(proxyOf(pod)?.image).toBe("auto");
  });

  it("gateway: the pod becomes a router with Istio's proxy image and no iptables", () => {
    const pod = inject(gatewayPod("gateway"));
    const proxy = proxyOf(pod);
    // The pinned release Rigging injects by default (hub/tag of the default values).
    expect(proxy?.image).toBe("docker.io/istio/proxyv2:1.31.0");
    expect(proxy?.args?.slice(0, 2)).toEqual(["proxy", "router"]);
    expect(pod.spec.initContainers).toBeUndefined();
    expect(pod.spec.securityContext).toEqual({
      sysctls: [{ name: "net.ipv4.ip_unprivileged_port_start", value: "0" }],
    });
    expect(pod.metadata?.labels?.["service.istio.io/canonical-name"]).toBe("ingress");
    expect(proxy?.env?.find(e => e.name === "CA_ADDR")?.value).toBe(mesh.discoveryAddress);
  });

  it("gateway: values.gateways.securityContext replaces the sysctl default", () => {
    const values = defaultInjectionValues();
    values.gateways = { securityContext: { runAsNonRoot: true } };
    expect(inject(gatewayPod("gateway"), values).spec.securityContext).toEqual({
      runAsNonRoot: true,
    });
  });

  it("gateway: re-injecting an injected pod (kube-inject of its output) gives the same pod", () => {
    const once = inject(gatewayPod("gateway"));
    const again = renderSidecar(once, "edge", mesh, defaultInjectionValues());
    expect(again.ok && again.value).toEqual(once);
  });

  it("grpc-agent: status port 0 drops the readiness probe, resources and mounts", () => {
    const values = defaultInjectionValues();
    values.global.proxy.statusPort = 0;
    const pod: Pod = {
      metadata: {
        name: "api",
        namespace: "edge",
        annotations: { "inject.istio.io/templates": "grpc-agent" },
      },
      spec: { containers: [{ name: "api", image: "api:1" }] },
    };
    const agent = proxyOf(inject(pod, values));
    expect(agent?.env?.find(e => e.name === "DISABLE_ENVOY")?.value).toBe("true");
    expect(agent?.readinessProbe).toBeUndefined();
    expect(agent?.resources).toBeUndefined();
    expect(agent?.volumeMounts).toBeUndefined();
  });

  it("grpc-simple: the bootstrap names istiod in values.global.istioNamespace", () => {
    const values = defaultInjectionValues();
    values.global.istioNamespace = "mesh";
    const pod: Pod = {
      metadata: {
        name: "api",
        namespace: "edge",
        annotations: { "inject.istio.io/templates": "grpc-simple" },
      },
      spec: { containers: [{ name: "api", image: "api:1" }] },
    };
    const init = inject(pod, values).spec.initContainers?.[0];
    expect(init?.name).toBe("grpc-bootstrap-init");
    expect(init?.env?.find(e => e.name === "ISTIO_NAMESPACE")?.value).toBe("mesh\n");
  });

  it("a pod that names no template gets the injector config's defaultTemplates", () => {
    const values = defaultInjectionValues();
    values.sidecarInjectorWebhook.templates = { spire: "metadata:\n  labels: {spiffe: enabled}\n" };
    values.sidecarInjectorWebhook.defaultTemplates = ["sidecar", "spire"];
    const plain: Pod = {
      metadata: { name: "app", namespace: "edge" },
      spec: { containers: [{ name: "app", image: "app:1" }] },
    };
    const pod = inject(plain, values);
    expect(pod.metadata?.labels?.spiffe).toBe("enabled");
    expect(pod.spec.initContainers?.some(c => c.name === "istio-proxy")).toBe(true);
    // Without the setting, the same pod gets the sidecar alone.
    expect(inject(plain).metadata?.labels?.spiffe).toBeUndefined();
  });
});
