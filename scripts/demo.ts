// The demo `npm start` runs once Rigging is up: what the mesh does, shown with kubectl.
import type { SpawnSyncReturns } from "node:child_process";

type Kubectl = (args: string[], input?: string) => SpawnSyncReturns<string>;

const namespace = `apiVersion: v1
kind: Namespace
metadata:
  name: demo
  labels:
    istio-injection: enabled
    rigging.dev/mesh: required
`;

const deployment = (name: string, annotations = "{}") => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: demo
spec:
  replicas: 2
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata:
      labels: { app: ${name} }
      annotations: ${annotations}
    spec:
      containers: [{ name: ${name}, image: "example/${name}:1" }]
`;

/** Runs the demo steps, printing each command and what the cluster answered. */
export async function runDemo(kubectl: Kubectl, print: (line: string) => void): Promise<void> {
  const step = (title: string, args: string[], input?: string) => {
    print(`\n# ${title}`);
    print(`$ kubectl ${args.join(" ")}`);
    const res = kubectl(args, input);
    const out = `${res.stdout ?? ""}${res.stderr ?? ""}`.trim();
    if (out) print(out);
    return res;
  };
  step("A namespace where every pod joins the mesh, and must", ["apply", "-f", "-"], namespace);
  step(
    "A Deployment: its pods get Istio's sidecar, pointed at Rigging",
    ["apply", "-f", "-"],
    deployment("hello"),
  );
  step("(waiting for the rollout)", [
    "rollout",
    "status",
    "deployment/hello",
    "-n",
    "demo",
    "--timeout=60s",
  ]);
  step("Each pod now runs istio-init and the istio-proxy sidecar beside the app", [
    "get",
    "pods",
    "-n",
    "demo",
    "-o",
    "custom-columns=POD:.metadata.name,STATUS:.status.phase,INIT:.spec.initContainers[*].name,CONTAINERS:.spec.containers[*].name",
  ]);
  step(
    "A Deployment that opts out of the sidecar is refused in a mesh-required namespace",
    ["apply", "-f", "-"],
    deployment("legacy", '{ sidecar.istio.io/inject: "false" }'),
  );
}
