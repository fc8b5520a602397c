import { spawnSync } from "node:child_process";
import { join } from "node:path";
import type { DevSession } from "../../cli/dev/runner";
import { startTestModule } from "../harness/module";
import { admitConfig } from "../../mesh/admission/config-validation";
import { findKind } from "../../mesh/api/kinds";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { create, eventually, getJson } from "../harness/kube";
import { loadCorpora, type CorpusObject } from "../mesh/validation/corpus";

type Obj = Record<string, unknown> & { metadata?: Record<string, unknown> };

/** How the API server answered one object. */
type Outcome = "applied" | "webhook-denied" | "schema-refused" | "other";

const WEBHOOK = 'admission webhook "pepr-rigging.pepr.dev"';

/**
 * The one object whose YAML reads differently in the yaml package than in go-yaml (which kubectl
 * uses); test/mesh/validation/corpus.test.ts explains it. It is sent as kubectl would send it.
 */
/**
 * Objects with a field Istio has removed from its API (absent from Istio's own
 * crd-all.gen.yaml too): `kubectl apply`'s strict field validation refuses them under Istio's CRD
 * as under ours. They are applied as `kubectl apply --validate=warn` would, the field pruned.
 */
const REMOVED_FIELDS: Record<string, string> = {
  "tests/testdata/config/rule-websocket-route.yaml#2": "spec.http[0].websocketUpgrade",
  "tests/testdata/config/rule-websocket-route.yaml#3": "spec.http[0].websocketUpgrade",
};

const AS_KUBECTL_READS: Record<string, (o: Obj) => Obj> = {
  "pkg/config/validation/testdata/crds/serviceentry-valid.yaml#0": o => ({
    ...o,
    spec: { ...(o.spec as Obj), addresses: ["1.2.3.4", "001:db8::"] },
  }),
};

/** mulberry32, so a fuzz failure replays from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const REPLACEMENTS: unknown[] = [
  null,
  "",
  "*",
  "a..b",
  "(",
  "-1s",
  "1.2.3.4/99",
  "x".repeat(300),
  -1,
  0,
  65536,
  1.5,
  true,
  [],
  [null],
  {},
  { unknownField: 1 },
  "%A(",
  "unix://",
];

const STRINGS = [
  "",
  "*",
  "*.",
  "a..b",
  "-a",
  "ns/",
  "/x",
  "::",
  "10.0.0.0/33",
  "0s",
  "1.0005s",
  "(?=x)",
  "%A(",
  "MUTUAL",
  "x".repeat(300),
];
const NUMBERS = [0, -1, 65535, 65536, 101, 0.5, 4294967295];

/** Replaces, deletes or duplicates one to three values somewhere under `spec`. */
function mutate(obj: Obj, rand: () => number): Obj {
  const copy = structuredClone(obj);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const steps = 1 + Math.floor(rand() * 3);
  for (let s = 0; s < steps; s++) {
    const holders: [Record<string | number, unknown>, string | number][] = [];
    const walk = (v: unknown) => {
      if (Array.isArray(v))
        v.forEach((x, i) => {
          holders.push([v as unknown as Record<number, unknown>, i]);
          walk(x);
        });
      else if (v && typeof v === "object")
        for (const [k, x] of Object.entries(v)) {
          holders.push([v as Record<string, unknown>, k]);
          walk(x);
        }
    };
    walk(copy.spec);
    if (holders.length === 0) {
      copy.spec = pick(REPLACEMENTS);
      continue;
    }
    const [parent, key] = pick(holders);
    const op = rand();
    const current = parent[key];
    if (op < 0.15) delete parent[key];
    // Same-type replacements get past the CRD schema and reach the webhook's semantic rules.
    else if (op < 0.65 && typeof current === "string") parent[key] = pick(STRINGS);
    else if (op < 0.65 && typeof current === "number") parent[key] = pick(NUMBERS);
    else if (op < 0.9) parent[key] = structuredClone(pick(REPLACEMENTS));
    else parent[key] = structuredClone(copy.spec);
  }
  return copy;
}

