/**
 * Issue 8's CUSTOM action end to end, through Istio's mesh config: the ConfigMap `istio` in
 * istio-system declares an `envoyExtAuthzGrpc` provider; the module follows it, and the sidecar
 * and the ingress gateway that CUSTOM AuthorizationPolicies select get the ext_authz filter and
 * the authorizer's cluster over ADS. A malformed mesh config is refused whole (the module names
 * ConfigMap, field and rule, proxies keep what they had); deleting the ConfigMap returns the
 * mesh to Istio's defaults, where a CUSTOM policy naming an unknown provider denies.
 *
 * What the proxies then do with a request is shown on the served config: the authorizer's
 * address comes from the EDS the sidecar was served, the authorizer is a real gRPC
 * `envoy.service.auth.v3.Authorization` server on 127.0.0.44, and the ext_authz/RBAC client
 * side is `ext-authz-interpreter.ts`, standing in for Envoy (no Envoy binary runs on this
 * machine; grpc-js-xds has no ext_authz). Loopback only.
 */
import type { DevSession } from "../../cli/dev/runner";
import { freePort } from "../../cli/local-cluster/ports";
import type { NamedFilter } from "../../xds/compile/security/index";
import { TypeUrl } from "../../xds/encode/type-urls";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { GrpcAuthorizer } from "../harness/ext-authz-servers";
import { applyOrFail, createNamespace, eventually, kubectl } from "../harness/kube";
import { startTestModule } from "../harness/module";
import { SotwTestClient } from "../harness/xds-sotw-client";
import { runHttpFilters, type DataplaneRequest } from "../mesh/authz/ext-authz-interpreter";

type O = Record<string, unknown>;
const obj = (v: unknown): O => (v ?? {}) as O;

const AUTHZ_HOST = "ext-authz.foo.svc.cluster.local";
const AUTHZ_CLUSTER = `outbound|9000||${AUTHZ_HOST}`;
const EXT_AUTHZ = "envoy.filters.http.ext_authz";
const PROVIDERS = `extensionProviders:
- name: ext-authz-grpc
  envoyExtAuthzGrpc:
    service: ${AUTHZ_HOST}
    port: 9000
    timeout: 2s
`;

const HTTP_8000 = { number: 8000, name: "http", protocol: "HTTP" };
const GRPC_9000 = { number: 9000, name: "grpc", protocol: "GRPC" };

const meshConfigMap = (mesh: string) => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "istio", namespace: "istio-system" },
  data: { mesh },
});

/** The HTTP filters of the sidecar's inbound chain for `port` (plaintext chain). */
function inboundHttpFilters(client: SotwTestClient, port: number): NamedFilter[] {
  const listener = client.objects.get(TypeUrl.listener)?.get("virtualInbound");
  const chains = (obj(listener).filter_chains as O[] | undefined) ?? [];
  const chain = chains.find(
    c =>
      obj(obj(c.filter_chain_match).destination_port).value === port &&
      obj(c.filter_chain_match).transport_protocol === "raw_buffer",
  );
  return hcmFilters(chain);
}

function hcmFilters(chain: O | undefined): NamedFilter[] {
  const hcm = ((chain?.filters as O[] | undefined) ?? []).find(f =>
    String(f.name).includes("http_connection_manager"),
  );
  return (obj(hcm?.typed_config).http_filters as NamedFilter[] | undefined) ?? [];
}

/** The HTTP filters of the gateway's port-8080 listener. */
function gatewayHttpFilters(client: SotwTestClient): NamedFilter[] {
  const listener = client.objects.get(TypeUrl.listener)?.get("0.0.0.0_8080");
  return hcmFilters(((obj(listener).filter_chains as O[] | undefined) ?? [])[0]);
}

/** Where the sidecar's own EDS says a cluster's endpoint is: Envoy's cluster manager's job. */
function resolveFromEds(client: SotwTestClient) {
  return (cluster: string): string | undefined => {
    const cla = obj(client.objects.get(TypeUrl.endpoint)?.get(cluster));
    const lb = ((cla.endpoints as O[] | undefined) ?? []).flatMap(
      g => (g.lb_endpoints as O[] | undefined) ?? [],
    )[0];
    const socket = obj(obj(obj(obj(lb).endpoint).address).socket_address);
    return socket.address ? `${String(socket.address)}:${Number(socket.port_value)}` : undefined;
  };
}

const request = (path: string, headers: Record<string, string> = {}): DataplaneRequest => ({
  protocol: "HTTP",
  method: "GET",
  path,
  host: "httpbin.default:8000",
  principal: "cluster.local/ns/default/sa/sleep",
  sourceIp: "127.0.0.9",
  sourcePort: 40000,
  destinationIp: "127.0.0.42",
  destinationPort: 8000,
  headers,
});

