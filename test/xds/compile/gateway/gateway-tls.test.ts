/**
 * A gateway server's DownstreamTlsContext, as istiod's BuildListenerTLSContext writes it
 * (pilot/pkg/networking/core/listener.go; the expected values follow its gateway_test.go):
 * certificates from `credentialName` Secrets over ADS (`kubernetes://<name>`, the client CA at
 * `<name>-cacert`), from the mesh for ISTIO_MUTUAL (`default`, `ROOTCA`) or from files
 * (`file-cert:`, `file-root:`); client certificates required for MUTUAL and ISTIO_MUTUAL only;
 * TLS versions and ciphers only where a SIMPLE or MUTUAL server sets them; ALPN h2 and
 * http/1.1 on HTTPS and TLS-terminated TCP servers alike.
 */
import type { MeshTlsSettings } from "../../../../mesh/meshconfig/mesh-tls";
import type { GatewayServerSpec } from "../../../../xds/compile/gateway/gateway-model";
import {
  gatewayTlsSocket,
  serverCredentials,
  type ServerTls,
} from "../../../../xds/compile/gateway/gateway-tls";

/* eslint-disable @typescript-eslint/no-explicit-any -- the context, asserted field by field */
type Json = Record<string, any>;
/* eslint-enable @typescript-eslint/no-explicit-any */

const DOWNSTREAM_TLS =
  "type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext";

const server = (tls: ServerTls, http: boolean): GatewayServerSpec => ({
  port: http
    ? { number: 443, name: "https", protocol: "HTTPS" }
    : { number: 9443, name: "tls", protocol: "TLS" },
  hosts: ["bookinfo.example.com"],
  tls,
});

/** The DownstreamTlsContext of a server (`http`: an HTTPS server, else TLS-terminated TCP). */
function context(tls: ServerTls, http = true, tlsDefaults?: MeshTlsSettings): Json {
  const socket = gatewayTlsSocket(server(tls, http), tlsDefaults);
  expect(socket.name).toBe("envoy.transport_sockets.tls");
  const typed = socket.typed_config as Json;
  expect(typed["@type"]).toBe(DOWNSTREAM_TLS);
  return typed;
}

/** A secret the control plane serves on the ADS stream (a `credentialName`). */
const ads = (name: string) => ({ name, sds_config: { ads: {}, resource_api_version: "V3" } });
/** A secret the istio-agent serves from the bootstrap's sds-grpc cluster. */
const agent = (name: string, meshCert = false) => ({
  name,
  sds_config: {
    api_config_source: {
      api_type: "GRPC",
      set_node_on_first_message_only: true,
      transport_api_version: "V3",
      grpc_services: [{ envoy_grpc: { cluster_name: "sds-grpc" } }],
    },
    ...(meshCert ? { initial_fetch_timeout: { seconds: 0, nanos: 0 } } : {}),
    resource_api_version: "V3",
  },
});

