import { authorityFiles, type Authority } from "../../ca/authority";
import { readCertificates } from "../../ca/pem";
import { toSecretData } from "../../ca/secret-data";
import { createSelfSignedRoot } from "../../ca/self-signed-root";
import { nodeCaDeps } from "../../ca/server/node-crypto";
import { MeshCa, type MeshCaChange } from "../../control-plane/mesh-ca";
import { depsAt, MemoryStore, recordingLogger } from "./fakes";

const policy = { defaultTtlSeconds: 3600, maxTtlSeconds: 86400 };

function newRoot(org = "cluster.local") {
  const r = createSelfSignedRoot({ ...nodeCaDeps, key: nodeCaDeps.generateKey, trustDomain: org });
  if (!r.ok) throw new Error(r.errors.join());
  return r.value;
}

const count = (pem: string) => (pem.match(/BEGIN CERTIFICATE/g) ?? []).length;
const fingerprints = (pem: string) => {
  const r = readCertificates("bundle", pem);
  return r.ok ? r.value.map(c => c.fingerprint) : [];
};

function meshCa(store: MemoryStore, clock = { now: new Date() }, published?: string) {
  const logger = recordingLogger();
  const changes: MeshCaChange[] = [];
  const ca = new MeshCa({
    store,
    logger,
    deps: depsAt(clock),
    policy,
    readPublishedBundle: async () => published,
  });
  ca.onChange(c => changes.push(c));
  return { ca, logger, changes, clock };
}

describe("MeshCa bootstrap", () => {
  it("generates a self-signed root on first start and persists it in rigging-ca", async () => {
    const store = new MemoryStore();
    const { ca, changes, logger } = meshCa(store);
    await ca.bootstrap();
    expect(ca.source()).toBe("rigging-ca");
    expect(store.secrets.get("rigging-ca")?.["ca-key.pem"]).toBeDefined();
    expect(changes).toHaveLength(1);
    expect(ca.bundle()).toBe(ca.authority()!.rootPem);
    // the same root after a restart
    const again = meshCa(store);
    await again.ca.bootstrap();
    expect(again.ca.authority()!.rootPem).toBe(ca.authority()!.rootPem);
    expect(store.creates).toBe(1);
    const keyBody = store.secrets.get("rigging-ca")!["ca-key.pem"]!;
    const keyPem = Buffer.from(keyBody, "base64").toString();
    expect(logger.lines.join("\n")).not.toContain(keyPem.split("\n")[1]);
  });

  it("a root made by a replica whose clock runs ahead loads on one up to two minutes behind", async () => {
    const store = new MemoryStore();
    const ahead = { now: new Date() };
    const first = meshCa(store, ahead).ca;
    await first.bootstrap();
    const behind = meshCa(store, { now: new Date(ahead.now.getTime() - 110_000) });
    await behind.ca.bootstrap();
    expect(behind.ca.authority()?.rootPem).toBe(first.authority()!.rootPem);
    expect(behind.logger.lines.join("\n")).not.toContain("not valid until");
  });

  it("two racing starters end with one root: the loser adopts the winner's", async () => {
    const store = new MemoryStore();
    const winner = newRoot();
    store.beforeCreate = name => {
      if (!store.secrets.has(name)) store.secrets.set(name, toSecretData(winner.files));
    };
    const { ca } = meshCa(store);
    await ca.bootstrap();
    expect(ca.authority()!.rootPem).toBe(winner.authority.rootPem);
  });

  it("two starters at once in one process share one load", async () => {
    const store = new MemoryStore();
    const { ca } = meshCa(store);
    await Promise.all([ca.bootstrap(), ca.bootstrap(), ca.reload()]);
    expect(store.creates).toBe(1);
  });

  it("prefers the plug-in cacerts Secret", async () => {
    const store = new MemoryStore();
    const plugin = newRoot("plugin.example");
    store.secrets.set("cacerts", toSecretData(plugin.files));
    const { ca } = meshCa(store);
    await ca.bootstrap();
    expect(ca.source()).toBe("cacerts");
    expect(ca.authority()!.rootPem).toBe(plugin.authority.rootPem);
    expect(store.secrets.has("rigging-ca")).toBe(false);
  });

  it("refuses a malformed cacerts naming the Secret and file, and keeps the previous authority", async () => {
    const store = new MemoryStore();
    const good = newRoot();
    store.secrets.set("cacerts", toSecretData(good.files));
    const { ca, logger, changes } = meshCa(store);
    await ca.bootstrap();
    const other = newRoot();
    store.secrets.set("cacerts", {
      ...toSecretData(good.files),
      "ca-key.pem": toSecretData(authorityFiles(other.authority))["ca-key.pem"]!,
    });
    await ca.reload();
    expect(ca.authority()!.rootPem).toBe(good.authority.rootPem);
    expect(changes).toHaveLength(1);
    const refusal = logger.lines.find(l => l.includes('"level":"error"'))!;
    expect(refusal).toContain(
      "Secret pepr-system/cacerts: ca-key.pem: does not match the public key of ca-cert.pem",
    );
    expect(refusal).toContain("still signing with the previous authority");
    store.secrets.set("cacerts", { "ca-cert.pem": "bm90IGEgY2VydA==" });
    await ca.reload();
    expect(logger.lines.at(-1)).toMatch(/cacerts: ca-cert.pem: .*(PEM|certificate)/);
    expect(ca.authority()!.rootPem).toBe(good.authority.rootPem);
  });

  it("with a malformed cacerts and nothing before, loads no authority rather than another root", async () => {
    const store = new MemoryStore();
    store.secrets.set("cacerts", { "ca-cert.pem": "%%%" });
    const { ca, logger } = meshCa(store);
    await ca.bootstrap();
    expect(ca.authority()).toBeUndefined();
    expect(ca.bundle()).toBe("");
    expect(logger.lines.join()).toMatch(
      /cacerts: Secret data is not base64|no authority is loaded/,
    );
  });
});

