import {
  identityFromTokenReview,
  tokenReviewAuthenticator,
  type TokenReviewStatus,
} from "../../control-plane/token-review";

const JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6YTp4In0.c2lnbmF0dXJl";

describe("identityFromTokenReview", () => {
  it("maps system:serviceaccount:<ns>:<sa> to the identity", () => {
    expect(
      identityFromTokenReview({
        authenticated: true,
        user: { username: "system:serviceaccount:a:x" },
        audiences: ["istio-ca"],
      }),
    ).toEqual({ ok: true, value: { namespace: "a", serviceAccount: "x" } });
  });

  it.each<[string, TokenReviewStatus, RegExp]>([
    [
      "expired",
      { authenticated: false, error: "[invalid bearer token, token is expired (exp)]" },
      /refused by the API server's TokenReview for audience "istio-ca": \[invalid bearer token, token is expired/,
    ],
    [
      "wrong audience",
      {
        authenticated: false,
        error: 'token audiences ["other"] is invalid for the target audiences ["istio-ca"]',
      },
      /token audiences \["other"\] is invalid/,
    ],
    [
      "authenticated but audience not confirmed",
      { authenticated: true, user: { username: "system:serviceaccount:a:x" }, audiences: [] },
      /not valid for audience "istio-ca" \(TokenReview audiences: none\)/,
    ],
    [
      "another kind of user",
      { authenticated: true, user: { username: "alice@example.com" }, audiences: ["istio-ca"] },
      /belongs to user "alice@example.com", not to a ServiceAccount/,
    ],
    [
      "a node",
      { authenticated: true, user: { username: "system:node:n1" }, audiences: ["istio-ca"] },
      /not to a ServiceAccount/,
    ],
    ["no status", {}, /refused by the API server's TokenReview/],
  ])("refuses %s", (_, status, message) => {
    const r = identityFromTokenReview(status);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.join()).toMatch(message);
  });

  it("never repeats a token an authenticator put in its reason", () => {
    const r = identityFromTokenReview({ authenticated: false, error: `bad token ${JWT}` });
    expect(JSON.stringify(r)).not.toContain(JWT);
    expect(JSON.stringify(r)).toContain("[token]");
  });
});

describe("tokenReviewAuthenticator", () => {
  it("asks for audience istio-ca and maps the answer", async () => {
    const asked: Array<readonly string[]> = [];
    const authenticate = tokenReviewAuthenticator(async (_token, audiences) => {
      asked.push(audiences);
      return { authenticated: true, user: { username: "system:serviceaccount:b:y" }, audiences };
    });
    expect(await authenticate("t")).toEqual({
      ok: true,
      value: { namespace: "b", serviceAccount: "y" },
    });
    expect(asked).toEqual([["istio-ca"]]);
  });

  it("refuses an empty token without asking, and throws when the API server cannot answer", async () => {
    const failing = tokenReviewAuthenticator(async () => {
      throw new Error("TokenReview failed (HTTP 503)");
    });
    expect(await failing("")).toEqual({ ok: false, errors: ["token is empty"] });
    await expect(failing("t")).rejects.toThrow("HTTP 503");
  });
});
