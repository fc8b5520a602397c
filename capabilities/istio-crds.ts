import { K8s, kind } from "kubernetes-fluent-client";
import { generateCrds } from "../mesh/api/crds";

/** How {@link installIstioCrds} runs. */
export interface InstallCrdsOptions {
  /** Wait until every CRD is Established (served), as `rig dev` needs before its webhooks. @default false */
  readonly waitEstablished?: boolean;
  /** How long to wait for Established. @default 30000 */
  readonly timeoutMs?: number;
  /** Receives progress lines. */
  readonly log?: (line: string) => void;
}

/**
 * Applies the Istio CRDs generated from `mesh/api` (server-side apply, forced: Rigging owns their
 * schema, so a field another manager set, e.g. from Istio's own chart, is taken over).
 * Returns the CRD names.
 */
export async function installIstioCrds(options: InstallCrdsOptions = {}): Promise<string[]> {
  const crds = generateCrds();
  options.log?.(`applying ${crds.length} Istio CRDs`);
  for (const crd of crds)
    await K8s(kind.CustomResourceDefinition).Apply(crd as kind.CustomResourceDefinition, {
      force: true,
    });
  const names = crds.map(c => c.metadata.name);
  if (options.waitEstablished) await waitEstablished(names, options.timeoutMs ?? 30_000);
  return names;
}

/**
 * Whether this process should install the CRDs when it starts: the watcher (one per cluster) or a
 * local dev process — not the admission replicas, and never `pepr build`.
 */
export function installsCrds(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.PEPR_MODE !== "build" && (env.PEPR_WATCH_MODE === "true" || env.PEPR_MODE === "dev");
}

async function waitEstablished(names: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(names);
  while (pending.size > 0) {
    for (const name of [...pending]) {
      const crd = await K8s(kind.CustomResourceDefinition).Get(name);
      if (crd.status?.conditions?.some(c => c.type === "Established" && c.status === "True"))
        pending.delete(name);
    }
    if (pending.size === 0) return;
    if (Date.now() > deadline)
      throw new Error(
        `CRDs not Established within ${timeoutMs / 1000}s: ${[...pending].join(", ")}`,
      );
    await new Promise(r => setTimeout(r, 200));
  }
}
