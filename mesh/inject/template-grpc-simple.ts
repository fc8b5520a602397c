/**
 * Istio's `grpc-simple` template (grpc-simple.yaml): proxyless gRPC with no agent. An init
 * container writes a plaintext gRPC xDS bootstrap naming `istiod.<istioNamespace>.svc:15010`, and
 * every container gets `GRPC_XDS_BOOTSTRAP`. No certificates: this is Istio's minimal example,
 * kept as Istio renders it (its script is fixed text, hence the istiod name, which Rigging must
 * answer to for it to work).
 */
import { A } from "./annotations";
import type { TemplatePod } from "./template";
import type { TemplateContext } from "./template-context";
import { field } from "./template-env";
import type { Container } from "./types";

const DATA = { mountPath: "/var/lib/grpc/data/", name: "grpc-io-proxyless-bootstrap" };

/** The init script, as in the chart: the bootstrap names the pod and the plaintext xDS port. */
const SCRIPT = `NODE_ID="sidecar~\${INSTANCE_IP}~\${POD_NAME}.\${POD_NAMESPACE}~cluster.local"
SERVER_URI="dns:///istiod.\${ISTIO_NAMESPACE}.svc:15010"
echo '
{
  "xds_servers": [
    {
      "server_uri": "'\${SERVER_URI}'",
      "channel_creds": [{"type": "insecure"}],
      "server_features" : ["xds_v3"]
    }
  ],
  "node": {
    "id": "'\${NODE_ID}'",
    "metadata": {
      "GENERATOR": "grpc"
    }
  }
}' > /var/lib/grpc/data/bootstrap.json`;

function bootstrapInit(ctx: TemplateContext): Container {
  return {
    name: "grpc-bootstrap-init",
    image: "busybox:1.28",
    volumeMounts: [DATA],
    env: [
      field("INSTANCE_IP", "status.podIP"),
      field("POD_NAME", "metadata.name"),
      field("POD_NAMESPACE", "metadata.namespace"),
      // A YAML block scalar in the chart, hence the trailing newline.
      { name: "ISTIO_NAMESPACE", value: `${ctx.values.global.istioNamespace ?? "istio-system"}\n` },
    ],
    command: ["sh", "-c", SCRIPT],
  };
}

/** Renders the `grpc-simple` template. */
export function grpcSimpleTemplate(ctx: TemplateContext): TemplatePod {
  return {
    metadata: { annotations: { [A.rewriteAppHTTPProbers]: "false" } },
    spec: {
      initContainers: [bootstrapInit(ctx)],
      // Every container, istio-proxy included, as the chart's range over .Spec.Containers.
      containers: ctx.pod.spec.containers.map(c => ({
        name: c.name,
        env: [
          { name: "GRPC_XDS_BOOTSTRAP", value: "/var/lib/grpc/data/bootstrap.json" },
          { name: "GRPC_GO_LOG_VERBOSITY_LEVEL", value: "99" },
          { name: "GRPC_GO_LOG_SEVERITY_LEVEL", value: "info" },
        ],
        volumeMounts: [DATA],
      })),
      volumes: [{ name: "grpc-io-proxyless-bootstrap", emptyDir: {} }],
    },
  };
}
