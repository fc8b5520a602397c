/**
 * What the page says about the API server: its address from KUBECONFIG, and a readable reason
 * when it could not be read (kubernetes-fluent-client rejects with response-like objects).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { apiServerAddress, clusterError } from "../../../cli/dashboard/read-state";

describe("clusterError", () => {
  const refused = new TypeError("fetch failed", {
    cause: new Error("connect ECONNREFUSED 127.0.0.1:6443"),
  });
  it.each([
    [
      "an answer with a Status message",
      { status: 403, statusText: "Forbidden", data: { message: "pods is forbidden" } },
      "HTTP 403 pods is forbidden",
    ],
    [
      "no answer at all (fluent-client's 400 with fetch's error)",
      { ok: false, status: 400, statusText: "fetch failed", headers: {}, e: refused },
      "no answer (fetch failed (connect ECONNREFUSED 127.0.0.1:6443))",
    ],
    [
      "a timeout of ours",
      new Error("the API server: no answer after 10 s"),
      "the API server: no answer after 10 s",
    ],
  ])("%s", (_, err, text) => expect(clusterError(err)).toBe(text));
});

describe("apiServerAddress", () => {
  const dir = mkdtempSync(join(tmpdir(), "rig-dashboard-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("names the current context's server", () => {
    const path = join(dir, "config");
    writeFileSync(
      path,
      [
        "apiVersion: v1",
        "kind: Config",
        "current-context: b",
        "contexts: [{name: a, context: {cluster: one}}, {name: b, context: {cluster: two}}]",
        "clusters: [{name: one, cluster: {server: 'https://10.0.0.1'}}, {name: two, cluster: {server: 'https://127.0.0.1:6443'}}]",
      ].join("\n"),
    );
    expect(apiServerAddress({ KUBECONFIG: `${path}:/elsewhere` })).toBe("https://127.0.0.1:6443");
  });

  it("says which file it could not read", () => {
    const path = join(dir, "missing");
    expect(apiServerAddress({ KUBECONFIG: path })).toBe(`the cluster in ${path}`);
  });
});