describe("gatewayTlsSocket", () => {
  it("SIMPLE with credentialName: the Secret's certificate over ADS, no client certificate asked", () => {
    expect(context({ mode: "SIMPLE", credentialName: "ingress-sds-resource-name" })).toEqual({
      "@type": DOWNSTREAM_TLS,
      common_tls_context: {
        alpn_protocols: ["h2", "http/1.1"],
        tls_certificate_sds_secret_configs: [ads("kubernetes://ingress-sds-resource-name")],
      },
      require_client_certificate: { value: false },
    });
  });

  it("MUTUAL with credentialName: the client CA from <name>-cacert, SANs checked, certificate required", () => {
    const ctx = context({
      mode: "MUTUAL",
      credentialName: "bookinfo",
      subjectAltNames: ["client.example.com"],
      verifyCertificateSpki: ["spki-hash"],
      verifyCertificateHash: ["cert-hash"],
    });
    expect(ctx.require_client_certificate).toEqual({ value: true });
    expect(ctx.common_tls_context.tls_certificate_sds_secret_configs).toEqual([
      ads("kubernetes://bookinfo"),
    ]);
    expect(ctx.common_tls_context.combined_validation_context).toEqual({
      default_validation_context: {
        match_subject_alt_names: [{ exact: "client.example.com" }],
        verify_certificate_spki: ["spki-hash"],
        verify_certificate_hash: ["cert-hash"],
      },
      validation_context_sds_secret_config: ads("kubernetes://bookinfo-cacert"),
    });
  });

  it("caCertCredentialName names the client CA's Secret instead of <name>-cacert", () => {
    const ctx = context({
      mode: "MUTUAL",
      credentialName: "bookinfo",
      caCertCredentialName: "client-roots",
    });
    expect(
      ctx.common_tls_context.combined_validation_context.validation_context_sds_secret_config,
    ).toEqual(ads("kubernetes://client-roots"));
  });

  it("OPTIONAL_MUTUAL verifies a client certificate when one is sent, but does not require one", () => {
    const ctx = context({ mode: "OPTIONAL_MUTUAL", credentialName: "bookinfo" });
    expect(ctx.require_client_certificate).toEqual({ value: false });
    expect(
      ctx.common_tls_context.combined_validation_context.validation_context_sds_secret_config,
    ).toEqual(ads("kubernetes://bookinfo-cacert"));
  });

  it("credentialNames (RSA and ECDSA): both certificates; MUTUAL's CA from the first", () => {
    const ctx = context({ mode: "MUTUAL", credentialNames: ["rsa-cert", "ecdsa-cert"] });
    expect(ctx.common_tls_context.tls_certificate_sds_secret_configs).toEqual([
      ads("kubernetes://rsa-cert"),
      ads("kubernetes://ecdsa-cert"),
    ]);
    expect(
      ctx.common_tls_context.combined_validation_context.validation_context_sds_secret_config,
    ).toEqual(ads("kubernetes://rsa-cert-cacert"));
  });

  it("ISTIO_MUTUAL: the gateway's mesh certificate and the mesh root from the agent, certificate required", () => {
    expect(context({ mode: "ISTIO_MUTUAL" })).toEqual({
      "@type": DOWNSTREAM_TLS,
      common_tls_context: {
        alpn_protocols: ["h2", "http/1.1"],
        tls_certificate_sds_secret_configs: [agent("default", true)],
        combined_validation_context: {
          default_validation_context: {},
          validation_context_sds_secret_config: agent("ROOTCA", true),
        },
      },
      require_client_certificate: { value: true },
    });
  });

  it("file paths: file-cert:<cert>~<key> and, for MUTUAL, file-root:<ca> from the agent", () => {
    const ctx = context(
      {
        mode: "MUTUAL",
        serverCertificate: "server-cert.crt",
        privateKey: "private-key.key",
        caCertificates: "ca-cert.crt",
        subjectAltNames: ["subject.name.a.com", "subject.name.b.com"],
      },
      false,
    );
    expect(ctx.common_tls_context).toEqual({
      alpn_protocols: ["h2", "http/1.1"],
      tls_certificate_sds_secret_configs: [agent("file-cert:server-cert.crt~private-key.key")],
      combined_validation_context: {
        default_validation_context: {
          match_subject_alt_names: [
            { exact: "subject.name.a.com" },
            { exact: "subject.name.b.com" },
          ],
        },
        validation_context_sds_secret_config: agent("file-root:ca-cert.crt"),
      },
    });
    expect(ctx.require_client_certificate).toEqual({ value: true });
  });

  it("SIMPLE with files has no client CA even when caCertificates is set", () => {
    const ctx = context({
      mode: "SIMPLE",
      serverCertificate: "/etc/certs/cert.pem",
      privateKey: "/etc/certs/key.pem",
      caCertificates: "/etc/certs/ca.pem",
    });
    expect(ctx.common_tls_context.combined_validation_context).toBeUndefined();
    expect(ctx.common_tls_context.tls_certificate_sds_secret_configs).toEqual([
      agent("file-cert:/etc/certs/cert.pem~/etc/certs/key.pem"),
    ]);
  });

  it("tlsCertificates: one file-cert per pair; the client CA is still the server's caCertificates", () => {
    const ctx = context({
      mode: "MUTUAL",
      tlsCertificates: [
        { serverCertificate: "/etc/rsa/cert.pem", privateKey: "/etc/rsa/key.pem" },
        { serverCertificate: "/etc/ecdsa/cert.pem", privateKey: "/etc/ecdsa/key.pem" },
      ],
      caCertificates: "/etc/ca/roots.pem",
    });
    expect(ctx.common_tls_context.tls_certificate_sds_secret_configs).toEqual([
      agent("file-cert:/etc/rsa/cert.pem~/etc/rsa/key.pem"),
      agent("file-cert:/etc/ecdsa/cert.pem~/etc/ecdsa/key.pem"),
    ]);
    expect(
      ctx.common_tls_context.combined_validation_context.validation_context_sds_secret_config,
    ).toEqual(agent("file-root:/etc/ca/roots.pem"));
  });

  it("minProtocolVersion, maxProtocolVersion, cipherSuites and ecdhCurves become tls_params", () => {
    const ctx = context({
      mode: "SIMPLE",
      credentialName: "bookinfo",
      minProtocolVersion: "TLSV1_2",
      maxProtocolVersion: "TLSV1_3",
      cipherSuites: ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"],
      ecdhCurves: ["P-256"],
    });
    expect(ctx.common_tls_context.tls_params).toEqual({
      tls_minimum_protocol_version: "TLSv1_2",
      tls_maximum_protocol_version: "TLSv1_3",
      cipher_suites: ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384"],
      ecdh_curves: ["P-256"],
    });
  });

  it("a TLS-terminated TCP server offers h2 and http/1.1 by ALPN, as an HTTPS server does (istiod's ALPNHttp)", () => {
    for (const mode of ["SIMPLE", "MUTUAL", "ISTIO_MUTUAL"] as const)
      expect(
        context({ mode, credentialName: "bookinfo" }, false).common_tls_context.alpn_protocols,
      ).toEqual(["h2", "http/1.1"]);
  });

  it("ISTIO_MUTUAL ignores minProtocolVersion, maxProtocolVersion and cipherSuites (istiod's isSimpleOrMutual)", () => {
    const settings: ServerTls = {
      minProtocolVersion: "TLSV1_3",
      maxProtocolVersion: "TLSV1_3",
      cipherSuites: ["ECDHE-ECDSA-AES128-GCM-SHA256"],
    };
    for (const http of [true, false])
      expect(
        context({ mode: "ISTIO_MUTUAL", ...settings }, http).common_tls_context.tls_params,
      ).toBeUndefined();
    expect(
      context({ mode: "OPTIONAL_MUTUAL", credentialName: "a", ...settings }).common_tls_context
        .tls_params,
    ).toEqual({
      tls_minimum_protocol_version: "TLSv1_3",
      tls_maximum_protocol_version: "TLSv1_3",
      cipher_suites: ["ECDHE-ECDSA-AES128-GCM-SHA256"],
    });
  });

  it("drops cipher suites Envoy would refuse, and repeats, as istiod's FilterCipherSuites does", () => {
    const ctx = context({
      mode: "SIMPLE",
      credentialName: "bookinfo",
      cipherSuites: ["NOT-A-CIPHER", "AES256-GCM-SHA384", "AES256-GCM-SHA384"],
    });
    expect(ctx.common_tls_context.tls_params).toEqual({ cipher_suites: ["AES256-GCM-SHA384"] });
    // Nothing valid left: no cipher list at all, so Envoy's defaults apply rather than none.
    expect(
      context({ mode: "SIMPLE", credentialName: "b", cipherSuites: ["bogus"] }).common_tls_context
        .tls_params,
    ).toBeUndefined();
  });

  describe("MeshConfig tlsDefaults (istiod's applyDownstreamTLSDefaults, then the server's own)", () => {
    const defaults: MeshTlsSettings = {
      minProtocolVersion: "TLSV1_3",
      ecdhCurves: ["X25519", "P-256"],
      cipherSuites: ["ECDHE-RSA-AES256-GCM-SHA384"],
    };

    it("apply to SIMPLE, MUTUAL and OPTIONAL_MUTUAL servers that set nothing", () => {
      for (const mode of ["SIMPLE", "MUTUAL", "OPTIONAL_MUTUAL"] as const)
        expect(
          context({ mode, credentialName: "a" }, true, defaults).common_tls_context.tls_params,
        ).toEqual({
          ecdh_curves: ["X25519", "P-256"],
          cipher_suites: ["ECDHE-RSA-AES256-GCM-SHA384"],
          tls_minimum_protocol_version: "TLSv1_3",
        });
    });

    it("give way to what the server sets itself", () => {
      const ctx = context(
        {
          mode: "SIMPLE",
          credentialName: "a",
          minProtocolVersion: "TLSV1_2",
          cipherSuites: ["AES128-GCM-SHA256"],
        },
        false,
        defaults,
      );
      expect(ctx.common_tls_context.tls_params).toEqual({
        ecdh_curves: ["X25519", "P-256"],
        cipher_suites: ["AES128-GCM-SHA256"],
        tls_minimum_protocol_version: "TLSv1_2",
      });
    });

    it("leave ISTIO_MUTUAL servers alone, and TLS_AUTO sets no version", () => {
      expect(
        context({ mode: "ISTIO_MUTUAL" }, true, defaults).common_tls_context.tls_params,
      ).toBeUndefined();
      expect(
        context({ mode: "SIMPLE", credentialName: "a" }, true, {
          minProtocolVersion: "TLS_AUTO",
          ecdhCurves: [],
          cipherSuites: [],
        }).common_tls_context.tls_params,
      ).toBeUndefined();
    });
  });

  it("no version or cipher set (or TLS_AUTO): no tls_params, Envoy's defaults apply", () => {
    expect(context({ mode: "SIMPLE", credentialName: "a" }).common_tls_context.tls_params).toBe(
      undefined,
    );
    expect(
      context({ mode: "SIMPLE", credentialName: "a", minProtocolVersion: "TLS_AUTO" })
        .common_tls_context.tls_params,
    ).toBeUndefined();
  });
});

