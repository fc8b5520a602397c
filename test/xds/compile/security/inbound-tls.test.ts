/** The DownstreamTlsContext a sidecar terminates mesh mTLS with on virtualInbound. */
import { UNSET_TLS_SETTINGS, type MeshTlsSettings } from "../../../../mesh/meshconfig/mesh-tls";
import {
  inboundMtlsSocket,
  MESH_CIPHER_SUITES,
} from "../../../../xds/compile/security/inbound-tls";

/* eslint-disable @typescript-eslint/no-explicit-any -- the socket's Any payload, read field by field */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const contextOf = (trustDomains: string[]): Json =>
  inboundMtlsSocket(trustDomains).typed_config as Json;

describe("inboundMtlsSocket", () => {
  it("is Envoy's TLS transport socket with a DownstreamTlsContext requiring a client certificate", () => {
    const socket = inboundMtlsSocket(["cluster.local"]);
    expect(socket.name).toBe("envoy.transport_sockets.tls");
    expect(socket.typed_config).toMatchObject({
      "@type": "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext",
      require_client_certificate: { value: true },
    });
  });

  it("takes the workload certificate and the mesh root from the agent's SDS, never inline", () => {
    const ctx = contextOf(["cluster.local"]).common_tls_context;
    expect(ctx.tls_certificates).toBeUndefined();
    expect(ctx.tls_certificate_sds_secret_configs.map((s: Json) => s.name)).toEqual(["default"]);
    expect(ctx.combined_validation_context.validation_context_sds_secret_config.name).toBe(
      "ROOTCA",
    );
    const source = ctx.tls_certificate_sds_secret_configs[0].sds_config.api_config_source;
    expect(source.grpc_services[0].envoy_grpc.cluster_name).toBe("sds-grpc");
  });

  it("accepts peers of each trust domain by SPIFFE URI prefix, in order", () => {
    const ctx = contextOf(["new.td", "old.td"]).common_tls_context;
    expect(ctx.combined_validation_context.default_validation_context).toEqual({
      match_subject_alt_names: [{ prefix: "spiffe://new.td/" }, { prefix: "spiffe://old.td/" }],
    });
  });

  it("with no trust domain, any certificate of the mesh root", () => {
    const ctx = contextOf([]).common_tls_context;
    expect(ctx.combined_validation_context.default_validation_context).toEqual({});
  });

  it("offers h2 and http/1.1 (never `istio`) over TLS 1.2 to 1.3 with Istio's ciphers", () => {
    const ctx = contextOf(["cluster.local"]).common_tls_context;
    expect(ctx.alpn_protocols).toEqual(["h2", "http/1.1"]);
    expect(ctx.tls_params).toEqual({
      tls_minimum_protocol_version: "TLSv1_2",
      tls_maximum_protocol_version: "TLSv1_3",
      cipher_suites: [
        "ECDHE-ECDSA-AES256-GCM-SHA384",
        "ECDHE-RSA-AES256-GCM-SHA384",
        "ECDHE-ECDSA-AES128-GCM-SHA256",
        "ECDHE-RSA-AES128-GCM-SHA256",
        "AES256-GCM-SHA384",
        "AES128-GCM-SHA256",
      ],
    });
  });

  describe("MeshConfig meshMTLS (istiod's BuildInboundTLS)", () => {
    const params = (meshMtls: MeshTlsSettings): Json =>
      (inboundMtlsSocket(["cluster.local"], meshMtls).typed_config as Json).common_tls_context
        .tls_params;

    it("unset: TLS 1.2 to 1.3 with Istio's six strong cipher suites", () => {
      expect(params(UNSET_TLS_SETTINGS)).toEqual({
        tls_minimum_protocol_version: "TLSv1_2",
        tls_maximum_protocol_version: "TLSv1_3",
        cipher_suites: [...MESH_CIPHER_SUITES],
      });
      expect(MESH_CIPHER_SUITES).toHaveLength(6);
    });

    it("TLSV1_3 raises the minimum; cipher suites replace Istio's list", () => {
      expect(
        params({
          minProtocolVersion: "TLSV1_3",
          ecdhCurves: [],
          cipherSuites: ["ECDHE-ECDSA-AES256-GCM-SHA384"],
        }),
      ).toEqual({
        tls_minimum_protocol_version: "TLSv1_3",
        tls_maximum_protocol_version: "TLSv1_3",
        cipher_suites: ["ECDHE-ECDSA-AES256-GCM-SHA384"],
      });
    });

    it("TLSV1_2 and TLS_AUTO both mean TLS 1.2 (istiod's GetMinTLSVersion)", () => {
      for (const minProtocolVersion of ["TLSV1_2", "TLS_AUTO"] as const)
        expect(
          params({ ...UNSET_TLS_SETTINGS, minProtocolVersion }).tls_minimum_protocol_version,
        ).toBe("TLSv1_2");
    });
  });
});
