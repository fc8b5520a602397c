import * as grpc from "@grpc/grpc-js";
import { bindServer, shutdownServer } from "../../control-plane/tls-listener";
import { recordingLogger } from "./fakes";

/** Binding on loopback: a taken port is logged and left unserved, never thrown. */
describe("bindServer", () => {
  it("returns the bound port, and undefined with a log line naming the address when it is taken", async () => {
    const logger = recordingLogger();
    const first = new grpc.Server();
    const port = await bindServer(
      first,
      "127.0.0.1:0",
      grpc.ServerCredentials.createInsecure(),
      "test ADS",
      logger,
    );
    expect(port).toBeGreaterThan(0);

    const second = new grpc.Server();
    const address = `127.0.0.1:${port}`;
    await expect(
      bindServer(second, address, grpc.ServerCredentials.createInsecure(), "test ADS", logger),
    ).resolves.toBeUndefined();
    const failure = logger.lines.map(l => JSON.parse(l)).find(l => l.level === "error");
    expect(failure).toMatchObject({ address });
    expect(failure.msg).toContain(`test ADS: could not listen on ${address}`);

    await shutdownServer(first, 200);
  });
});
