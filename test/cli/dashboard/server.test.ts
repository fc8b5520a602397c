/**
 * The dashboard's HTTP server on a free loopback port, with a graph reader the test controls:
 * the page and its libraries are served from the checkout, /api/graph answers JSON, the event
 * stream sends a graph at once and again only when it changed, and requests naming another host
 * are refused. And the command's flags: usage errors exit 2, --help exits 0.
 */
import { request } from "node:http";
import { CommanderError } from "commander";
import { dashboardCommand } from "../../../cli/commands/dashboard";
import type { DashboardGraph } from "../../../cli/dashboard/model/types";
import { ASSETS, startDashboardServer, type DashboardServer } from "../../../cli/dashboard/server";
import { runInProcess } from "../run-in-process";

const graphWith = (label: string): DashboardGraph => ({
  generatedAt: new Date().toISOString(),
  sources: {
    cluster: { ok: true, address: "https://127.0.0.1:6443" },
    controlPlane: { ok: false, address: "127.0.0.1:15010", error: "cannot reach" },
  },
  nodes: [{ id: "ns:default", kind: "namespace", label, namespace: "default", warnings: [] }],
  edges: [],
  warnings: [],
});

/** GET with a chosen Host header (fetch cannot set it). */
function get(url: string, host?: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: host ? { host } : {} }, res => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }),
      );
    });
    req.on("error", reject);
    req.end();
  });
}

/** Reads server-sent `graph` events until `count` arrived. */
async function graphEvents(url: string, count: number, timeoutMs: number): Promise<string[]> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const labels: string[] = [];
  try {
    const res = await fetch(`${url}api/events`, { signal: controller.signal });
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
      buffered += decoder.decode(chunk, { stream: true });
      for (let end = buffered.indexOf("\n\n"); end >= 0; end = buffered.indexOf("\n\n")) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const data = /^event: graph\ndata: (.*)$/m.exec(event)?.[1];
        if (data) labels.push((JSON.parse(data) as DashboardGraph).nodes[0]!.label);
        if (labels.length === count) return labels;
      }
    }
  } catch (err) {
    if (!controller.signal.aborted) throw err;
  } finally {
    clearTimeout(timer);
    controller.abort();
  }
  return labels;
}

describe("the dashboard server", () => {
  let server: DashboardServer;
  let reads = 0;
  let label = "first";

  beforeAll(async () => {
    server = await startDashboardServer({
      address: "127.0.0.1",
      port: 0,
      refreshMs: 50,
      read: async () => {
        reads += 1;
        return graphWith(label);
      },
    });
  });
  afterAll(() => server.close());

  it.each(Object.keys(ASSETS))("serves %s from the checkout", async path => {
    const res = await get(`${server.url}${path.slice(1)}`);
    expect([res.status, res.type]).toEqual([200, ASSETS[path]!.type]);
    expect(res.body.length).toBeGreaterThan(100);
  });

  it("loads no asset from another site", async () => {
    const page = (await get(server.url)).body;
    const sources = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map(m => m[1]!);
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources)
      expect({ src, local: src.startsWith("/") }).toEqual({ src, local: true });
  });

  it("answers /api/graph with the graph as JSON", async () => {
    const res = await get(`${server.url}api/graph`);
    expect(res.type).toBe("application/json");
    const g = JSON.parse(res.body) as DashboardGraph;
    expect(g.sources.controlPlane).toEqual({
      ok: false,
      address: "127.0.0.1:15010",
      error: "cannot reach",
    });
  });

  it.each([
    ["an unknown path", "nope", undefined, 404],
    ["a host that is not loopback (DNS rebinding)", "", "evil.example.com", 403],
    ["localhost", "", "localhost:20001", 200],
  ])("answers %s with %s", async (_, path, host, status) => {
    expect((await get(`${server.url}${path}`, host)).status).toBe(status);
  });

  it("streams the graph at once, then again only when it changed", async () => {
    label = "first";
    const events = graphEvents(server.url, 2, 3000);
    // Several unchanged reads pass before the change; none of them is sent.
    await new Promise(r => setTimeout(r, 400));
    const readsBefore = reads;
    label = "second";
    expect(await events).toEqual(["first", "second"]);
    expect(readsBefore).toBeGreaterThan(3);
  });

  it("stops reading when no page is open", async () => {
    await new Promise(r => setTimeout(r, 200));
    const idle = reads;
    await new Promise(r => setTimeout(r, 300));
    expect(reads).toBe(idle);
  });
});

describe("rig dashboard's flags", () => {
  it.each([
    [["--port", "70000"], /--port.*must be a port number/],
    [["--port", "http"], /--port.*must be a port number/],
    [["--refresh", "0"], /--refresh.*from 0.2 to 3600/],
    [["--timeout", "-1"], /--timeout -1: must be a positive number/],
    [["--colour"], /unknown option '--colour'/],
  ])("%j is a usage error (exit 2)", async (args, message) => {
    const run = await runInProcess(dashboardCommand(), args);
    expect(run.code).toBe(2);
    expect(`${run.stderr}${run.stdout}`).toMatch(message);
  });

  it("--help exits 0 and says how the page updates", async () => {
    const command = dashboardCommand();
    let help = "";
    command.configureOutput({ writeOut: s => (help += s) });
    command.exitOverride();
    await expect(command.parseAsync(["--help"], { from: "user" })).rejects.toMatchObject({
      exitCode: 0,
    } satisfies Partial<CommanderError>);
    expect(help).toMatch(/server-sent events/);
    expect(help).toMatch(/--port <port>/);
  });
});
