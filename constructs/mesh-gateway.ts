/**
 * MeshGateway: an ingress Gateway for a set of hosts and the VirtualService bound to it, with TLS
 * from a Secret, an HTTP→HTTPS redirect, and routes to cdk8s-plus Services or Deployments; and,
 * on request, the gateway's own Deployment and Service (see lib/gateway-workload.ts).
 */
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { Gateway, type GatewaySpecServers } from "./generated/gateway";
import { VirtualService, type VirtualServiceSpecHttp } from "./generated/virtual-service";
import { checkProp, intInRange } from "./lib/errors";
import {
  GATEWAY_RESERVED_PORTS,
  gatewayWorkload,
  type GatewayDeploymentOptions,
} from "./lib/gateway-workload";
import { checkGatewayHost, hostOf, portOf, type Backend } from "./lib/hosts";
import { validateWithMesh, type ProducedObject } from "./lib/mesh-validation";

/** A backend with its share of a route's traffic. */
export interface WeightedBackend {
  /** Where this share goes. */
  readonly to: Backend;
  /** Percent of the route's traffic; the weights of one route must add up to 100. */
  readonly weight: number;
  /**
   * The destination port.
   * @default - the first port of the Service; none for a host name
   */
  readonly port?: number;
}

/** One HTTP route of a gateway. */
export interface GatewayRoute {
  /**
   * Match requests whose path starts with this prefix.
   * @default "/" (every request), unless `exactPath` is set
   */
  readonly pathPrefix?: string;
  /**
   * Match requests with exactly this path instead of a prefix.
   * @default - match by `pathPrefix`
   */
  readonly exactPath?: string;
  /**
   * Send all matching traffic here. Set exactly one of `to` and `split`.
   * @default - `split` is used
   */
  readonly to?: Backend;
  /**
   * The destination port for `to`.
   * @default - the first port of the Service; none for a host name
   */
  readonly port?: number;
  /**
   * Split matching traffic between backends by weight (adding up to 100).
   * @default - `to` is used
   */
  readonly split?: readonly WeightedBackend[];
}

/** TLS termination at the gateway. */
export interface GatewayTls {
  /** The Secret (in the gateway's namespace) holding `tls.crt`/`tls.key`, and `ca.crt` for MUTUAL. */
  readonly credential: kplus.Secret | string;
  /**
   * SIMPLE (server TLS) or MUTUAL (clients must present a certificate).
   * @default "SIMPLE"
   */
  readonly mode?: "SIMPLE" | "MUTUAL";
  /**
   * The HTTPS port.
   * @default 443
   */
  readonly port?: number;
}

/** Props of {@link MeshGateway}. */
export interface MeshGatewayProps {
  /**
   * The Gateway's name; the VirtualService is named `<name>-routes`.
   * @default - names cdk8s generates
   */
  readonly name?: string;
  /**
   * Hosts served: FQDNs or wildcards (`*`, `*.example.com`), optionally `namespace/host`.
   * @default ["*"]
   */
  readonly hosts?: readonly string[];
  /**
   * Labels of the gateway pods that apply this configuration.
   * @default { istio: "ingressgateway" }, or `{ istio: <deployment name> }` with `deployment`
   */
  readonly selector?: Readonly<Record<string, string>>;
  /**
   * The plain HTTP port.
   * @default 80
   */
  readonly httpPort?: number;
  /**
   * Terminate TLS with a certificate from a Secret.
   * @default - plain HTTP only
   */
  readonly tls?: GatewayTls;
  /**
   * With `tls`, answer plain HTTP with a redirect to HTTPS (301). Needs `tls`.
   * @default true when `tls` is set
   */
  readonly httpsRedirect?: boolean;
  /**
   * HTTP routes, in match order; more can be added with `addRoute`.
   * @default []
   */
  readonly routes?: readonly GatewayRoute[];
  /**
   * Also run the gateway: a Deployment whose pods the injector turns into Envoy (`gateway`
   * template, `image: auto`), its ServiceAccount, and a Service (LoadBalancer by default) with
   * the servers' ports. The pods carry the selector's labels.
   * @default - no Deployment: the Gateway configures gateway pods deployed elsewhere
   */
  readonly deployment?: GatewayDeploymentOptions;
}

/** Refuses a server port the gateway pod uses itself (status, admin, metrics). */
function checkReservedPort(scope: Construct, prop: string, port: number): void {
  const use = GATEWAY_RESERVED_PORTS[port];
  if (use) checkProp(scope, prop, `${port} is ${use} on the gateway pod`);
}

/** An ingress gateway and its routes. */
export class MeshGateway extends Construct {
  /** The Gateway. */
  public readonly gateway: Gateway;
  /** The gateway pods (with the `deployment` prop). */
  public readonly deployment?: kplus.Deployment;
  /** The gateway pods' ServiceAccount (with the `deployment` prop). */
  public readonly serviceAccount?: kplus.ServiceAccount;
  /** The Service in front of the gateway pods (with the `deployment` prop). */
  public readonly service?: kplus.Service;
  private virtualService?: VirtualService;
  private readonly routes: VirtualServiceSpecHttp[] = [];
  private readonly hosts: readonly string[];
  private readonly routesName?: string;

