import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { sharedPath } from "../harness/shared";

const root = join(__dirname, "..", "..");
const fixtures = join(root, "test/mesh/analysis/fixtures");

// The real `rig` binary, as a user runs it: flags, stdin, output formats and exit codes.
function rig(args: string[], input?: string) {
  const res = spawnSync(process.execPath, [join(root, "bin/rig.cjs"), "analyze", ...args], {
    cwd: root,
    input,
    encoding: "utf8",
    env: { ...process.env, KUBECONFIG: "/nonexistent" },
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe("rig analyze (CLI)", () => {
  it("prints istioctl-style lines and exits 1 when it finds an error", () => {
    const res = rig([join(fixtures, "gateway-not-found.yaml")]);
    expect(res.code).toBe(1);
    expect(res.stdout.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^Error \[IST0101\] \(VirtualService shop\/web .*gateway-not-found\.yaml:19\) Referenced gateway not found: "edge\/public"/,
      ),
      expect.stringMatching(/^Error \[IST0101\] .* Referenced gateway not found: "shop-gateway"/),
    ]);
  });

  it("reads a folder and stdin together, and writes JSON", () => {
    const bookinfo = [
      "platform/kube/bookinfo.yaml",
      "networking/destination-rule-all.yaml",
      "networking/virtual-service-all-v1.yaml",
    ]
      .map(f => readFileSync(sharedPath(`istio/samples/bookinfo/${f}`), "utf8"))
      .join("\n---\n");
    const res = rig(["-f", "-", "-o", "json"], bookinfo);
    expect(res).toMatchObject({ code: 0, stdout: "[]\n" });
    const folder = rig([fixtures, "-o", "json"]);
    expect(folder.code).toBe(1);
    const messages = JSON.parse(folder.stdout) as { code: string; origin: string }[];
    // Analyzed together, the fixtures interact: the workload PeerAuthentication (PERMISSIVE) of
    // selector-matches-nothing.yaml overrides mtls-conflict.yaml's namespace STRICT for reviews.
    // mesh-config-invalid.yaml brings the only IST0106.
    expect(new Set(messages.map(m => m.code))).toEqual(
      new Set(["IST0101", "IST0106", "IST0109", "IST0127", "IST0130", "IST0131"]),
    );
    expect(messages[0]).toEqual({
      level: "Error",
      code: expect.stringMatching(/^IST/),
      type: expect.any(String),
      origin: expect.stringMatching(/^\w+ [\w-]+\/[\w-]+$/),
      reference: expect.stringMatching(/fixtures\/[\w-]+\.yaml:\d+$/),
      message: expect.any(String),
      documentationUrl: expect.stringMatching(/^https:\/\/istio\.io\/.*\/ist\d{4}\/$/),
    });
  });

  it("says so when nothing is found, and exits 0 on warnings unless the threshold says otherwise", () => {
    const clean = rig([], "apiVersion: v1\nkind: Service\nmetadata: { name: a }\n");
    // No paths and no -n/-A means the cluster; with KUBECONFIG pointing nowhere that fails.
    expect(clean.code).toBe(1);
    expect(clean.stderr).toMatch(/^rig analyze: /);
    const shadowed = join(fixtures, "shadowed-routes.yaml");
    expect(rig([shadowed, "-o", "yaml"]).code).toBe(0);
    expect(rig([shadowed, "--failure-threshold", "Warning"]).code).toBe(1);
    expect(rig([shadowed, "--output-threshold", "Warning"]).stdout).not.toContain("IST0131");
    const ok = rig(["-"], "apiVersion: v1\nkind: Service\nmetadata: { name: a }\n");
    expect(ok).toMatchObject({
      code: 0,
      stdout: "\u2714 No validation issues found when analyzing 1 file.\n",
    });
  });

  it("documents the exit status and refuses unknown formats with exit 2", () => {
    const help = rig(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("Exit status: 0 when nothing at or above --failure-threshold");
    expect(rig(["-o", "xml", "x.yaml"]).code).toBe(2);
  });
});
