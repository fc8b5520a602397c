/**
 * The dashboard's HTTP server: one static page (cli/dashboard/page/), the graph and layout
 * libraries straight out of node_modules (no CDN: the page works offline), the graph as JSON at
 * /api/graph, and server-sent events at /api/events. While a page is open the server reads the
 * cluster and the control plane every `refreshMs` and sends the graph again when it changed, so
 * the page updates without a reload.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import type { DashboardGraph } from "./model/types";

/** How the server gets a graph (readDashboardGraph, or a fixed one in tests). */
export type GraphReader = () => Promise<DashboardGraph>;

/** Server settings. */
export interface DashboardServerOptions {
  readonly address: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** How often an open page's graph is re-read. */
  readonly refreshMs: number;
  readonly read: GraphReader;
}

/** A running server. */
export interface DashboardServer {
  readonly url: string;
  close(): Promise<void>;
}

interface Asset {
  readonly path: string;
  readonly type: string;
}

const PAGE_DIR = join(__dirname, "page");

/** Every file the page loads, by URL path. */
export const ASSETS: Readonly<Record<string, Asset>> = {
  "/": { path: join(PAGE_DIR, "index.html"), type: "text/html; charset=utf-8" },
  "/app.js": { path: join(PAGE_DIR, "app.js"), type: "text/javascript; charset=utf-8" },
  "/style.css": { path: join(PAGE_DIR, "style.css"), type: "text/css; charset=utf-8" },
  "/vendor/cytoscape.min.js": {
    path: require.resolve("cytoscape/dist/cytoscape.min.js"),
    type: "text/javascript; charset=utf-8",
  },
  "/vendor/cytoscape-dagre.min.js": {
    path: join(
      require.resolve("cytoscape-dagre/package.json"),
      "..",
      "dist",
      "cytoscape-dagre.min.js",
    ),
    type: "text/javascript; charset=utf-8",
  },
};

/** The graph without its timestamp, to tell a change from a re-read. */
const content = (g: DashboardGraph) => JSON.stringify({ ...g, generatedAt: "" });

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

/**
 * Whether the request's Host names this server. On a loopback address, a page of another site
 * that a browser resolved to 127.0.0.1 (DNS rebinding) would otherwise read the mesh's layout.
 */
function hostAllowed(req: IncomingMessage, address: string): boolean {
  if (!LOOPBACK.has(address)) return true;
  const host = (req.headers.host ?? "").replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return LOOPBACK.has(host);
}

/** Starts the server; resolves once it listens. */
export async function startDashboardServer(
  options: DashboardServerOptions,
): Promise<DashboardServer> {
  const clients = new Set<ServerResponse>();
  let latest: DashboardGraph | undefined;
  let inFlight: Promise<DashboardGraph> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let closed = false;

  // One read at a time: requests that come during a read share it.
  const read = (): Promise<DashboardGraph> => {
    inFlight ??= options.read().finally(() => (inFlight = undefined));
    return inFlight;
  };
  const send = (res: ServerResponse, g: DashboardGraph) =>
    res.write(`event: graph\ndata: ${JSON.stringify(g)}\n\n`);

  const poll = async () => {
    timer = undefined;
    if (clients.size === 0) return;
    try {
      const g = await read();
      const changed = !latest || content(latest) !== content(g);
      latest = g;
      if (changed) for (const c of clients) send(c, g);
      else for (const c of clients) c.write(`: unchanged ${g.generatedAt}\n\n`);
    } catch (err) {
      // The reader reports unreachable sources in the graph; anything else is a bug to show.
      for (const c of clients) c.write(`event: failure\ndata: ${JSON.stringify(String(err))}\n\n`);
    }
    if (clients.size > 0 && !closed) timer = setTimeout(() => void poll(), options.refreshMs);
  };

  const server = createServer((req, res) => {
    if (!hostAllowed(req, options.address)) {
      res.writeHead(403, { "content-type": "text/plain" }).end("forbidden host\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return;
    }
    const path = new URL(req.url ?? "/", "http://dashboard").pathname;
    if (path === "/api/graph") {
      read().then(
        g => {
          latest = g;
          res
            .writeHead(200, { "content-type": "application/json", "cache-control": "no-store" })
            .end(JSON.stringify(g));
        },
        err => res.writeHead(500, { "content-type": "text/plain" }).end(`${String(err)}\n`),
      );
      return;
    }
    if (path === "/api/events") {
      res.writeHead(200, {
        "content-type": "text/event-stream",
        "cache-control": "no-store",
        connection: "keep-alive",
      });
      res.write(`retry: ${Math.max(1000, options.refreshMs)}\n\n`);
      clients.add(res);
      req.on("close", () => clients.delete(res));
      // A new page gets the graph at once; the poll loop starts with the first page.
      read().then(
        g => {
          latest = g;
          if (!res.writableEnded) send(res, g);
          if (!timer && !closed) timer = setTimeout(() => void poll(), options.refreshMs);
        },
        err => res.write(`event: failure\ndata: ${JSON.stringify(String(err))}\n\n`),
      );
      return;
    }
    if (path === "/favicon.ico") {
      res.writeHead(204).end(); // no icon; saves the browser's console a 404
      return;
    }
    const asset = ASSETS[path];
    if (!asset) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    let body: Buffer;
    try {
      body = readFileSync(asset.path);
    } catch (err) {
      res.writeHead(500, { "content-type": "text/plain" }).end(`${String(err)}\n`);
      return;
    }
    res.writeHead(200, {
      "content-type": asset.type,
      "content-length": body.length,
      "cache-control": "no-cache",
    });
    res.end(req.method === "HEAD" ? undefined : body);
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.address, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.address.includes(":") ? `[${options.address}]` : options.address;
  return {
    url: `http://${host}:${port}/`,
    close: async () => {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const c of clients) c.end();
      clients.clear();
      const done = new Promise<void>(resolve => server.close(() => resolve()));
      server.closeAllConnections();
      await done;
    },
  };
}
