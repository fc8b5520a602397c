/**
 * The HTTP connection manager fields istiod writes per listener class (sidecar outbound, sidecar
 * inbound, gateway), found by the xDS diff against istiod and asserted as Envoy receives them.
 */
import { istioObject, named } from "../fixtures";
import { secs, ZERO, WEB, build, SIDECAR, ROUTER, dec, hcmsOf, COMMON_HCM } from "../web-service";

describe("istiod's HTTP connection manager defaults", () => {
  const r = build(SIDECAR);

  it("sidecar outbound: websocket, no stream idle timeout, normalized paths, Envoy's server name, routes without a fetch timeout", () => {
    const [hcm] = hcmsOf(dec(named(r.listeners, "0.0.0.0_80")));
    expect(hcm).toMatchObject({
      ...COMMON_HCM,
      use_remote_address: { value: false },
      rds: { route_config_name: "80", config_source: { ads: {}, initial_fetch_timeout: ZERO } },
    });
    expect(hcm!.server_name).toBeUndefined();
    expect(hcm!.forward_client_cert_details).toBeUndefined();
  });

  it("sidecar inbound: the client certificate reaches the app in X-Forwarded-Client-Cert, server istio-envoy", () => {
    const hcms = hcmsOf(dec(named(r.listeners, "virtualInbound")));
    expect(hcms.length).toBeGreaterThan(0);
    for (const hcm of hcms)
      expect(hcm).toMatchObject({
        ...COMMON_HCM,
        server_name: "istio-envoy",
        use_remote_address: { value: false },
        forward_client_cert_details: "APPEND_FORWARD",
        set_current_client_cert_details: { subject: { value: true }, uri: true, dns: true },
      });
  });

  it("sidecar inbound route: retried on a reset before the request, no stream duration limit, no deprecated max_grpc_timeout", () => {
    const [hcm] = hcmsOf(dec(named(r.listeners, "virtualInbound")));
    const route = hcm!.route_config.virtual_hosts[0].routes[0].route;
    expect(route.retry_policy).toEqual({
      retry_on: "reset-before-request",
      num_retries: { value: 2 },
    });
    expect(route.max_stream_duration).toEqual({
      max_stream_duration: ZERO,
      grpc_timeout_header_max: ZERO,
    });
    expect(route.max_grpc_timeout).toBeUndefined();
  });

  it("gateway: client address from the connection, XFCC replaced with subject, certificate and SANs", () => {
    const objects = [
      WEB,
      istioObject("Gateway", "gw", "default", {
        selector: { istio: "ingressgateway" },
        servers: [{ port: { number: 8080, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
      }),
      istioObject("VirtualService", "in", "default", {
        hosts: ["*"],
        gateways: ["gw"],
        http: [{ route: [{ destination: { host: "web" } }] }],
      }),
    ];
    const g = build(ROUTER, objects);
    const listener = dec(named(g.listeners, "0.0.0.0_8080"));
    expect(hcmsOf(listener)[0]).toMatchObject({
      ...COMMON_HCM,
      server_name: "istio-envoy",
      use_remote_address: { value: true },
      forward_client_cert_details: "SANITIZE_SET",
      set_current_client_cert_details: {
        subject: { value: true },
        cert: true,
        dns: true,
        uri: true,
      },
      http_protocol_options: {},
      rds: { config_source: { initial_fetch_timeout: ZERO } },
    });
    expect(listener.filter_chains[0].transport_socket_connect_timeout).toEqual(secs(15));
    const rc = dec(named(g.routes, "http.8080"));
    expect(rc.ignore_port_in_host_matching).toBe(true);
    expect(rc.max_direct_response_body_size_bytes).toEqual({ value: 1048576 });
  });
});
