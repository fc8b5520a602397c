import {
  DEFAULT_SECRET_ACCESS_TTL,
  secretAccessAuthorizer,
  secretAccessFromReview,
  secretAccessReviewSpec,
  type AccessReviewSpec,
  type AccessReviewStatus,
} from "../../control-plane/secret-access";
import { recordingLogger } from "./fakes";

/**
 * The SubjectAccessReview authorizer with an injected review: the question it asks, how it reads
 * answers, what it caches and for how long, and that an API server that cannot answer means
 * "not allowed". The same authorizer against a real API server: test/integration/secret-access.
 */

const gateway = { namespace: "istio-system", serviceAccount: "ingress" };

describe("secretAccessReviewSpec", () => {
  it("asks whether the ServiceAccount's user may list core Secrets in its own namespace", () => {
    expect(secretAccessReviewSpec(gateway)).toEqual({
      user: "system:serviceaccount:istio-system:ingress",
      resourceAttributes: {
        namespace: "istio-system",
        verb: "list",
        group: "",
        resource: "secrets",
      },
    });
  });
});

describe("secretAccessFromReview", () => {
  it.each<[AccessReviewStatus, boolean, string]>([
    [{ allowed: true, reason: 'RBAC: allowed by RoleBinding "read"' }, true, "may list secrets"],
    [{ allowed: false }, false, "may not list secrets in namespace istio-system"],
    [{}, false, "may not list secrets in namespace istio-system"],
    [
      { allowed: false, reason: "no RBAC policy matched" },
      false,
      "(SubjectAccessReview: no RBAC policy matched)",
    ],
    [{ evaluationError: "webhook timed out" }, false, "(SubjectAccessReview: webhook timed out)"],
  ])("%j → allowed %s", (status, allowed, words) => {
    const access = secretAccessFromReview(gateway, status);
    expect(access.allowed).toBe(allowed);
    expect(access.reason).toContain("ServiceAccount istio-system/ingress");
    expect(access.reason).toContain(words);
  });
});

function harness(answer: (spec: AccessReviewSpec) => Promise<AccessReviewStatus>) {
  let clock = 1_000_000;
  const asked: AccessReviewSpec[] = [];
  const logger = recordingLogger();
  const authorize = secretAccessAuthorizer({
    logger,
    now: () => clock,
    review: spec => {
      asked.push(spec);
      return answer(spec);
    },
  });
  return { authorize, asked, logger, tick: (ms: number) => (clock += ms) };
}

describe("secretAccessAuthorizer", () => {
  it("caches a grant for a minute per ServiceAccount, then asks again", async () => {
    const t = harness(async () => ({ allowed: true }));
    expect((await t.authorize(gateway)).allowed).toBe(true);
    t.tick(DEFAULT_SECRET_ACCESS_TTL.allowedMs - 1);
    expect((await t.authorize(gateway)).allowed).toBe(true);
    expect(t.asked).toHaveLength(1);
    t.tick(1);
    await t.authorize(gateway);
    expect(t.asked).toHaveLength(2);
  });

  it("caches a denial for less time than a grant, so a new RoleBinding is seen soon", async () => {
    let allowed = false;
    const t = harness(async () => ({ allowed }));
    expect((await t.authorize(gateway)).allowed).toBe(false);
    allowed = true;
    t.tick(DEFAULT_SECRET_ACCESS_TTL.deniedMs - 1);
    expect((await t.authorize(gateway)).allowed).toBe(false);
    t.tick(1);
    expect((await t.authorize(gateway)).allowed).toBe(true);
    expect(t.asked).toHaveLength(2);
    expect(DEFAULT_SECRET_ACCESS_TTL.deniedMs).toBeLessThan(DEFAULT_SECRET_ACCESS_TTL.allowedMs);
  });

  it("keeps ServiceAccounts apart: same name in another namespace, another name in the same", async () => {
    const t = harness(async spec => ({ allowed: spec.user.endsWith(":istio-system:ingress") }));
    const answers = await Promise.all([
      t.authorize(gateway),
      t.authorize({ namespace: "shop", serviceAccount: "ingress" }),
      t.authorize({ namespace: "istio-system", serviceAccount: "egress" }),
    ]);
    expect(answers.map(a => a.allowed)).toEqual([true, false, false]);
    expect(t.asked.map(s => s.user)).toEqual([
      "system:serviceaccount:istio-system:ingress",
      "system:serviceaccount:shop:ingress",
      "system:serviceaccount:istio-system:egress",
    ]);
  });

  it("asks once for concurrent streams of the same ServiceAccount", async () => {
    let release!: () => void;
    const t = harness(
      () => new Promise<AccessReviewStatus>(r => (release = () => r({ allowed: true }))),
    );
    const pending = [t.authorize(gateway), t.authorize(gateway), t.authorize(gateway)];
    release();
    expect((await Promise.all(pending)).every(a => a.allowed)).toBe(true);
    expect(t.asked).toHaveLength(1);
  });

  it("fails closed when the API server cannot answer, logs who, and asks again next time", async () => {
    let down = true;
    const t = harness(async () => {
      if (down) throw new Error("SubjectAccessReview failed (HTTP 503)");
      return { allowed: true };
    });
    const access = await t.authorize(gateway);
    expect(access.allowed).toBe(false);
    expect(access.reason).toContain("could not be checked");
    const line = JSON.parse(t.logger.lines[0]!) as Record<string, unknown>;
    expect(line).toMatchObject({
      level: "warn",
      namespace: "istio-system",
      serviceAccount: "ingress",
      err: "SubjectAccessReview failed (HTTP 503)",
    });
    expect(String(line.msg)).toContain("ServiceAccount istio-system/ingress");
    expect(String(line.msg)).toContain("not allowed to list secrets in namespace istio-system");
    // An error is not an answer: it is not cached.
    down = false;
    expect((await t.authorize(gateway)).allowed).toBe(true);
    expect(t.asked).toHaveLength(2);
  });

  it("reads anything but allowed: true as a denial", async () => {
    const t = harness(async () => ({ allowed: "true" }) as unknown as AccessReviewStatus);
    expect((await t.authorize(gateway)).allowed).toBe(false);
  });
});
