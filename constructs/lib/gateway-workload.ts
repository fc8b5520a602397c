/**
 * The pods and Service of an ingress gateway (MeshGateway's `deployment` prop), as Istio's
 * gateway Helm chart makes them. The Deployment's only container is `istio-proxy` with `image: auto`, annotated
 * `inject.istio.io/templates: gateway` and labelled `sidecar.istio.io/inject: "true"`, so the
 * injector turns it into Envoy in router mode with Istio's proxyv2 image; the Service exposes the
 * gateway's ports and the status port load balancers probe.
 */
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { checkProp, dnsLabel, intInRange } from "./errors";

/** The port Envoy's readiness endpoint listens on (`/healthz/ready`), probed by load balancers. */
export const GATEWAY_STATUS_PORT = 15021;

/** Ports the gateway pod itself uses; a gateway server cannot listen on them. */
export const GATEWAY_RESERVED_PORTS: Readonly<Record<number, string>> = {
  15000: "Envoy admin",
  15020: "the agent's merged metrics",
  [GATEWAY_STATUS_PORT]: "the gateway's status port",
  15090: "Envoy's Prometheus stats",
};

/** Options of a gateway's Deployment and Service. */
export interface GatewayDeploymentOptions {
  /**
   * The name of the Deployment, ServiceAccount and Service, and the pods' `istio` and `app`
   * labels.
   * @default - the gateway's `name`
   */
  readonly name?: string;
  /**
   * Gateway pods to run.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * The `istio-proxy` container's resources.
   * @default - cdk8s-plus's container defaults
   */
  readonly resources?: kplus.ContainerResources;
  /**
   * The Service's type.
   * @default kplus.ServiceType.LOAD_BALANCER
   */
  readonly serviceType?: kplus.ServiceType;
  /**
   * The Service's ports.
   * @default - `status-port` 15021, then each Gateway server's port (target port = port)
   */
  readonly servicePorts?: readonly kplus.ServicePort[];
}

/** What the gateway's workload is made from, besides the user's options. */
export interface GatewayWorkloadInput {
  /** The name to use when `options.name` is not set (the Gateway's). */
  readonly defaultName?: string;
  /** Labels the pods carry besides `istio`, `app` and `sidecar.istio.io/inject`: the selector. */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Ports the Gateway's servers listen on, with their names. */
  readonly serverPorts: readonly { readonly name: string; readonly number: number }[];
}

/** The Kubernetes objects of a gateway. */
export interface GatewayWorkload {
  /** The gateway pods. */
  readonly deployment: kplus.Deployment;
  /** The identity the gateway's certificate is issued to. */
  readonly serviceAccount: kplus.ServiceAccount;
  /** The Service in front of the pods. */
  readonly service: kplus.Service;
}

/**
 * Adds the gateway's ServiceAccount, Deployment and Service under `scope`. Bad options throw,
 * naming the scope and `deployment.<field>`.
 */
export function gatewayWorkload(
  scope: Construct,
  options: GatewayDeploymentOptions,
  input: GatewayWorkloadInput,
): GatewayWorkload {
  const name = options.name ?? input.defaultName;
  if (name === undefined) {
    checkProp(scope, "deployment.name", "needed when the gateway has no name");
  }
  const gatewayName = name as string;
  checkProp(scope, "deployment.name", dnsLabel(gatewayName));
  const replicas = options.replicas ?? 1;
  checkProp(scope, "deployment.replicas", intInRange(replicas, 0, 10000));
  const ports = options.servicePorts ?? defaultServicePorts(input.serverPorts);
  if (ports.length === 0) checkProp(scope, "deployment.servicePorts", "needs at least one port");
  ports.forEach((p, i) =>
    checkProp(scope, `deployment.servicePorts[${i}].port`, intInRange(p.port, 1, 65535)),
  );

  const serviceAccount = new kplus.ServiceAccount(scope, "ServiceAccount", {
    metadata: { name: gatewayName },
  });
  const deployment = new kplus.Deployment(scope, "Deployment", {
    metadata: { name: gatewayName },
    replicas,
    serviceAccount,
    podMetadata: {
      labels: {
        // Injection without a namespace label, as Istio's object selector allows.
        "sidecar.istio.io/inject": "true",
        istio: gatewayName,
        app: gatewayName,
        ...input.podLabels,
      },
      annotations: { "inject.istio.io/templates": "gateway" },
    },
    containers: [
      {
        name: "istio-proxy",
        // "auto": the injector fills in its proxy image.
        image: "auto",
        imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
        ports: [{ number: 15090, name: "http-envoy-prom", protocol: kplus.Protocol.TCP }],
        ...(options.resources ? { resources: options.resources } : {}),
      },
    ],
  });
  const service = new kplus.Service(scope, "Service", {
    metadata: { name: gatewayName },
    type: options.serviceType ?? kplus.ServiceType.LOAD_BALANCER,
    selector: deployment,
    ports: [...ports],
  });
  return { deployment, serviceAccount, service };
}

/** The status port, then each server's port, deduplicated (HTTP and HTTPS share none). */
function defaultServicePorts(
  servers: readonly { readonly name: string; readonly number: number }[],
): kplus.ServicePort[] {
  const out: kplus.ServicePort[] = [
    { name: "status-port", port: GATEWAY_STATUS_PORT, targetPort: GATEWAY_STATUS_PORT },
  ];
  for (const s of servers) {
    if (out.some(p => p.port === s.number)) continue;
    out.push({ name: s.name, port: s.number, targetPort: s.number });
  }
  return out;
}
