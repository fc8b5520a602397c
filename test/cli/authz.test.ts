import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { authzCommand, type AuthzCheckReport } from "../../cli/commands/authz";
import { runInProcess } from "./run-in-process";

const root = join(__dirname, "..", "..");
const fixture = join(__dirname, "fixtures/authz/reviews.yaml");

const check = (...args: string[]) => runInProcess(authzCommand(), ["check", ...args]);

describe("rig authz check", () => {
  it("prints mTLS per port and the policies in evaluation order", async () => {
    const res = await check("reviews-v1", "-n", "shop", "-f", fixture);
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(
      [
        "Pod shop/reviews-v1 (service account reviews)",
        "",
        "mTLS (PeerAuthentication)",
        "PORT    MODE         LEVEL       POLICY",
        "*       STRICT       namespace   shop/default",
        "9080    STRICT       namespace   shop/default",
        "15021   PERMISSIVE   port        shop/reviews-health",
        "",
        "AuthorizationPolicies, in evaluation order",
        "ORDER   ACTION   NAME                     RULES",
        "1       AUDIT    istio-system/audit-all   [0] any request",
        "2       DENY     shop/deny-admin          [0] to paths=[/admin*]",
        "3       ALLOW    shop/allow-productpage   [0] from principals=[cluster.local/ns/shop/sa/productpage]; to methods=[GET] paths=[/reviews/*]",
        "                                          [1] from namespaces=[ops]; when request.auth.claims[groups]=[sre]",
        "",
      ].join("\n"),
    );
  });

  it("writes JSON with -o json", async () => {
    const res = await check("reviews-v1", "-n", "shop", "-f", fixture, "-o", "json");
    const report = JSON.parse(res.stdout) as AuthzCheckReport;
    expect(report.pod).toEqual({
      namespace: "shop",
      name: "reviews-v1",
      serviceAccount: "reviews",
      labels: { app: "reviews", version: "v1" },
    });
    expect(report.policies.map(p => `${p.action} ${p.name}`)).toEqual([
      "AUDIT istio-system/audit-all",
      "DENY shop/deny-admin",
      "ALLOW shop/allow-productpage",
    ]);
  });

  it("names the pod it cannot find and exits 1", async () => {
    const res = await check("nope", "-n", "shop", "-f", fixture);
    expect(res).toMatchObject({ code: 1, stdout: "" });
    expect(res.stderr).toBe(`rig authz check: Pod shop/nope not found in ${fixture}\n`);
  });

  it("runs as the real binary", () => {
    const res = spawnSync(
      process.execPath,
      [
        join(root, "bin/rig.cjs"),
        "authz",
        "check",
        "reviews-v1",
        "-n",
        "shop",
        "-f",
        fixture,
        "-o",
        "json",
      ],
      { cwd: root, encoding: "utf8", env: { ...process.env, KUBECONFIG: "/nonexistent" } },
    );
    expect(res.status).toBe(0);
    expect((JSON.parse(res.stdout) as AuthzCheckReport).mtls[2]).toEqual({
      port: "15021",
      mode: "PERMISSIVE",
      level: "port",
      policy: "shop/reviews-health",
    });
  });
});
