import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/** The repository root, where `scripts/k8s-binaries.sh` and the pinned Go wrapper modules live. */
export const repoRoot = resolve(__dirname, "..", "..");

/** Every executable a local cluster runs, by the name it has in the binaries folder. */
export const requiredBinaries = [
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kubectl",
  "kwok",
] as const;

/**
 * Makes sure the pinned Kubernetes binaries exist (building them from the Go module proxy on
 * first use, cached outside the checkout) and returns their folder. Build progress lines are
 * passed to `onProgress` as they come; a failure rejects with the build script's own message,
 * which says what is missing and how to get it.
 */
export function ensureBinaries(onProgress: (line: string) => void = () => {}): Promise<string> {
  const script = join(repoRoot, "scripts", "k8s-binaries.sh");
  return new Promise((resolvePromise, reject) => {
    const child = spawn("bash", [script], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let errors = "";
    child.stdout.on("data", chunk => (stdout += chunk));
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => {
      for (const line of chunk.split("\n").filter(Boolean)) {
        if (line.includes("error:")) errors += `${line.replace(/^\[k8s-binaries\] error: /, "")}\n`;
        onProgress(line.replace(/^\[k8s-binaries\] /, ""));
      }
    });
    child.on("error", err => reject(new Error(`could not run ${script}: ${err.message}`)));
    child.on("close", code => {
      const dir = stdout.trim().split("\n").pop() ?? "";
      if (code === 0 && dir && requiredBinaries.every(b => existsSync(join(dir, b)))) {
        resolvePromise(dir);
      } else {
        reject(
          new Error(
            errors.trim() || `building the local Kubernetes binaries failed (exit ${code})`,
          ),
        );
      }
    });
  });
}
