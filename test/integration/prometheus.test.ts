/**
 * The control plane's telemetry as an operator sees it: a real Prometheus server (Debian's
 * package) on loopback scrapes the running module's `/metrics`; its HTTP API shows the xDS push
 * count rise after a config change, and every panel of the shipped Grafana dashboard
 * (dashboards/rigging-control-plane.json) is a valid query over series that really exist.
 *
 * The test drives each thing a panel shows: proxies connect (a SotW client per proxy), one NACKs,
 * one asks for an unknown type, a pod is injected and a VirtualService validated (webhooks),
 * certificates are issued and refused (CA), and both injection ConfigMaps are loaded.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { nodeCaDeps } from "../../ca/server/node-crypto";
import { requestCertificate } from "../../cli/agent/request-certificate";
import type { DevSession } from "../../cli/dev/runner";
import { freePort } from "../../cli/local-cluster/ports";
import { TypeUrl } from "../../xds/encode/type-urls";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { applyOrFail, create, createNamespace, eventually, getJson } from "../harness/kube";
import { startTestModule } from "../harness/module";
import { startPrometheus, type RunningPrometheus } from "../harness/prometheus";
import { repoRoot } from "../harness/shared";
import { requestToken } from "../harness/tokens";
import { SotwTestClient, type AnswerPolicy } from "../harness/xds-sotw-client";

interface DashboardPanel {
  id: number;
  title: string;
  targets: Array<{ expr: string; refId: string }>;
}

const dashboard = JSON.parse(
  readFileSync(join(repoRoot, "dashboards", "rigging-control-plane.json"), "utf8"),
) as { panels: DashboardPanel[]; templating: { list: Array<{ name: string; type: string }> } };

/** Grafana's `$__rate_interval` as Grafana would fill it for a 1 s scrape interval. */
const grafanaExpr = (expr: string) => expr.replaceAll("$__rate_interval", "1m");

/** The metric names a PromQL expression reads (Rigging's and Pepr's own prefixes). */
function metricNames(expr: string): string[] {
  const names = expr.match(/\b(?:rigging|pepr)_[a-z_]+\b/g) ?? [];
  return [...new Set(names.map(n => n.replace(/_(bucket|sum|count)$/, "")))];
}

const serviceEntry = (name: string) => ({
  apiVersion: "networking.istio.io/v1",
  kind: "ServiceEntry",
  metadata: { name, namespace: "default" },
  spec: {
    hosts: [`${name}.example.com`],
    ports: [{ number: 80, name: "http", protocol: "HTTP" }],
    resolution: "DNS",
  },
});

