/**
 * `rig dashboard` in a real browser (Debian's chromium through playwright-core): bookinfo on the
 * local cluster with the module running, a reviews 80/20 VirtualService, three proxies connected
 * (one made to NACK). The page must show the reviews service's two weighted route edges, each
 * proxy's sync state, and turn the lock on when a STRICT PeerAuthentication is applied, without a
 * reload. With the control plane down, `rig dashboard` (the real command) still serves a page
 * that says so and shows the cluster's graph.
 *
 * Prints the figures the README quotes: page load time and bytes downloaded, and saves
 * screenshots under test-results/ (gitignored).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { parseAllDocuments } from "yaml";
import type { DashboardGraph, GraphEdge, GraphNode } from "../../cli/dashboard/model/types";
import type { DevSession } from "../../cli/dev/runner";
import { freePort } from "../../cli/local-cluster/ports";
import { TypeUrl } from "../../xds/encode/type-urls";
import { launchChromium } from "../harness/browser";
import { startTestCluster, type LocalCluster } from "../harness/cluster";
import { applyOrFail, eventually, getJson } from "../harness/kube";
import { startTestModule } from "../harness/module";
import { repoRoot, sharedPath } from "../harness/shared";
import { SotwTestClient } from "../harness/xds-sotw-client";

const RESULTS = join(repoRoot, "test-results");
const bookinfo = (...path: string[]) =>
  parseAllDocuments(readFileSync(sharedPath("istio", "samples", "bookinfo", ...path), "utf8"))
    .map(d => d.toJS() as Record<string, unknown>)
    .filter(d => d !== null);

interface PodJson {
  metadata: { name: string; labels?: Record<string, string> };
  status: { phase?: string; podIP?: string };
}

/** The page's globals as the test reads them (in the browser, globalThis is window). */
interface Win {
  rigDashboard: {
    updates: number;
    graph?: DashboardGraph;
    cy: {
      nodes(): { id(): string; data(k: string): unknown }[];
      getElementById(id: string): {
        data(k: string): unknown;
        renderedPosition(): { x: number; y: number };
      };
    };
  };
  document: {
    getElementById(id: string): {
      hidden: boolean;
      textContent: string | null;
      getBoundingClientRect(): { left: number; top: number };
    };
  };
  sameDocument?: boolean;
}

/** What the page holds (window.rigDashboard), read in the browser. */
interface PageState {
  updates: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  banner: string | null;
  locked: Record<string, boolean>;
}

/** Clicks a node of the graph with the mouse, where cytoscape drew it. */
async function clickNode(page: Page, id: string): Promise<void> {
  const { x, y } = await page.evaluate(nodeId => {
    const win = globalThis as unknown as Win;
    const at = win.rigDashboard.cy.getElementById(nodeId).renderedPosition();
    const box = win.document.getElementById("graph").getBoundingClientRect();
    return { x: box.left + at.x, y: box.top + at.y };
  }, id);
  await page.mouse.click(x, y);
}

async function pageState(page: Page): Promise<PageState> {
  return page.evaluate(() => {
    const s = (globalThis as unknown as Win).rigDashboard;
    const banner = (globalThis as unknown as Win).document.getElementById("banner");
    return {
      updates: s.updates,
      nodes: s.graph?.nodes.slice() ?? [],
      edges: s.graph?.edges.slice() ?? [],
      banner: banner.hidden ? null : banner.textContent,
      // What cytoscape draws, not just what the server sent.
      locked: Object.fromEntries(s.cy.nodes().map(n => [n.id(), n.data("locked") === true])),
    };
  });
}

/** A running `rig dashboard` process. */
interface RunningDashboard {
  readonly url: string;
  /** Interrupts it (Ctrl-C) and resolves with its exit code. */
  stop(): Promise<number | null>;
}

/**
 * Runs the real command, as a user would, against the test cluster and `xdsAddress`. In its own
 * process: its reads (a list per kind every refresh) must not hold up this process's event loop,
 * which carries the browser's protocol and the test proxies' streams.
 */