  /** @see MeshGatewayProps */
  public constructor(scope: Construct, id: string, props: MeshGatewayProps = {}) {
    super(scope, id);
    this.hosts = props.hosts ?? ["*"];
    checkProp(this, "hosts", this.hosts.length === 0 ? "needs at least one host" : undefined);
    this.hosts.forEach((h, i) => checkGatewayHost(this, `hosts[${i}]`, h));
    const httpPort = props.httpPort ?? 80;
    checkProp(this, "httpPort", intInRange(httpPort, 1, 65535));
    if (props.tls?.port !== undefined)
      checkProp(this, "tls.port", intInRange(props.tls.port, 1, 65535));
    if (props.httpsRedirect && !props.tls) checkProp(this, "httpsRedirect", "needs tls");
    this.routesName = props.name !== undefined ? `${props.name}-routes` : undefined;
    const servers = this.servers(props, httpPort);
    const podName = props.deployment ? (props.deployment.name ?? props.name) : undefined;
    const selector = props.selector ?? { istio: podName ?? "ingressgateway" };
    if (props.deployment) {
      checkReservedPort(this, "httpPort", httpPort);
      if (props.tls) checkReservedPort(this, "tls.port", props.tls.port ?? 443);
      const workload = gatewayWorkload(this, props.deployment, {
        defaultName: props.name,
        podLabels: selector,
        serverPorts: servers.map(sv => ({ name: sv.port.name, number: sv.port.number })),
      });
      this.deployment = workload.deployment;
      this.serviceAccount = workload.serviceAccount;
      this.service = workload.service;
    }
    this.gateway = new Gateway(this, "Gateway", {
      metadata: props.name !== undefined ? { name: props.name } : {},
      spec: { selector: { ...selector }, servers },
    });
    (props.routes ?? []).forEach(r => this.addRoute(r));
    validateWithMesh(this, () => this.produced());
  }

  /** The VirtualService bound to the gateway, once a route exists. */
  public get routing(): VirtualService | undefined {
    return this.virtualService;
  }

  /** Adds an HTTP route after the existing ones (Istio matches routes in order). */
  public addRoute(route: GatewayRoute): void {
    const prop = `routes[${this.routes.length}]`;
    if ((route.to === undefined) === (route.split === undefined)) {
      checkProp(this, prop, "set exactly one of to and split");
    }
    if (route.pathPrefix !== undefined && route.exactPath !== undefined) {
      checkProp(this, prop, "set at most one of pathPrefix and exactPath");
    }
    const path = route.exactPath ?? route.pathPrefix ?? "/";
    if (!path.startsWith("/"))
      checkProp(this, `${prop}.pathPrefix`, `${JSON.stringify(path)} must start with /`);
    const split = route.split ?? [{ to: route.to as Backend, weight: 100, port: route.port }];
    split.forEach((s, i) =>
      checkProp(this, `${prop}.split[${i}].weight`, intInRange(s.weight, 0, 100)),
    );
    const total = split.reduce((sum, s) => sum + s.weight, 0);
    if (total !== 100) checkProp(this, `${prop}.split`, `weights add up to ${total}, must be 100`);
    this.routes.push({
      match: [{ uri: route.exactPath !== undefined ? { exact: path } : { prefix: path } }],
      route: split.map(s => {
        const port = s.port ?? portOf(s.to);
        return {
          destination: {
            host: hostOf(s.to),
            ...(port !== undefined ? { port: { number: port } } : {}),
          },
          // A single destination needs no weight; Istio reads a lone one as 100.
          ...(split.length > 1 ? { weight: s.weight } : {}),
        };
      }),
    });
    this.virtualService ??= new VirtualService(this, "Routes", {
      metadata: this.routesName !== undefined ? { name: this.routesName } : {},
      spec: {
        // A gateway-bound VirtualService lists bare host names; `ns/` belongs to the Gateway.
        hosts: this.hosts.map(h => h.slice(h.indexOf("/") + 1)),
        gateways: [this.gateway.name],
        http: this.routes,
      },
    });
  }

  private servers(props: MeshGatewayProps, httpPort: number): GatewaySpecServers[] {
    const hosts = [...this.hosts];
    const http = { name: "http", number: httpPort, protocol: "HTTP" };
    if (!props.tls) return [{ port: http, hosts }];
    const credential = props.tls.credential;
    const https: GatewaySpecServers = {
      port: { name: "https", number: props.tls.port ?? 443, protocol: "HTTPS" },
      hosts,
      tls: {
        mode: props.tls.mode ?? "SIMPLE",
        credentialName: typeof credential === "string" ? credential : credential.name,
      },
    };
    const redirect = props.httpsRedirect ?? true;
    return redirect ? [https, { port: http, hosts, tls: { httpsRedirect: true } }] : [https];
  }

  private produced(): ProducedObject[] {
    const out: ProducedObject[] = [
      {
        object: this.gateway,
        props: [
          ["spec.servers[0].tls", "tls"],
          ["spec.servers", "hosts"],
          ["spec.selector", "selector"],
        ],
      },
    ];
    if (this.virtualService) {
      out.push({
        object: this.virtualService,
        props: [
          ...this.routes.map((_, i) => [`spec.http[${i}]`, `routes[${i}]`] as const),
          ["spec.hosts", "hosts"],
        ],
      });
    }
    return out;
  }
}