// The module running against a real API server, with the CRDs it installs: Istio's own corpora
// must apply (CRD schema and webhook), the invalid fixtures must be refused, and what users see
// through kubectl — warnings and denials — must be the validator's words.
describe("config validation on a real API server", () => {
  let cluster: LocalCluster;
  let session: DevSession;
  const namespaces = new Set<string>();
  const corpora = loadCorpora();

  const kubectl = (args: string[], input?: string) =>
    spawnSync(join(cluster.state.binDir, "kubectl"), args, {
      input,
      encoding: "utf8",
      env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath },
    });

  const ensureNamespace = async (name: string) => {
    if (namespaces.has(name)) return;
    const res = await cluster.api("POST", "/api/v1/namespaces", { metadata: { name } });
    if (res.status !== 201 && res.status !== 409)
      throw new Error(`namespace ${name}: HTTP ${res.status} ${JSON.stringify(res.body)}`);
    namespaces.add(name);
  };

  /** The collection URL of an object's kind, in the version it is written in. */
  const collection = (obj: Obj, namespace: string) => {
    const info = findKind(obj.apiVersion, obj.kind);
    if (!info) throw new Error(`not a served kind: ${String(obj.apiVersion)} ${String(obj.kind)}`);
    return `/apis/${String(obj.apiVersion)}/namespaces/${namespace}/${info.plural}`;
  };

  /**
   * Applies an object as `kubectl apply` would (strict field validation; create, or update when
   * it exists — the samples hold several versions of the same VirtualService). Objects without a
   * namespace go to `defaultNamespace`.
   */
  const apply = async (
    original: Obj,
    defaultNamespace: string,
    query = "fieldValidation=Strict",
  ): Promise<{ outcome: Outcome; message: string }> => {
    const namespace = String(original.metadata?.namespace ?? defaultNamespace);
    await ensureNamespace(namespace);
    const obj: Obj & { metadata: Record<string, unknown> } = {
      ...original,
      metadata: { ...original.metadata, namespace },
    };
    const url = collection(obj, namespace);
    let res = await cluster.api("POST", `${url}?${query}`, obj);
    if (res.status === 409) {
      const name = String(obj.metadata.name);
      const current = await getJson<{ metadata: { resourceVersion: string } }>(
        cluster,
        `${url}/${name}`,
      );
      const update = {
        ...obj,
        metadata: { ...obj.metadata, resourceVersion: current.metadata.resourceVersion },
      };
      res = await cluster.api("PUT", `${url}/${name}?${query}`, update);
    }
    const message = String((res.body as { message?: unknown })?.message ?? "");
    if (res.status === 200 || res.status === 201) return { outcome: "applied", message };
    if (message.includes(WEBHOOK) && message.includes("denied the request"))
      return { outcome: "webhook-denied", message };
    if (res.status === 422 || res.status === 400) return { outcome: "schema-refused", message };
    return { outcome: "other", message: `HTTP ${res.status}: ${message}` };
  };

  const applyCorpus = async (objects: CorpusObject[], namespace: string) => {
    await ensureNamespace(namespace);
    const results: { id: string; outcome: Outcome; message: string }[] = [];
    for (const o of objects) {
      const obj = (AS_KUBECTL_READS[o.id]?.(o.object as Obj) ?? o.object) as Obj;
      const removed = REMOVED_FIELDS[o.id];
      if (removed) {
        // Refused strictly for that field and nothing else, then applied with it pruned.
        const strict = await apply(obj, namespace);
        expect(strict.message).toContain(`strict decoding error: unknown field "${removed}"`);
        results.push({ id: o.id, ...(await apply(obj, namespace, "fieldValidation=Warn")) });
      } else results.push({ id: o.id, ...(await apply(obj, namespace)) });
    }
    return results;
  };

  const counts: string[] = [];
  const count = (name: string, results: { outcome: Outcome }[]) => {
    const by = (o: Outcome) => results.filter(r => r.outcome === o).length;
    counts.push(
      `${name}: ${results.length} objects, ${by("applied")} applied, ` +
        `${by("webhook-denied")} refused by the webhook, ${by("schema-refused")} refused by the CRD schema` +
        (by("other") > 0 ? `, ${by("other")} other` : ""),
    );
  };

  beforeAll(async () => {
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    session = await startTestModule();
  });
  afterAll(async () => {
    // Figures for the issue note.
    if (counts.length > 0) console.log(`through the API server:\n${counts.join("\n")}`);
    await session?.stop();
    await cluster?.stop();
  });

  it("installs the Istio CRDs, Established, before the webhooks are registered", async () => {
    const crds = await getJson<{
      items: { metadata: { name: string }; spec: { versions: { name: string }[] } }[];
    }>(cluster, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
    const istio = crds.items.filter(c =>
      /\.(networking|security)\.istio\.io$/.test(c.metadata.name),
    );
    expect(istio.map(c => c.metadata.name).sort()).toEqual([
      "authorizationpolicies.security.istio.io",
      "destinationrules.networking.istio.io",
      "envoyfilters.networking.istio.io",
      "gateways.networking.istio.io",
      "peerauthentications.security.istio.io",
      "requestauthentications.security.istio.io",
      "serviceentries.networking.istio.io",
      "sidecars.networking.istio.io",
      "virtualservices.networking.istio.io",
      "workloadentries.networking.istio.io",
      "workloadgroups.networking.istio.io",
    ]);
  });

  it.each([
    ["samples/**", "samples", "corpus-samples"],
    ["tests/testdata/config", "testdata", "corpus-testdata"],
    ["validation/testdata/crds/*-valid.yaml", "crdsValid", "corpus-crds-valid"],
  ] as const)("applies every object of %s", async (name, key, namespace) => {
    const results = await applyCorpus(corpora[key].objects, namespace);
    count(name, results);
    expect(results.filter(r => r.outcome !== "applied")).toEqual([]);
    expect(results.length).toBe(corpora[key].objects.length);
  });

  it("refuses every object of validation/testdata/crds/*-invalid.yaml", async () => {
    const results = await applyCorpus(corpora.crdsInvalid.objects, "corpus-crds-invalid");
    count("validation/testdata/crds/*-invalid.yaml", results);
    expect(results.filter(r => r.outcome === "applied" || r.outcome === "other")).toEqual([]);
    // The webhook, not only the schema, does the refusing.
    expect(results.filter(r => r.outcome === "webhook-denied").length).toBeGreaterThan(
      results.length / 2,
    );
  });

  it("reads an object applied as v1beta1 back in v1, unchanged", async () => {
    await ensureNamespace("versions");
    const spec = {
      hosts: ["reviews"],
      http: [
        {
          match: [{ headers: { end_user: { exact: "jason" } } }],
          route: [{ destination: { host: "reviews", subset: "v2" } }],
          retries: { attempts: 3, perTryTimeout: "2s" },
        },
        {
          route: [
            { destination: { host: "reviews", subset: "v1" }, weight: 75 },
            { destination: { host: "reviews", subset: "v3" }, weight: 25 },
          ],
        },
      ],
    };
    const policy = {
      selector: { matchLabels: { app: "reviews" } },
      action: "ALLOW",
      rules: [{ from: [{ source: { principals: ["cluster.local/ns/versions/sa/web"] } }] }],
    };
    for (const [group, plural, kindName, body] of [
      ["networking.istio.io", "virtualservices", "VirtualService", spec],
      ["security.istio.io", "authorizationpolicies", "AuthorizationPolicy", policy],
    ] as const) {
      await create(cluster, `/apis/${group}/v1beta1/namespaces/versions/${plural}`, {
        apiVersion: `${group}/v1beta1`,
        kind: kindName,
        metadata: { name: "beta" },
        spec: body,
      });
      const stored = await getJson<{ apiVersion: string; spec: unknown }>(
        cluster,
        `/apis/${group}/v1/namespaces/versions/${plural}/beta`,
      );
      expect(stored.apiVersion).toBe(`${group}/v1`);
      expect(stored.spec).toEqual(body);
    }
  });

  it("validates a v1beta1 request too", async () => {
    const res = await apply(
      {
        apiVersion: "networking.istio.io/v1beta1",
        kind: "DestinationRule",
        metadata: { name: "beta-bad" },
        spec: { host: "reviews", subsets: [{ name: "v1" }, { name: "v1" }] },
      },
      "versions",
    );
    expect(res.outcome).toBe("webhook-denied");
  });

  it("shows a validation warning in kubectl as `Warning: ...`", async () => {
    await ensureNamespace("kubectl");
    const vs = {
      apiVersion: "networking.istio.io/v1",
      kind: "VirtualService",
      metadata: { name: "shadowed", namespace: "kubectl" },
      spec: {
        hosts: ["catalog"],
        http: [
          { route: [{ destination: { host: "catalog" } }] },
          { match: [{ uri: { prefix: "/admin" } }], route: [{ destination: { host: "catalog" } }] },
        ],
      },
    };
    const verdict = admitConfig(vs);
    if (verdict.action !== "allow") throw new Error("the fixture must be admitted");
    expect(verdict.warnings.length).toBeGreaterThan(0);
    const res = kubectl(["apply", "-f", "-"], JSON.stringify(vs));
    expect(res.status).toBe(0);
    for (const w of verdict.warnings) expect(res.stderr).toContain(`Warning: ${w}`);
  });

  it("shows a denial in kubectl verbatim", async () => {
    await ensureNamespace("kubectl");
    const dr = {
      apiVersion: "networking.istio.io/v1",
      kind: "DestinationRule",
      metadata: { name: "broken", namespace: "kubectl" },
      spec: {
        host: "reviews",
        trafficPolicy: { tls: { mode: "MUTUAL" } },
        subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v1" }],
      },
    };
    const verdict = admitConfig(dr);
    if (verdict.action !== "deny") throw new Error("the fixture must be refused");
    const res = kubectl(["apply", "-f", "-"], JSON.stringify(dr));
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain(`${WEBHOOK} denied the request: ${verdict.message}`);
    expect(verdict.message).toMatch(/^DestinationRule kubectl\/broken: spec\./);
  });

  it("rig analyze reads the live cluster: -n reports one namespace, -A every one", async () => {
    const fixtures = join(__dirname, "..", "mesh", "analysis", "fixtures");
    await ensureNamespace("shop");
    for (const f of ["subset-not-defined.yaml", "selector-matches-nothing.yaml"]) {
      const res = kubectl(["apply", "-f", join(fixtures, f)]);
      expect([f, res.status, res.stderr]).toEqual([f, 0, ""]);
    }
    // The selector check needs the Deployment's pods, which the controller-manager makes.
    await eventually("the reviews pod", async () => {
      const pods = await getJson<{ items: unknown[] }>(
        cluster,
        "/api/v1/namespaces/shop/pods?labelSelector=app%3Dreviews",
      );
      return pods.items.length > 0 ? true : undefined;
    });
    const rig = (args: string[]) =>
      spawnSync(
        process.execPath,
        [join(__dirname, "..", "..", "bin", "rig.cjs"), "analyze", ...args],
        {
          encoding: "utf8",
          env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath },
        },
      );
    const shop = rig(["-n", "shop", "-o", "json"]);
    expect(shop.stderr).toBe("");
    expect(shop.status).toBe(1);
    const found = (JSON.parse(shop.stdout) as { code: string; origin: string }[]).map(
      m => `${m.code} ${m.origin}`,
    );
    expect(found).toEqual([
      "IST0101 VirtualService shop/reviews",
      "IST0127 AuthorizationPolicy shop/reviews-viewers",
    ]);
    const all = rig(["-A", "-o", "json"]);
    const namespacesSeen = new Set(
      (JSON.parse(all.stdout) as { origin: string }[]).map(
        m => m.origin.split(" ")[1]?.split("/")[0],
      ),
    );
    expect(namespacesSeen.has("shop")).toBe(true);
    expect(namespacesSeen.size).toBeGreaterThan(1);
  });

  it("survives a few hundred random mutations of valid objects sent through the API server", async () => {
    await ensureNamespace("fuzz");
    const rand = prng(Number(process.env.FUZZ_SEED ?? 20260822));
    const seeds = [...corpora.crdsValid.objects, ...corpora.samples.objects].filter(
      o => !AS_KUBECTL_READS[o.id],
    );
    const total = Number(process.env.WEBHOOK_FUZZ ?? 500);
    const tally: Record<Outcome, number> = {
      applied: 0,
      "webhook-denied": 0,
      "schema-refused": 0,
      other: 0,
    };
    const others: string[] = [];
    for (let i = 0; i < total; i++) {
      const seed = seeds[i % seeds.length] as CorpusObject;
      const mutated = mutate(seed.object as Obj, rand);
      // Dry run: admission runs in full, nothing is stored.
      const { outcome, message } = await apply(mutated, "fuzz", "dryRun=All");
      tally[outcome]++;
      if (outcome === "other") others.push(`${seed.id}: ${message}`);
      // A webhook that failed (crashed, timed out) shows as "failed calling webhook".
      expect(message).not.toMatch(/failed calling webhook|Action failed with error/);
    }
    counts.push(
      `fuzz: ${total} mutations, ${tally.applied} admitted, ${tally["webhook-denied"]} refused by the webhook, ` +
        `${tally["schema-refused"]} refused by the CRD schema, ${tally.other} other`,
    );
    expect(others).toEqual([]);
    expect(tally["webhook-denied"]).toBeGreaterThan(0);
    // Still answering: the module process runs, and a bad object is still refused by it.
    expect(session.child.exitCode).toBeNull();
    const after = await apply(
      {
        apiVersion: "networking.istio.io/v1",
        kind: "DestinationRule",
        metadata: { name: "after-fuzz" },
        spec: { host: "reviews", subsets: [{ name: "v1" }, { name: "v1" }] },
      },
      "fuzz",
    );
    expect(after.outcome).toBe("webhook-denied");
  });
});
