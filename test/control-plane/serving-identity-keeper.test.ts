import { MeshCa } from "../../control-plane/mesh-ca";
import { ServingIdentityKeeper } from "../../control-plane/serving-identity-keeper";
import { CLOCK_SKEW_SECONDS } from "../../ca/issue";
import { nodeCaDeps } from "../../ca/server/node-crypto";
import { depsAt, MemoryStore, recordingLogger } from "./fakes";

/** The 15012 identity: issued once, renewed in place at half-life, absent without an authority. */

function keeperAt(clock: { now: Date }, ca: MeshCa) {
  const logger = recordingLogger();
  const keeper = new ServingIdentityKeeper({
    ca,
    deps: depsAt(clock),
    dnsNames: ["istiod.istio-system.svc"],
    ttlSeconds: 3600,
    generateKey: nodeCaDeps.generateKey,
    logger,
  });
  return { keeper, logger };
}

const issued = (lines: string[]) =>
  lines.filter(l => l.includes("issued the control plane's serving certificate")).length;

describe("ServingIdentityKeeper", () => {
  it("gives no credentials while the CA has no authority, and says nothing was issued", () => {
    const ca = new MeshCa({
      store: new MemoryStore(),
      logger: recordingLogger(),
      deps: nodeCaDeps,
    });
    const { keeper, logger } = keeperAt({ now: new Date() }, ca);
    expect(keeper.credentials()).toBeUndefined();
    expect(keeper.inUse).toBe(false);
    expect(issued(logger.lines)).toBe(0);
  });

  it("issues once, keeps one credentials object, and renews it in place only past half-life", async () => {
    const clock = { now: new Date() };
    const ca = new MeshCa({
      store: new MemoryStore(),
      logger: recordingLogger(),
      deps: depsAt(clock),
    });
    await ca.bootstrap();
    const { keeper, logger } = keeperAt(clock, ca);
    const first = keeper.credentials();
    expect(first).toBeDefined();
    expect(keeper.credentials()).toBe(first);
    expect(keeper.inUse).toBe(true);
    expect(issued(logger.lines)).toBe(1);

    // Valid from now − the clock-skew grace to now + 1 h: half-life is at their midpoint.
    const start = clock.now.getTime();
    const halfLifeMs = (3600 * 1000 - CLOCK_SKEW_SECONDS * 1000) / 2;
    clock.now = new Date(start + halfLifeMs - 1_000);
    keeper.renewIfDue();
    expect(issued(logger.lines)).toBe(1);

    clock.now = new Date(start + halfLifeMs + 1_000);
    keeper.renewIfDue();
    expect(issued(logger.lines)).toBe(2);
    expect(keeper.credentials()).toBe(first);
  });
});
