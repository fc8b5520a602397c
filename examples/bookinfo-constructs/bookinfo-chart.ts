/**
 * A Bookinfo-like app (https://istio.io/latest/docs/examples/bookinfo/) described with Rigging's
 * constructs: its Deployments and Services are plain cdk8s-plus, and the mesh around them —
 * namespace, ingress, canary of reviews v2, authorization, egress, resilience and a rate limit —
 * is one construct each.
 */
import { Chart, Duration, type ChartProps } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import type { Construct } from "constructs";
import {
  Canary,
  EgressRule,
  MeshGateway,
  MeshNamespace,
  Peer,
  RateLimit,
  ServiceAuthorization,
  TrafficPolicy,
} from "../../constructs";

/** Props of {@link BookinfoChart}. */
export interface BookinfoChartProps extends ChartProps {
  /**
   * The current step of the reviews canary (0 rolls back to v1).
   * @default 1
   */
  readonly canaryStep?: number;
}

const PORT = 9080;

/** One Bookinfo service: its account, Deployment(s) and Service. */
interface App {
  readonly account: kplus.ServiceAccount;
  readonly service: kplus.Service;
  readonly deployments: kplus.Deployment[];
}

function app(scope: Construct, name: string, versions: readonly string[]): App {
  const account = new kplus.ServiceAccount(scope, `${name}-sa`, {
    metadata: { name: `bookinfo-${name}` },
  });
  const deployments = versions.map(version => {
    const d = new kplus.Deployment(scope, `${name}-${version}`, {
      metadata: { name: `${name}-${version}`, labels: { app: name, version } },
      serviceAccount: account,
      replicas: 1,
      containers: [
        {
          image: `docker.io/istio/examples-bookinfo-${name}-${version}:1.20.3`,
          portNumber: PORT,
          // The Bookinfo images write to their filesystem (logs, Java's tmp).
          securityContext: { readOnlyRootFilesystem: false, ensureNonRoot: false },
        },
      ],
    });
    d.podMetadata.addLabel("app", name);
    d.podMetadata.addLabel("version", version);
    return d;
  });
  // One Service for every version: the mesh, not Kubernetes, splits traffic between them.
  const service = new kplus.Service(scope, `${name}-svc`, {
    metadata: { name, labels: { app: name } },
    ports: [{ port: PORT, name: "http" }],
  });
  service.selectLabel("app", name);
  return { account, service, deployments };
}

/** The Bookinfo app and its mesh configuration. */
export class BookinfoChart extends Chart {
  /** The canary of reviews v2, to read its per-step manifests. */
  public readonly reviewsCanary: Canary;

  /** @see BookinfoChartProps */
  public constructor(scope: Construct, id: string, props: BookinfoChartProps = {}) {
    super(scope, id, { namespace: "bookinfo", ...props });
    new MeshNamespace(this, "namespace", {
      name: "bookinfo",
      meshRequired: true,
      strictMtls: true,
    });

    const productpage = app(this, "productpage", ["v1"]);
    const details = app(this, "details", ["v1"]);
    const ratings = app(this, "ratings", ["v1"]);
    const reviews = app(this, "reviews", ["v1", "v2"]);

    new MeshGateway(this, "ingress", {
      name: "bookinfo-gateway",
      hosts: ["bookinfo.example.com"],
      tls: { credential: "bookinfo-credential" },
      routes: [
        { exactPath: "/productpage", to: productpage.service },
        { pathPrefix: "/static", to: productpage.service },
        { exactPath: "/login", to: productpage.service },
        { exactPath: "/logout", to: productpage.service },
        { pathPrefix: "/api/v1/products", to: productpage.service },
      ],
    });

    this.reviewsCanary = new Canary(this, "reviews-canary", {
      name: "reviews",
      service: reviews.service,
      stable: reviews.deployments[0]!,
      candidate: reviews.deployments[1]!,
      steps: [10, 25, 50, 100],
      step: props.canaryStep ?? 1,
      darkLaunch: { users: ["jason"] },
      mirrorPercent: 5,
    });

    // Least privilege: nothing gets in unless allowed below.
    new ServiceAuthorization(this, "deny-all", { name: "bookinfo" }).denyAll();
    new ServiceAuthorization(this, "productpage-authz", {
      name: "productpage",
      workload: productpage.deployments[0]!,
    }).allowFrom(Peer.namespace("istio-system"), { methods: ["GET", "POST"] });
    new ServiceAuthorization(this, "reviews-authz", {
      name: "reviews",
      workload: { app: "reviews" },
    }).allowFrom(Peer.serviceAccount(productpage.account), { methods: ["GET"] });
    new ServiceAuthorization(this, "ratings-authz", {
      name: "ratings",
      workload: ratings.deployments[0]!,
    }).allowFrom(Peer.serviceAccount(reviews.account), { methods: ["GET"], paths: ["/ratings/*"] });
    new ServiceAuthorization(this, "details-authz", {
      name: "details",
      workload: details.deployments[0]!,
    })
      .allowFrom(Peer.serviceAccount(productpage.account), { methods: ["GET"] })
      .requireJwt(
        "testing@secure.istio.io",
        "https://raw.githubusercontent.com/istio/istio/release-1.26/security/tools/jwt/samples/jwks.json",
        { claims: { groups: ["group1"] } },
      );

    // details v2 looks books up at Google; the sidecar upgrades its HTTP to TLS.
    new EgressRule(this, "googleapis", {
      name: "googleapis",
      host: "www.googleapis.com",
      tlsOrigination: true,
    });

    new TrafficPolicy(this, "ratings-resilience", {
      name: "ratings",
      service: ratings.service,
      timeout: Duration.seconds(2),
      retries: { attempts: 3, perTryTimeout: Duration.millis(500), retryOn: "5xx,connect-failure" },
      circuitBreaker: { maxConnections: 100, maxPendingRequests: 10, maxRequests: 100 },
      outlierDetection: { consecutive5xxErrors: 5, interval: Duration.seconds(10) },
    });

    new RateLimit(this, "productpage-rate-limit", {
      name: "productpage-rate-limit",
      workload: productpage.deployments[0]!,
      requests: 100,
      fillInterval: Duration.minutes(1),
    });
  }
}