describe("Prometheus scraping the control plane", () => {
  let cluster: LocalCluster;
  let session: DevSession;
  let prometheus: RunningPrometheus;
  let xdsTlsPort: number;
  const clients: SotwTestClient[] = [];

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    const xdsPort = await freePort();
    xdsTlsPort = await freePort();
    session = await startTestModule({
      env: {
        RIGGING_XDS_ADDRESS: `127.0.0.1:${xdsPort}`,
        RIGGING_XDS_TLS_ADDRESS: `127.0.0.1:${xdsTlsPort}`,
      },
    });
    prometheus = await startPrometheus([
      { job: "rigging", scheme: "https", address: `127.0.0.1:${session.port}` },
    ]);
    const sidecar = (name: string, answer?: AnswerPolicy) =>
      new SotwTestClient(xdsPort, {
        nodeId: `sidecar~127.0.0.${clients.length + 10}~${name}.default~default.svc.cluster.local`,
        metadata: { NAMESPACE: "default", LABELS: { app: name }, SERVICE_ACCOUNT: "default" },
        answer,
      });
    clients.push(sidecar("web"));
    // A proxy that refuses every cluster it is sent, as an Envoy does a config it cannot load.
    clients.push(
      sidecar("picky", r => (r.typeUrl === TypeUrl.cluster ? { nack: "refused by test" } : "ack")),
    );
    for (const c of clients) {
      c.subscribe(TypeUrl.listener, []);
      c.subscribe(TypeUrl.cluster, []);
    }
    // A request for a type no xDS server serves: counted as rejected.
    clients.push(sidecar("odd"));
    clients[2]!.subscribe("type.googleapis.com/example.Unknown", []);
  }, 240_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    await prometheus?.stop();
    await session?.stop();
    await cluster?.stop();
  });

  it("sees the xDS push count rise after a config change, through its HTTP API", async () => {
    const pushes = async () =>
      Number((await prometheus.query("sum(rigging_xds_pushes_total)"))[0]?.value[1] ?? NaN);
    await eventually("a first scrape with pushes", async () =>
      (await pushes()) > 0 ? true : undefined,
    );
    const before = await pushes();
    const changedAt = Date.now();
    await applyOrFail(cluster, [serviceEntry("payments")]);
    const after = await eventually(
      "pushes after the ServiceEntry",
      async () => {
        const now = await pushes();
        return now > before ? now : undefined;
      },
      30_000,
    );
    console.log(
      `Prometheus: rigging_xds_pushes_total ${before} → ${after} ${Date.now() - changedAt} ms after the change (scrape every 1 s)`,
    );
    // The change reached the proxies as well as the counter.
    expect(
      [...(clients[0]!.objects.get(TypeUrl.cluster)?.keys() ?? [])].some(n =>
        n.includes("payments.example.com"),
      ),
    ).toBe(true);
  });

  it("answers every panel of the Grafana dashboard from series that exist", async () => {
    // What the remaining panels show: webhooks, the CA, the injection ConfigMaps.
    await createNamespace(cluster, "istio-system");
    await createNamespace(cluster, "meshed", { "istio-injection": "enabled" });
    await create(cluster, "/api/v1/namespaces/meshed/pods", {
      metadata: { name: "app" },
      spec: { containers: [{ name: "app", image: "example/app:1" }] },
    });
    await applyOrFail(cluster, [
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "payments", namespace: "default" },
        spec: {
          hosts: ["payments.example.com"],
          http: [{ route: [{ destination: { host: "payments.example.com" } }] }],
        },
      },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "istio", namespace: "istio-system" },
        data: { mesh: "defaultConfig:\n  holdApplicationUntilProxyStarts: true\n" },
      },
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "istio-sidecar-injector", namespace: "istio-system" },
        data: { values: JSON.stringify({ global: { tag: "1.31.1" } }) },
      },
    ]);
    const roots = await eventually("istio-ca-root-cert in default", async () => {
      const cm = await getJson<{ data?: Record<string, string> }>(
        cluster,
        "/api/v1/namespaces/default/configmaps/istio-ca-root-cert",
      ).catch(() => undefined);
      return cm?.data?.["root-cert.pem"];
    });
    const ca = { address: `127.0.0.1:${xdsTlsPort}`, rootsPem: roots, serverName: "localhost" };
    const token = await requestToken(cluster, "default", "default");
    await requestCertificate(ca, token, 3600, nodeCaDeps.generateKey);
    await expect(requestCertificate(ca, `${token}x`, 3600, nodeCaDeps.generateKey)).rejects.toThrow(
      /UNAUTHENTICATED|authentication/,
    );

    expect(dashboard.templating.list.map(v => [v.name, v.type])).toEqual([
      ["datasource", "datasource"],
    ]);
    const answered: string[] = [];
    for (const panel of dashboard.panels) {
      expect({ panel: panel.title, targets: panel.targets.length > 0 }).toEqual({
        panel: panel.title,
        targets: true,
      });
      for (const target of panel.targets) {
        const names = metricNames(target.expr);
        expect({ panel: panel.title, reads: names.length > 0 }).toEqual({
          panel: panel.title,
          reads: true,
        });
        for (const name of names) {
          // The series exists in what Prometheus scraped: the metric is real, not a guess.
          await eventually(`${panel.title}: ${name} scraped`, async () =>
            (await prometheus.query(`count({__name__=~"${name}(_bucket)?"})`)).length > 0
              ? true
              : undefined,
          );
        }
        // And the panel's own query is valid PromQL that returns data.
        const result = await eventually(
          `${panel.title} (${target.refId}) returns data`,
          async () => {
            const samples = await prometheus.query(grafanaExpr(target.expr));
            return samples.length > 0 ? samples : undefined;
          },
          30_000,
        );
        answered.push(`${panel.title} ${target.refId}: ${result.length} series`);
      }
    }
    console.log(`dashboard panels answered by Prometheus:\n  ${answered.join("\n  ")}`);
  });
});
