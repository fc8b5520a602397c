import {
  DEFAULT_SECRET_ACCESS_TTL,
  kubernetesSubjectAccessReviewer,
  secretAccessAuthorizer,
  secretAccessReviewSpec,
} from "../../control-plane/secret-access";
import { recordingLogger } from "../control-plane/fakes";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { create, eventually } from "../harness/kube";

/**
 * The SubjectAccessReview authorizer against a real kube-apiserver (RBAC): a ServiceAccount gets
 * gateway Secrets only when a Role in its own namespace lets it `list` `secrets` — not with `get`
 * alone, not with `list` in another namespace — and a denial is cached only briefly.
 */

let cluster: LocalCluster;

const rbac = "/apis/rbac.authorization.k8s.io/v1/namespaces";

async function serviceAccount(ns: string, name: string): Promise<void> {
  await create(cluster, `/api/v1/namespaces/${ns}/serviceaccounts`, { metadata: { name } });
}

async function grant(ns: string, sa: string, saNamespace: string, verbs: string[]): Promise<void> {
  const name = `${saNamespace}-${sa}-${verbs.join("-")}`;
  await create(cluster, `${rbac}/${ns}/roles`, {
    metadata: { name },
    rules: [{ apiGroups: [""], resources: ["secrets"], verbs }],
  });
  await create(cluster, `${rbac}/${ns}/rolebindings`, {
    metadata: { name },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
    subjects: [{ kind: "ServiceAccount", name: sa, namespace: saNamespace }],
  });
}

// RBAC reads its bindings from informers: a new binding is effective a moment after it is stored.
function effective(ns: string, sa: string): Promise<true> {
  return eventually(`list secrets for ${ns}/${sa} to take effect`, async () =>
    (
      await kubernetesSubjectAccessReviewer(
        secretAccessReviewSpec({ namespace: ns, serviceAccount: sa }),
      )
    ).allowed === true
      ? true
      : undefined,
  );
}

beforeAll(async () => {
  cluster = await startTestCluster({ nodes: 0 });
  process.env.KUBECONFIG = cluster.kubeconfigPath;
  for (const ns of ["gw", "other"])
    await create(cluster, "/api/v1/namespaces", { metadata: { name: ns } });
  for (const sa of ["reader", "stranger", "getter", "elsewhere", "latecomer"])
    await serviceAccount("gw", sa);
  await grant("gw", "reader", "gw", ["list"]);
  await grant("gw", "getter", "gw", ["get"]);
  await grant("other", "elsewhere", "gw", ["list"]);
  await effective("gw", "reader");
});

afterAll(async () => {
  await cluster?.stop();
});

describe("secretAccessAuthorizer on a real API server", () => {
  it.each([
    ["reader", true, "a Role in its namespace grants list secrets"],
    ["stranger", false, "no Role at all"],
    ["getter", false, "get secrets is not list"],
    ["elsewhere", false, "list secrets in another namespace does not count"],
  ])("ServiceAccount gw/%s: allowed %s (%s)", async (sa, allowed) => {
    const authorize = secretAccessAuthorizer({ logger: recordingLogger() });
    const access = await authorize({ namespace: "gw", serviceAccount: sa });
    expect(access).toEqual({
      allowed,
      reason: expect.stringContaining(
        `ServiceAccount gw/${sa} ${allowed ? "may" : "may not"} list secrets in namespace gw`,
      ) as unknown as string,
    });
  });

  it("sees a new RoleBinding once the short denial cache expires", async () => {
    let clock = 0;
    const logger = recordingLogger();
    const authorize = secretAccessAuthorizer({ logger, now: () => clock });
    const latecomer = { namespace: "gw", serviceAccount: "latecomer" };
    expect((await authorize(latecomer)).allowed).toBe(false);
    await grant("gw", "latecomer", "gw", ["list"]);
    await effective("gw", "latecomer");
    // The API server says yes now; the cached denial stands until it expires.
    expect((await authorize(latecomer)).allowed).toBe(false);
    clock += DEFAULT_SECRET_ACCESS_TTL.deniedMs;
    expect((await authorize(latecomer)).allowed).toBe(true);
    expect(logger.lines).toEqual([]);
  });
});