describe("MeshCa root rotation", () => {
  it("publishes the new root next to the old one until the old one retires", async () => {
    const store = new MemoryStore();
    const clock = { now: new Date() };
    const { ca, changes } = meshCa(store, clock);
    await ca.bootstrap();
    const oldRoot = ca.authority()!.rootPem;
    const next = newRoot("next.example");
    // The root was made on the real clock, after bootstrap's key generation.
    clock.now = new Date();
    store.secrets.set("cacerts", toSecretData(next.files));
    await ca.reload();
    expect(ca.authority()!.rootPem).toBe(next.authority.rootPem);
    expect(changes.at(-1)!.authorityChanged).toBe(true);
    expect(fingerprints(ca.bundle())).toEqual([
      ...fingerprints(next.authority.rootPem),
      ...fingerprints(oldRoot),
    ]);
    clock.now = new Date(clock.now.getTime() + policy.maxTtlSeconds * 1000 - 1000);
    ca.retireRoots();
    expect(count(ca.bundle())).toBe(2);
    clock.now = new Date(clock.now.getTime() + 2000);
    ca.retireRoots();
    expect(ca.bundle()).toBe(next.authority.rootPem);
    expect(changes.at(-1)!.authorityChanged).toBe(false);
  });

  it("after a restart keeps retiring the roots the previous process had published", async () => {
    const store = new MemoryStore();
    const old = newRoot("old.example");
    const current = newRoot();
    store.secrets.set("cacerts", toSecretData(current.files));
    const { ca } = meshCa(store, undefined, current.authority.rootPem + old.authority.rootPem);
    await ca.bootstrap();
    expect(fingerprints(ca.bundle())).toEqual([
      ...fingerprints(current.authority.rootPem),
      ...fingerprints(old.authority.rootPem),
    ]);
  });

  it("ignores an unchanged Secret (no change event)", async () => {
    const store = new MemoryStore();
    const { ca, changes } = meshCa(store);
    await ca.bootstrap();
    await ca.reload();
    await ca.reload();
    expect(changes).toHaveLength(1);
  });

  it("reports the authority a listener should reissue for", async () => {
    const store = new MemoryStore();
    const { ca, changes } = meshCa(store);
    await ca.bootstrap();
    const a: Authority = changes[0]!.authority;
    expect(a).toBe(ca.authority());
  });
});
