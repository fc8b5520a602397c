import { nodeCaDeps } from "../../ca/server/node-crypto";
import { MeshCa } from "../../control-plane/mesh-ca";
import { startControlPlane } from "../../control-plane/start";
import { fail } from "../../mesh/result";
import { MemoryStore, recordingLogger } from "./fakes";

// The JWKS fetcher's background refresh lives exactly as long as the control plane.
describe("startControlPlane with a JWKS fetcher", () => {
  it("starts the refresh with the servers and stops it on shutdown", async () => {
    const calls: string[] = [];
    const logger = recordingLogger();
    const plane = startControlPlane({
      ca: new MeshCa({ store: new MemoryStore(), logger, deps: nodeCaDeps }),
      deps: nodeCaDeps,
      authenticate: async () => fail("no tokens here"),
      logger,
      jwks: { start: () => void calls.push("start"), stop: () => void calls.push("stop") },
    });
    expect(calls).toEqual(["start"]);
    await plane.ready;
    await plane.stop();
    expect(calls).toEqual(["start", "stop"]);
  });
});
