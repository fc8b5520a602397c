import { homedir } from "node:os";
import { join } from "node:path";

/**
 * Rigging's cache folder, shared with `scripts/k8s-binaries.sh`: `RIGGING_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/rigging`, else `~/.cache/rigging`.
 */
export function cacheRoot(): string {
  return (
    process.env.RIGGING_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "rigging")
  );
}

/** Where `rig cluster up` keeps the named cluster that outlives the command. */
export function namedClusterDir(name: string): string {
  return join(cacheRoot(), "clusters", name);
}
