// The demo `npm start` runs once Rigging is up: what the mesh does, shown with kubectl.
import type { SpawnSyncReturns } from "node:child_process";
import { DEFAULT_DASHBOARD_PORT } from "../cli/commands/dashboard";
import { runMeshDemo, type MeshDemo, type MeshDemoOptions } from "./demo-mesh";

/** Runs kubectl with `args` (and `input` on stdin) against the demo's cluster. */
export type Kubectl = (args: string[], input?: string) => SpawnSyncReturns<string>;

/**
 * Prints `# title`, then `$ kubectl <args>` (or `$ kubectl <shown>`), runs it and prints its
 * output. `quiet` runs kubectl without printing; `say` prints a line.
 */
export interface Step {
  (
    title: string,
    args: string[],
    opts?: { input?: string; shown?: string },
  ): SpawnSyncReturns<string>;
  quiet(args: string[]): SpawnSyncReturns<string>;
  say(line: string): void;
}

function makeStep(kubectl: Kubectl, print: (line: string) => void): Step {
  const step = (title: string, args: string[], opts: { input?: string; shown?: string } = {}) => {
    print(`\n# ${title}`);
    print(`$ kubectl ${opts.shown ?? args.join(" ")}`);
    const res = kubectl(args, opts.input);
    const out = `${res.stdout ?? ""}${res.stderr ?? ""}`.trim();
    if (out) print(out);
    return res;
  };
  return Object.assign(step, { quiet: (args: string[]) => kubectl(args), say: print });
}

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

/**
 * Runs the demo steps, printing each command and what the cluster answered: injection and a
 * refusal, then a mesh with traffic (see `demo-mesh.ts`). Its host pods run until `stop()`.
 */
export async function runDemo(
  kubectl: Kubectl,
  print: (line: string) => void,
  options: MeshDemoOptions = {},
): Promise<MeshDemo> {
  const started = performance.now();
  const base = makeStep(kubectl, print);
  const step = (title: string, args: string[], input?: string) =>
    base(title, args, input === undefined ? {} : { input });
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
  const mesh = await runMeshDemo(base, options);
  print(`\ndemo: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  print(`\n# ${DASHBOARD_TITLE}`);
  print(dashboardLine(options.xdsAddress));
  return mesh;
}

/** The title of the demo's last step. */
export const DASHBOARD_TITLE =
  "All of it as a graph in the browser: routes and their weights, who may call whom, mTLS locks, each proxy's sync state";

/**
 * The demo's last line: the `rig dashboard` command (with the demo's control plane address when
 * it is not the default) and the page to open.
 */
export function dashboardLine(xdsAddress?: string): string {
  const flag = xdsAddress && xdsAddress !== "127.0.0.1:15010" ? ` --xds-address ${xdsAddress}` : "";
  return `$ npx rig dashboard${flag}   # then open http://127.0.0.1:${DEFAULT_DASHBOARD_PORT}/`;
}