describe("mesh config: CUSTOM authorization through extensionProviders, end to end", () => {
  let cluster: LocalCluster;
  let session: DevSession;
  let httpbin: SotwTestClient;
  let gateway: SotwTestClient;
  const authorizer = new GrpcAuthorizer();
  const moduleLines: string[] = [];

  beforeAll(async () => {
    await authorizer.start("127.0.0.44:0");
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    const xdsPort = await freePort();
    session = await startTestModule({
      env: { RIGGING_XDS_ADDRESS: `127.0.0.1:${xdsPort}`, RIGGING_XDS_TLS_ADDRESS: "off" },
      moduleLog: line => moduleLines.push(line),
    });
    await createNamespace(cluster, "foo");
    await createNamespace(cluster, "istio-system");
    const workload = (
      name: string,
      ns: string,
      ip: string,
      port: { number: number; name: string; protocol: string },
      targetPort: number,
    ) => [
      {
        apiVersion: "networking.istio.io/v1",
        kind: "ServiceEntry",
        metadata: { name, namespace: ns },
        spec: {
          hosts: [`${name}.${ns}.svc.cluster.local`],
          ports: [port],
          location: "MESH_INTERNAL",
          resolution: "STATIC",
          workloadSelector: { labels: { app: name } },
        },
      },
      {
        apiVersion: "networking.istio.io/v1",
        kind: "WorkloadEntry",
        metadata: { name, namespace: ns },
        spec: {
          address: ip,
          labels: { app: name },
          serviceAccount: name,
          ports: { [port.name]: targetPort },
        },
      },
    ];
    const custom = (name: string, ns: string, labels: Record<string, string>) => ({
      apiVersion: "security.istio.io/v1",
      kind: "AuthorizationPolicy",
      metadata: { name, namespace: ns },
      spec: {
        selector: { matchLabels: labels },
        action: "CUSTOM",
        provider: { name: "ext-authz-grpc" },
        rules: [{ to: [{ operation: { paths: ["/admin*"] } }] }],
      },
    });
    applyOrFail(cluster, [
      ...workload("httpbin", "default", "127.0.0.42", HTTP_8000, 8000),
      ...workload("ext-authz", "foo", "127.0.0.44", GRPC_9000, authorizer.port),
      custom("httpbin-custom", "default", { app: "httpbin" }),
      custom("ingress-custom", "istio-system", { istio: "ingressgateway" }),
      {
        apiVersion: "networking.istio.io/v1",
        kind: "Gateway",
        metadata: { name: "ingress", namespace: "istio-system" },
        spec: {
          selector: { istio: "ingressgateway" },
          servers: [{ port: { number: 8080, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
        },
      },
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "httpbin", namespace: "default" },
        spec: {
          hosts: ["httpbin.example.com"],
          gateways: ["istio-system/ingress"],
          http: [{ route: [{ destination: { host: "httpbin.default.svc.cluster.local" } }] }],
        },
      },
    ]);
    httpbin = new SotwTestClient(xdsPort, {
      nodeId: "sidecar~127.0.0.42~httpbin.default~default.svc.cluster.local",
      metadata: { NAMESPACE: "default", LABELS: { app: "httpbin" }, SERVICE_ACCOUNT: "httpbin" },
    });
    gateway = new SotwTestClient(xdsPort, {
      nodeId: "router~127.0.0.50~ingress.istio-system~istio-system.svc.cluster.local",
      metadata: { NAMESPACE: "istio-system", LABELS: { istio: "ingressgateway" } },
    });
    for (const c of [httpbin, gateway]) {
      c.subscribe(TypeUrl.listener, []);
      c.subscribe(TypeUrl.cluster, []);
    }
    httpbin.subscribe(TypeUrl.endpoint, [AUTHZ_CLUSTER]);
    await eventually("httpbin's inbound chain and the gateway listener", async () =>
      inboundHttpFilters(httpbin, 8000).length > 0 && gatewayHttpFilters(gateway).length > 0
        ? true
        : undefined,
    );
  }, 240_000);

  afterAll(async () => {
    if (process.env.RIGGING_TEST_VERBOSE) console.log(moduleLines.slice(-40).join("\n"));
    httpbin?.close();
    gateway?.close();
    authorizer.stop();
    await session?.stop();
    await cluster?.stop();
  });

  const run = (filters: NamedFilter[], path: string, headers?: Record<string, string>) =>
    runHttpFilters(filters, request(path, headers), { resolveCluster: resolveFromEds(httpbin) });

  it("without a mesh config, a CUSTOM policy naming an unknown provider denies its paths and the module says why", async () => {
    const filters = inboundHttpFilters(httpbin, 8000);
    expect(filters.map(f => f.name)).not.toContain(EXT_AUTHZ);
    expect((await run(filters, "/admin", { "x-ext-authz": "allow" })).status).toBe(403);
    expect((await run(filters, "/public")).status).toBe(200);
    await eventually("the module's warning", async () =>
      moduleLines.some(l =>
        l.includes(
          'AuthorizationPolicy default/httpbin-custom: spec.provider.name: CUSTOM provider \\"ext-authz-grpc\\": available providers are []',
        ),
      )
        ? true
        : undefined,
    );
    expect(authorizer.calls).toHaveLength(0);
  });

  it("the provider declared in the istio ConfigMap reaches the sidecar and the gateway, and the authorizer decides", async () => {
    const started = performance.now();
    applyOrFail(cluster, [meshConfigMap(PROVIDERS)]);
    await eventually("ext_authz on httpbin's inbound chain", async () =>
      inboundHttpFilters(httpbin, 8000).some(f => f.name === EXT_AUTHZ) ? true : undefined,
    );
    const ms = performance.now() - started;
    console.log(
      `mesh config propagation: kubectl apply → ext_authz on the sidecar in ${ms.toFixed(0)} ms`,
    );
    const filters = inboundHttpFilters(httpbin, 8000);
    const extAuthz = obj(filters.find(f => f.name === EXT_AUTHZ)?.typed_config);
    expect(obj(obj(extAuthz.grpc_service).envoy_grpc)).toEqual({
      cluster_name: AUTHZ_CLUSTER,
      authority: AUTHZ_HOST,
    });
    expect(httpbin.objects.get(TypeUrl.cluster)?.has(AUTHZ_CLUSTER)).toBe(true);
    await eventually("the authorizer's endpoint in httpbin's EDS", async () =>
      resolveFromEds(httpbin)(AUTHZ_CLUSTER),
    );

    const allowed = await run(filters, "/admin", { "x-ext-authz": "allow" });
    expect(allowed.status).toBe(200);
    expect(authorizer.calls).toHaveLength(1);
    expect(authorizer.calls[0]!.http.path).toBe("/admin");
    const denied = await run(filters, "/admin");
    expect(denied).toMatchObject({ status: 403, deniedBy: "ext_authz" });
    expect((await run(filters, "/public")).status).toBe(200);
    expect(authorizer.calls).toHaveLength(2);

    // The gateway: same provider, its own CUSTOM policy, the authorizer's cluster in its CDS.
    await eventually("ext_authz on the gateway's listener", async () =>
      gatewayHttpFilters(gateway).some(f => f.name === EXT_AUTHZ) ? true : undefined,
    );
    expect(gateway.objects.get(TypeUrl.cluster)?.has(AUTHZ_CLUSTER)).toBe(true);
    const atGateway = await run(gatewayHttpFilters(gateway), "/admin");
    expect(atGateway).toMatchObject({ status: 403, deniedBy: "ext_authz" });
    expect(authorizer.calls).toHaveLength(3);
  });

  it("a malformed mesh config is refused whole, named by ConfigMap, field and rule; proxies keep the provider", async () => {
    const before = JSON.stringify(inboundHttpFilters(httpbin, 8000));
    applyOrFail(cluster, [
      meshConfigMap(PROVIDERS.replace("port: 9000", "port: 99999") + "trustDomain: other.td\n"),
    ]);
    const refusal = await eventually("the module's refusal", async () =>
      moduleLines.find(l => l.includes("mesh config refused")),
    );
    expect(refusal).toContain(
      "ConfigMap istio-system/istio: data.mesh: extensionProviders[0].envoyExtAuthzGrpc.port",
    );
    expect(refusal).toContain("99999");
    // A push the refused config would have caused is debounced 100 ms; wait well past it.
    await new Promise(r => setTimeout(r, 1500));
    expect(JSON.stringify(inboundHttpFilters(httpbin, 8000))).toBe(before);
  });

  it("deleting the ConfigMap returns to Istio's defaults: the CUSTOM policy denies again", async () => {
    const res = kubectl(cluster, ["delete", "configmap", "istio", "-n", "istio-system"]);
    expect(res.status).toBe(0);
    await eventually("ext_authz gone from httpbin's inbound chain", async () =>
      inboundHttpFilters(httpbin, 8000).some(f => f.name === EXT_AUTHZ) ? undefined : true,
    );
    const filters = inboundHttpFilters(httpbin, 8000);
    const calls = authorizer.calls.length;
    expect((await run(filters, "/admin", { "x-ext-authz": "allow" })).status).toBe(403);
    expect(authorizer.calls).toHaveLength(calls);
  });
});
