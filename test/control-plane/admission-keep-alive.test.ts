import https from "node:https";
import type { AddressInfo } from "node:net";
import {
  IDLE_CONNECTION_MS,
  keepAdmissionConnectionsOpen,
  keepIdleConnections,
} from "../../control-plane/admission-keep-alive";
import { createCa, issueLocalServingCert } from "../../cli/local-cluster/pki";

/** GETs `/` on `agent`'s kept connection and says whether the socket was a reused one. */
function get(port: number, agent: https.Agent, ca: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: "127.0.0.1", port, path: "/", agent, ca }, res => {
      res.resume();
      res.on("end", () => resolve(req.reusedSocket));
    });
    req.on("error", reject);
  });
}

describe("admission connections kept open", () => {
  it("keeps idle connections longer than Go's 90 s, with the headers timeout above", () => {
    const server = keepIdleConnections(https.createServer());
    expect(server.keepAliveTimeout).toBe(IDLE_CONNECTION_MS);
    expect(IDLE_CONNECTION_MS).toBeGreaterThan(90_000);
    expect(server.headersTimeout).toBeGreaterThan(server.keepAliveTimeout);
  });

  it("applies to every server the module's createServer makes, once however often it is asked", () => {
    const mod = { createServer: https.createServer };
    keepAdmissionConnectionsOpen(mod);
    const once = mod.createServer;
    keepAdmissionConnectionsOpen(mod);
    expect(mod.createServer).toBe(once);
    expect(mod.createServer().keepAliveTimeout).toBe(IDLE_CONNECTION_MS);
    // The module given is the one patched: Node's own stays as it was.
    expect(https.createServer().keepAliveTimeout).toBe(5_000);
  });

  // What the API server sees: a connection idle for longer than Node's default 5 s is still
  // there for the next webhook call, so no call is sent on a socket the server is closing.
  it("serves a second request on the same connection after 6 s idle, over TLS on loopback", async () => {
    const ca = createCa("keep-alive-test-ca");
    const serving = issueLocalServingCert(ca, "keep-alive-test");
    const mod = { createServer: https.createServer };
    keepAdmissionConnectionsOpen(mod);
    const server = mod.createServer({ key: serving.keyPem, cert: serving.certPem }, (_q, r) =>
      r.end("ok"),
    );
    await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect(await get(port, agent, ca.certPem)).toBe(false);
      await new Promise(r => setTimeout(r, 6_000));
      expect(await get(port, agent, ca.certPem)).toBe(true);
    } finally {
      agent.destroy();
      server.closeAllConnections();
      await new Promise(resolve => server.close(resolve));
    }
  }, 20_000);
});
