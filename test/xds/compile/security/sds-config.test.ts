/**
 * Where Envoy fetches a TLS secret from: the istio-agent's SDS server for the mesh identity, the
 * mesh root and file certificates; the control plane's ADS stream for a `credentialName`.
 */
import {
  adsSdsSecret,
  agentSdsSecret,
  SDS_IDENTITY,
  SDS_MESH_ROOT,
} from "../../../../xds/compile/security/sds-config";

const AGENT_SOURCE = {
  api_type: "GRPC",
  set_node_on_first_message_only: true,
  transport_api_version: "V3",
  grpc_services: [{ envoy_grpc: { cluster_name: "sds-grpc" } }],
};

describe("agentSdsSecret", () => {
  it.each([SDS_IDENTITY, SDS_MESH_ROOT])(
    "%s: from the agent's sds-grpc cluster, awaited without a timeout",
    name => {
      expect(agentSdsSecret(name)).toEqual({
        name,
        sds_config: {
          api_config_source: AGENT_SOURCE,
          initial_fetch_timeout: { seconds: 0, nanos: 0 },
          resource_api_version: "V3",
        },
      });
    },
  );

  it("a file certificate keeps Envoy's default fetch timeout", () => {
    const secret = agentSdsSecret("file-cert:/etc/certs/cert.pem~/etc/certs/key.pem");
    expect(secret.name).toBe("file-cert:/etc/certs/cert.pem~/etc/certs/key.pem");
    expect(secret.sds_config).toEqual({
      api_config_source: AGENT_SOURCE,
      resource_api_version: "V3",
    });
  });
});

describe("adsSdsSecret", () => {
  it("a credentialName comes over ADS, with Envoy's default fetch timeout", () => {
    expect(adsSdsSecret("kubernetes://default/web-cert")).toEqual({
      name: "kubernetes://default/web-cert",
      sds_config: { ads: {}, resource_api_version: "V3" },
    });
  });
});