async function runDashboard(cluster: LocalCluster, xdsAddress: string): Promise<RunningDashboard> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(repoRoot, "bin", "rig.cjs"),
      "dashboard",
      ...["--port", String(port), "--xds-address", xdsAddress, "--timeout", "2", "--refresh", "1"],
    ],
    {
      cwd: repoRoot,
      env: { ...process.env, KUBECONFIG: cluster.kubeconfigPath },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout?.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr?.on("data", (b: Buffer) => (out += b.toString()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise(r => child.once("exit", r));
      child.kill("SIGINT");
      await exited;
    }
    return child.exitCode;
  };
  try {
    const url = await eventually(
      "rig dashboard to print its URL",
      async () => {
        if (child.exitCode !== null) throw new Error(`rig dashboard exited: ${out}`);
        return /open (http:\/\/\S+)/.exec(out)?.[1];
      },
      60_000,
    );
    expect(url).toBe(`http://127.0.0.1:${port}/`);
    return { url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

describe("rig dashboard in a browser", () => {
  let cluster: LocalCluster;
  let session: DevSession;
  let xdsPort: number;
  let dashboard: RunningDashboard;
  let browser: Browser;
  const proxies: SotwTestClient[] = [];

  beforeAll(async () => {
    mkdirSync(RESULTS, { recursive: true });
    cluster = await startTestCluster({ nodes: 1 });
    process.env.KUBECONFIG = cluster.kubeconfigPath;
    xdsPort = await freePort();
    session = await startTestModule({
      env: { RIGGING_XDS_ADDRESS: `127.0.0.1:${xdsPort}`, RIGGING_XDS_TLS_ADDRESS: "off" },
    });
    applyOrFail(cluster, [
      ...bookinfo("platform", "kube", "bookinfo.yaml"),
      ...bookinfo("networking", "destination-rule-all.yaml"),
      ...bookinfo("networking", "virtual-service-reviews-80-20.yaml"),
      // A route to a host that does not exist: rig analyze's IST0101, on the details service.
      {
        apiVersion: "networking.istio.io/v1",
        kind: "VirtualService",
        metadata: { name: "details", namespace: "default" },
        spec: {
          hosts: ["details"],
          http: [{ route: [{ destination: { host: "details-canary" } }] }],
        },
      },
      {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: { name: "reviews-callers", namespace: "default" },
        spec: {
          selector: { matchLabels: { app: "reviews" } },
          rules: [
            {
              from: [
                { source: { principals: ["cluster.local/ns/default/sa/bookinfo-productpage"] } },
              ],
              to: [{ operation: { methods: ["GET"] } }],
            },
          ],
        },
      },
    ]);
    const pods = await eventually("bookinfo's 6 pods to run", async () => {
      const list = await getJson<{ items: PodJson[] }>(cluster, "/api/v1/namespaces/default/pods");
      const running = list.items.filter(p => p.status.phase === "Running" && p.status.podIP);
      return running.length === 6 ? running : undefined;
    });
    // Three proxies as Istio's agent names them: two ACK everything, reviews-v2 NACKs clusters.
    const proxyOf = (app: string, version: string, nack: boolean) => {
      const p = pods.find(
        x => x.metadata.labels?.app === app && x.metadata.labels.version === version,
      )!;
      const client = new SotwTestClient(xdsPort, {
        nodeId: `sidecar~${p.status.podIP}~${p.metadata.name}.default~default.svc.cluster.local`,
        metadata: {
          NAMESPACE: "default",
          LABELS: p.metadata.labels,
          SERVICE_ACCOUNT: `bookinfo-${app}`,
        },
        ...(nack
          ? {
              answer: r =>
                r.typeUrl === TypeUrl.cluster ? { nack: "refused by the test" } : "ack",
            }
          : {}),
      });
      client.subscribe(TypeUrl.cluster, []);
      client.subscribe(TypeUrl.listener, []);
      proxies.push(client);
    };
    proxyOf("productpage", "v1", false);
    proxyOf("reviews", "v1", false);
    proxyOf("reviews", "v2", true);
    dashboard = await runDashboard(cluster, `127.0.0.1:${xdsPort}`);
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    expect(await dashboard?.stop()).toBe(0);
    for (const p of proxies) p.close();
    await session?.stop();
    await cluster?.stop();
  });

  it("shows reviews' 80/20 routes, the proxies' sync state, and turns the lock on live", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
    const problems: string[] = [];
    page.on("crash", () => problems.push("the page crashed"));
    page.on("pageerror", e => problems.push(`page error: ${String(e)}`));
    let bytes = 0;
    const files: string[] = [];
    page.on("response", async r => {
      if (r.url().endsWith("/api/events")) return; // a stream that never ends; counted below
      const body = await r.body().catch(() => Buffer.alloc(0));
      bytes += body.length;
      files.push(`${new URL(r.url()).pathname} ${body.length}`);
    });
    const started = Date.now();
    await page.goto(dashboard.url);
    const loaded = Date.now() - started;
    // The graph as drawn: reviews with both weighted edges, every proxy in its final state.
    await page.waitForFunction(
      () => {
        const g = (globalThis as unknown as Win).rigDashboard.graph;
        const sync = (id: string) => g?.nodes.find(n => n.id === id)?.sync;
        return (
          g?.edges.filter(e => e.source === "svc:default/reviews" && e.kind === "route").length ===
            2 &&
          sync("wl:default/reviews-v1") === "SYNCED" &&
          sync("wl:default/reviews-v2") === "NACK"
        );
      },
      undefined,
      { timeout: 30_000 },
    );
    const drawn = Date.now() - started;
    const apiStarted = Date.now();
    const apiGraph = (await (await fetch(`${dashboard.url}api/graph`)).json()) as DashboardGraph;
    const apiMs = Date.now() - apiStarted;
    expect(apiGraph.nodes.map(n => n.id)).toContain("svc:default/reviews");
    const graphBytes = await page.evaluate(
      () => JSON.stringify((globalThis as unknown as Win).rigDashboard.graph).length,
    );
    let state = await pageState(page);
    expect(state.banner).toBeNull();
    const routes = state.edges
      .filter(e => e.source === "svc:default/reviews" && e.kind === "route")
      .map(e => [e.target, e.label, e.weight]);
    expect(routes.sort()).toEqual([
      ["wl:default/reviews-v1", "80%", 80],
      ["wl:default/reviews-v2", "20%", 20],
    ]);
    // The workloads, with versions, in their namespace.
    expect(
      state.nodes.filter(n => n.kind === "workload").map(n => `${n.label} ${n.version}`),
    ).toEqual([
      "details-v1 v1",
      "productpage-v1 v1",
      "ratings-v1 v1",
      "reviews-v1 v1",
      "reviews-v2 v2",
      "reviews-v3 v3",
    ]);
    const v2 = state.nodes.find(n => n.id === "wl:default/reviews-v2")!;
    expect(v2.proxies?.[0]?.nack).toMatch(/CDS: refused by the test/);
    // Who may call reviews: productpage, for GET.
    expect(
      state.edges.filter(e => e.kind === "allow").map(e => [e.source, e.target, e.label]),
    ).toContainEqual(["wl:default/productpage-v1", "wl:default/reviews-v1", "ALLOW GET"]);
    expect(state.locked["wl:default/reviews-v1"]).toBe(false);
    // rig analyze's finding, on the node of the object it names.
    expect(state.nodes.find(n => n.id === "svc:default/details")?.warnings).toEqual([
      expect.objectContaining({ code: "IST0101", origin: "VirtualService default/details" }),
    ]);

    // The details panel names the weighted edges of the reviews node.
    await clickNode(page, "svc:default/reviews");
    const details = await page.locator("#details").innerText();
    expect(details).toMatch(/route reviews → reviews-v1 80%/);
    expect(details).toMatch(/route reviews → reviews-v2 20%/);

    // STRICT mTLS for the namespace: the lock turns on without a reload.
    await page.evaluate(() => ((globalThis as unknown as Win).sameDocument = true));
    const updatesBefore = state.updates;
    applyOrFail(cluster, [
      {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: { name: "default", namespace: "default" },
        spec: { mtls: { mode: "STRICT" } },
      },
    ]);
    const appliedAt = Date.now();
    await page.waitForFunction(
      () =>
        (globalThis as unknown as Win).rigDashboard.cy
          .getElementById("wl:default/reviews-v1")
          .data("locked") === true,
      undefined,
      { timeout: 30_000 },
    );
    const lockedAfter = Date.now() - appliedAt;
    state = await pageState(page);
    expect(await page.evaluate(() => (globalThis as unknown as Win).sameDocument)).toBe(true);
    expect(state.updates).toBeGreaterThan(updatesBefore);
    for (const id of [
      "wl:default/reviews-v1",
      "wl:default/reviews-v2",
      "wl:default/productpage-v1",
    ])
      expect({ id, locked: state.locked[id] }).toEqual({ id, locked: true });
    // The screenshot shows a locked workload's panel: its mTLS per port and its proxies.
    await clickNode(page, "wl:default/reviews-v1");
    const screenshot = join(RESULTS, "dashboard.png");
    await page.screenshot({ path: screenshot });
    console.log(
      [
        `dashboard screenshot: ${screenshot}`,
        `dashboard page load: ${loaded} ms to the load event, ${drawn} ms to the drawn bookinfo graph`,
        `dashboard downloaded: ${bytes} bytes of files (${files.join(", ")}) + ${graphBytes} bytes of graph JSON over SSE`,
        `dashboard live update: lock on ${lockedAfter} ms after kubectl apply (refresh 1 s); one read of cluster + control plane (/api/graph) ${apiMs} ms`,
      ].join("\n"),
    );
    expect(problems).toEqual([]);
    await page.close();
  });

  it("says the control plane is down, and still shows the cluster's graph (rig dashboard itself)", async () => {
    const closed = await freePort(); // nothing listens there: the control plane is down
    const down = await runDashboard(cluster, `127.0.0.1:${closed}`);
    try {
      const url = down.url;
      const page = await browser.newPage({ viewport: { width: 1400, height: 860 } });
      await page.goto(url);
      await page.waitForSelector("#banner:not([hidden])", { timeout: 30_000 });
      const state = await pageState(page);
      expect(state.banner).toMatch(
        new RegExp(
          `Control plane unreachable \\(127\\.0\\.0\\.1:${closed}\\): cannot reach the control plane`,
        ),
      );
      expect(await page.locator("#source-control-plane").innerText()).toBe(
        "control plane: unreachable",
      );
      // The rest of what can be read: the cluster's services and routes, sync state unknown.
      expect(state.nodes.find(n => n.id === "svc:default/reviews")).toBeDefined();
      expect(
        state.edges
          .filter(e => e.kind === "route")
          .map(e => e.label)
          .sort(),
      ).toEqual(["20%", "80%"]);
      expect(new Set(state.nodes.filter(n => n.kind === "workload").map(n => n.sync))).toEqual(
        new Set(["UNKNOWN"]),
      );
      const screenshot = join(RESULTS, "dashboard-control-plane-down.png");
      await page.screenshot({ path: screenshot });
      console.log(`dashboard screenshot (control plane down): ${screenshot}`);
      // And the dashboard server itself gone (Ctrl-C, exit 0): the page keeps its graph and says so.
      expect(await down.stop()).toBe(0);
      await page.waitForFunction(
        () =>
          /Cannot reach the rig dashboard server.*The graph shown is from/.test(
            (globalThis as unknown as Win).document.getElementById("banner").textContent ?? "",
          ),
        undefined,
        { timeout: 15_000 },
      );
      expect((await pageState(page)).nodes.length).toBe(state.nodes.length);
      await page.close();
    } finally {
      expect(await down.stop()).toBe(0);
    }
  });
});