describe("serverCredentials: the Kubernetes Secrets a server loads", () => {
  it.each<[string, ServerTls, ReturnType<typeof serverCredentials>]>([
    [
      "SIMPLE: the certificate only",
      { mode: "SIMPLE", credentialName: "web" },
      { credentialName: "web", certificates: ["web"] },
    ],
    [
      "MUTUAL: the certificate and <name>-cacert",
      { mode: "MUTUAL", credentialName: "web" },
      { credentialName: "web", certificates: ["web"], caCertificate: "web-cacert" },
    ],
    [
      "OPTIONAL_MUTUAL verifies clients too",
      { mode: "OPTIONAL_MUTUAL", credentialName: "web", caCertCredentialName: "roots" },
      { credentialName: "web", certificates: ["web"], caCertificate: "roots" },
    ],
    [
      "credentialNames: every certificate, named by the first",
      { mode: "SIMPLE", credentialNames: ["rsa", "ecdsa"] },
      { credentialName: "rsa", certificates: ["rsa", "ecdsa"] },
    ],
    ["ISTIO_MUTUAL: none, the mesh provides them", { mode: "ISTIO_MUTUAL" }, undefined],
    [
      "files: none",
      { mode: "SIMPLE", serverCertificate: "/c.pem", privateKey: "/k.pem" },
      undefined,
    ],
  ])("%s", (_, tls, want) => {
    expect(serverCredentials(tls)).toEqual(want);
  });
});
