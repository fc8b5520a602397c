import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { peprHealthy, readinessVerdict, serveReadiness } from "../../control-plane/readiness";
import { recordingLogger } from "./fakes";

describe("readinessVerdict", () => {
  it.each([
    [{ ports: [{ role: "TLS ADS + CA", bound: true }], pepr: true }, true, []],
    [
      { ports: [{ role: "TLS ADS + CA", bound: false }], pepr: true },
      false,
      ["TLS ADS + CA is not listening"],
    ],
    [
      {
        ports: [
          { role: "plaintext ADS", bound: true },
          { role: "TLS ADS + CA", bound: false },
        ],
        pepr: false,
      },
      false,
      ["TLS ADS + CA is not listening", "Pepr's /healthz on 3000 does not answer 200"],
    ],
    [{ ports: [], pepr: true, api: { reachable: true } }, true, []],
    [
      {
        ports: [],
        pepr: true,
        api: { reachable: false, reason: "no contact with the Kubernetes API server for 21.0s" },
      },
      false,
      ["no contact with the Kubernetes API server for 21.0s"],
    ],
  ])("%j → ready %s", (state, ready, reasons) =>
    expect(readinessVerdict(state)).toEqual({ ready, reasons }),
  );
});

describe("the /ready endpoint the watcher's probe reads", () => {
  let server: Server;
  let state = { ports: [{ role: "TLS ADS + CA", bound: false }], pepr: true };
  const get = async (path: string) => {
    const port = (server.address() as AddressInfo).port;
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return { status: res.status, body: await res.text() };
  };

  beforeAll(async () => {
    server = await serveReadiness("127.0.0.1:0", async () => state, recordingLogger());
  });
  afterAll(() => new Promise(r => server.close(r)));

  it("answers 503 with the reason until xDS listens, then 200", async () => {
    expect(await get("/ready")).toEqual({ status: 503, body: "TLS ADS + CA is not listening\n" });
    state = { ports: [{ role: "TLS ADS + CA", bound: true }], pepr: true };
    expect(await get("/ready")).toEqual({ status: 200, body: "ready\n" });
  });

  it("answers 404 off its path", async () => {
    expect((await get("/healthz")).status).toBe(404);
  });

  it("counts Pepr as down when nothing answers on its port", async () => {
    // The readiness server's own port speaks plain HTTP, so a TLS client gets no 200 from it.
    expect(await peprHealthy((server.address() as AddressInfo).port, 1000)).toBe(false);
  });
});
