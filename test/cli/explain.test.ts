import { join } from "node:path";
import { claimsOf, requestOf, type RequestFlags } from "../../cli/authz/request-flags";
import { experimentalCommand } from "../../cli/commands/explain";
import { runInProcess } from "./run-in-process";

const fixture = join(__dirname, "fixtures/authz/reviews.yaml");
const productpage = "cluster.local/ns/shop/sa/productpage";

const explain = (...args: string[]) =>
  runInProcess(experimentalCommand(), [
    "explain",
    "--pod",
    "reviews-v1",
    "-n",
    "shop",
    "-f",
    fixture,
    ...args,
  ]);

describe("rig x explain", () => {
  it("allows productpage GETs, naming the rule and the conditions that held (exit 0)", async () => {
    const res = await explain(
      "--from-principal",
      productpage,
      "--path",
      "/reviews/1",
      "--port",
      "9080",
    );
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(
      [
        `ALLOW: GET /reviews/1 from ${productpage} to shop/reviews-v1 port 9080`,
        "  allowed by ALLOW policy shop/allow-productpage, rule 0",
        '    + spec.rules[0].to[0].operation.methods: "GET" matches "GET"',
        '    + spec.rules[0].to[0].operation.paths: "/reviews/1" matches "/reviews/*"',
        `    + spec.rules[0].from[0].source.principals: "${productpage}" matches "${productpage}"`,
        "  policies evaluated:",
        "    AUDIT istio-system/audit-all: matched rule 0",
        "    DENY shop/deny-admin: no match",
        "    ALLOW shop/allow-productpage: matched rule 0",
        "",
      ].join("\n"),
    );
  });

  it.each<[string, string[], number, RegExp]>([
    [
      "DENY on /admin",
      ["--from-principal", productpage, "--path", "/admin/x"],
      1,
      /denied by DENY policy shop\/deny-admin, rule 0/,
    ],
    [
      "no ALLOW rule matches a POST",
      ["--from-principal", productpage, "--method", "POST", "--path", "/reviews/1"],
      1,
      /denied: 1 ALLOW policy applies and none matches\n.*- shop\/allow-productpage: spec\.rules\[0\]\.to\[0\]\.operation\.methods: "POST" matches none of \["GET"\]/s,
    ],
    [
      "ops with an sre JWT claim",
      ["--from-namespace", "ops", "--claim", "groups=dev", "--claim", "groups=sre"],
      0,
      /allowed by ALLOW policy shop\/allow-productpage, rule 1/,
    ],
    [
      "plaintext refused by STRICT",
      ["--port", "9080"],
      1,
      /plaintext connection refused: mTLS is STRICT on this port \(PeerAuthentication shop\/default\)/,
    ],
    [
      "plaintext reaches the PERMISSIVE port, then authorization denies it",
      ["--port", "15021", "--path", "/healthz/ready"],
      1,
      /denied: 1 ALLOW policy applies/,
    ],
  ])("%s", async (_name, args, code, stdout) => {
    const res = await explain(...args);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(code);
    expect(res.stdout).toMatch(stdout);
  });

  it("writes JSON with -o json", async () => {
    const res = await explain("--from-principal", productpage, "--path", "/admin", "-o", "json");
    expect(JSON.parse(res.stdout)).toMatchObject({
      request: { principal: productpage, method: "GET", path: "/admin" },
      verdict: "DENY",
      decidedBy: { kind: "AuthorizationPolicy", name: "shop/deny-admin", action: "DENY", rule: 0 },
    });
  });

  it("refuses a malformed flag with exit 2, naming it", async () => {
    const res = await explain("--header", "novalue");
    expect(res).toMatchObject({ code: 2, stdout: "" });
    expect(res.stderr).toBe('rig x explain: --header "novalue": expected key=value\n');
  });
});

describe("request flags", () => {
  const base: RequestFlags = {
    fromServiceAccount: "default",
    trustDomain: "cluster.local",
    method: "GET",
    path: "/",
    header: [],
    claim: [],
  };

  it.each<[string, Partial<RequestFlags>, object]>([
    ["plaintext by default", {}, { protocol: "HTTP", method: "GET", path: "/", headers: {} }],
    [
      "a namespace stands for its default service account",
      { fromNamespace: "ops", fromServiceAccount: "bot" },
      { principal: "cluster.local/ns/ops/sa/bot" },
    ],
    [
      "spiffe:// is optional on a principal",
      { fromPrincipal: "spiffe://td/ns/a/sa/b" },
      { principal: "td/ns/a/sa/b" },
    ],
    [
      "TCP drops the HTTP attributes",
      { tcp: true, port: "9080" },
      { protocol: "TCP", destinationPort: 9080 },
    ],
  ])("%s", (_name, flags, expected) => {
    expect(requestOf({ ...base, ...flags })).toMatchObject(expected);
  });

  it("builds claims from repeated keys, JSON and the request principal", () => {
    expect(
      claimsOf(
        ["groups=a", "groups=b", 'realm={"role":"ops"}', "aud=x"],
        "https://idp.example/alice",
      ),
    ).toEqual({
      groups: ["a", "b"],
      realm: { role: "ops" },
      aud: "x",
      iss: "https://idp.example",
      sub: "alice",
    });
    expect(claimsOf([])).toBeUndefined();
    expect(() => requestOf({ ...base, port: "http" })).toThrow(
      '--port "http": must be an integer in [1, 65535]',
    );
  });
});
