import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** The repository root (the folder holding package.json). */
export const repoRoot = resolve(__dirname, "..", "..");

/**
 * A path inside the reference folder `../shared` that sits beside the checkout (Istio's CRDs,
 * samples and goldens). Tests read from it in place; nothing in it is copied into the project.
 * `RIGGING_SHARED` overrides the location.
 */
export function sharedPath(...parts: string[]): string {
  const root = process.env.RIGGING_SHARED ?? join(dirname(repoRoot), "shared");
  if (!existsSync(root)) {
    throw new Error(
      `reference folder ${root} not found: tests expect ../shared beside the checkout`,
    );
  }
  return join(root, ...parts);
}
