/**
 * `rig kube-inject` with istioctl's settings files: the sidecar follows `--valuesFile`,
 * `--injectConfigFile` and `--meshConfigFile` through the same parsers the webhook uses, and a
 * malformed file is refused naming the file, the field and the rule, with nothing on stdout.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { kubeInjectCommand } from "../../cli/commands/kube-inject";
import { runInProcess } from "./run-in-process";

interface Out {
  spec: {
    containers: { name: string }[];
    initContainers?: { name: string; image?: string; env?: { name: string; value?: string }[] }[];
  };
}

describe("rig kube-inject settings files", () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  let pod: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "rig-kube-inject-"));
    pod = file(
      "pod.yaml",
      "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: app, image: app}]\n",
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const proxyOf = (stdout: string) => {
    const out = parse(stdout) as Out;
    const proxy = out.spec.initContainers?.find(c => c.name === "istio-proxy");
    const env = Object.fromEntries((proxy?.env ?? []).map(e => [e.name, e.value]));
    return { image: proxy?.image, env };
  };

  it("injects the pinned proxyv2 without settings files", async () => {
    const r = await runInProcess(kubeInjectCommand(), ["-f", pod]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(proxyOf(r.stdout).image).toBe("docker.io/istio/proxyv2:1.31.0");
  });

  it("follows --valuesFile and --meshConfigFile", async () => {
    const values = file("values.json", '{"global": {"hub": "example.com/mesh", "tag": "1.31.1"}}');
    const mesh = file("mesh.yaml", "defaultConfig:\n  proxyMetadata: {FOO: bar}\n");
    const r = await runInProcess(kubeInjectCommand(), [
      "-f",
      pod,
      "--valuesFile",
      values,
      "--meshConfigFile",
      mesh,
    ]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const { image, env } = proxyOf(r.stdout);
    expect(image).toBe("example.com/mesh/proxyv2:1.31.1");
    expect(env.FOO).toBe("bar");
  });

  it("follows --injectConfigFile's injectedAnnotations", async () => {
    const config = file("inject.yaml", "injectedAnnotations: {example.com/by: rigging}\n");
    const r = await runInProcess(kubeInjectCommand(), ["-f", pod, "--injectConfigFile", config]);
    expect(r).toMatchObject({ code: 0, stderr: "" });
    expect(r.stdout).toContain("example.com/by: rigging");
  });

  it("refuses malformed settings files, naming each file, field and rule", async () => {
    const values = file("bad-values.json", '{"global": {"proxy": {"statusPort": "abc"}}}');
    const config = file("bad-inject.yaml", "policy: sometimes\n");
    const mesh = file("bad-mesh.yaml", "defaultConfig: {holdApplicationUntilProxyStarts: 'yes'}\n");
    const r = await runInProcess(kubeInjectCommand(), [
      "-f",
      pod,
      "--valuesFile",
      values,
      "--injectConfigFile",
      config,
      "--meshConfigFile",
      mesh,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      `rig kube-inject: ${values}: global.proxy.statusPort: must be a port number 0-65535, got "abc"`,
      `rig kube-inject: ${config}: policy: must be one of enabled, disabled, got "sometimes"`,
      `rig kube-inject: ${mesh}: defaultConfig: bad value for BoolValue field holdApplicationUntilProxyStarts: "yes"`,
    ]);
  });

  it("says which settings file it cannot read", async () => {
    const missing = join(dir, "nope.json");
    const r = await runInProcess(kubeInjectCommand(), ["-f", pod, "--valuesFile", missing]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`cannot read ${missing}`);
  });
});
