import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../harness/shared";

// The build script's failures must tell a newcomer what is missing and how to get it.
describe("scripts/k8s-binaries.sh", () => {
  const script = join(repoRoot, "scripts", "k8s-binaries.sh");
  const temps: string[] = [];
  const temp = () => {
    const dir = mkdtempSync(join(tmpdir(), "rigging-k8sbin-test-"));
    temps.push(dir);
    return dir;
  };
  afterAll(() => temps.forEach(d => rmSync(d, { recursive: true, force: true })));
  const run = (env: NodeJS.ProcessEnv) =>
    spawnSync("bash", [script], {
      encoding: "utf8",
      env: { ...process.env, ...env },
      timeout: 120_000,
    });

  it("says Go is missing and where to get it", () => {
    const res = run({ RIGGING_CACHE_DIR: temp(), GO: "/nonexistent/go", KUBEBUILDER_ASSETS: "" });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(
      "error: Go is not installed or not on PATH. Install Go 1.24 or newer (https://go.dev/doc/install",
    );
  });

  it("says a module could not be downloaded when the module proxy is unreachable", () => {
    const res = run({
      RIGGING_CACHE_DIR: temp(),
      GOMODCACHE: temp(),
      GOPROXY: "off",
      GOFLAGS: "-mod=mod",
      KUBEBUILDER_ASSETS: "",
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(
      /error: .*: a Go module could not be downloaded \(is the Go module proxy reachable\? GOPROXY=off\)/,
    );
  });

  it("names a KUBEBUILDER_ASSETS folder that lacks the envtest binaries", () => {
    const assets = temp();
    const res = run({ RIGGING_CACHE_DIR: temp(), KUBEBUILDER_ASSETS: assets });
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`error: KUBEBUILDER_ASSETS=${assets} has no executable 'etcd'`);
  });
});
