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

const optedOut = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: legacy
  namespace: demo
spec:
  selector: { matchLabels: { app: legacy } }
  template:
    metadata:
      labels: { app: legacy }
      annotations: { sidecar.istio.io/inject: "false" }
    spec:
      containers: [{ name: legacy, image: example/legacy:1 }]
`;

/** Runs the demo steps, printing each command and what the cluster answered. */
export async function runDemo(kubectl: Kubectl, print: (line: string) => void): Promise<void> {
  const step = (title: string, args: string[], input?: string) => {
    print(`\n# ${title}`);
    print(`$ kubectl ${args.join(" ")}`);
    const res = kubectl(args, input);
    const out = `${res.stdout ?? ""}${res.stderr ?? ""}`.trim();
    if (out) print(out);
  };
  step("A namespace that requires the mesh", ["apply", "-f", "-"], namespace);
  step(
    "A Deployment that opts out of the sidecar is refused in a mesh-required namespace",
    ["apply", "-f", "-"],
    optedOut,
  );
}
