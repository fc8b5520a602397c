/**
 * `rig proxy-status` and `rig proxy-config` end to end, without Kubernetes: a DiscoveryServer on
 * 127.0.0.1, two real grpc-js-xds clients (one made to NACK a route), and the real CLI run as a
 * child process against the server's port. Each `rig` process loads every command (about 5 s of
 * CPU), so only the main cases run as processes; the rest run the same commands in-process.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as grpcXds from "@grpc/grpc-js-xds";
import { CommanderError, type Command } from "commander";
import { Registry } from "prom-client";
import { proxyConfigCommand } from "../../cli/commands/proxy-config";
import { proxyStatusCommand } from "../../cli/commands/proxy-status";
import { createSnapshot, type SnapshotResult } from "../../xds/cache/snapshot";
import { SnapshotCache } from "../../xds/cache/snapshot-cache";
import { TypeUrl } from "../../xds/encode/type-urls";
import { DiscoveryServer } from "../../xds/server/discovery-server";
import { syncState } from "../../xds/server/proxy-status";
import { bootstrapOptions } from "../harness/xds-bootstrap";
import { callEcho, startEchoBackend } from "../harness/xds-echo";
import { clientListener, edsCluster, endpoints, weightedRoute } from "../harness/xds-resources";
import { until } from "../harness/poll";

jest.setTimeout(120_000);

const ROOT = join(__dirname, "..", "..");
const TARGET = "echo.default.svc.cluster.local:80";
const GOOD = "sidecar~127.0.0.1~good.default~default.svc.cluster.local";
const BAD = "sidecar~127.0.0.1~bad.default~default.svc.cluster.local";

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `rig <args>` with this Node, asynchronously (the server lives in this process). */
function rig(...args: string[]): Promise<Run> {
  return new Promise(resolve => {
    execFile(
      process.execPath,
      [join(ROOT, "bin", "rig.cjs"), ...args],
      { cwd: ROOT, timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** Runs one command in this process, capturing its output and exit code as `main()` sets it. */
async function inProcess(command: Command, ...args: string[]): Promise<Run> {
  let stdout = "";
  let stderr = "";
  const out = jest.spyOn(process.stdout, "write").mockImplementation(chunk => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, "write").mockImplementation(chunk => {
    stderr += String(chunk);
    return true;
  });
  process.exitCode = undefined;
  try {
    command.exitOverride().configureOutput({ writeErr: s => void (stderr += s) });
    await command.parseAsync(args, { from: "user" });
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } catch (e) {
    return { code: e instanceof CommanderError ? 2 : -1, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
    process.exitCode = undefined;
  }
}

describe("rig proxy-status / proxy-config against a live discovery server", () => {
  const cache = new SnapshotCache();
  const quiet = { warn: () => undefined, info: () => undefined, debug: () => undefined };
  let server: DiscoveryServer;
  let address: string;
  let backend: { port: number; stop: () => void };
  const clients: grpc.Client[] = [];

  const mesh = (weights: Record<string, number>): SnapshotResult =>
    createSnapshot([
      clientListener(TARGET, "echo-route"),
      weightedRoute("echo-route", TARGET, weights),
      edsCluster("echo-a"),
      edsCluster("echo-b"),
      endpoints("echo-a", [backend.port]),
      endpoints("echo-b", [backend.port]),
    ]);
  const publish = (node: string, result: SnapshotResult): void => {
    if (!result.ok) throw new Error(result.errors.join("\n"));
    cache.set(node, result.value);
  };
  const types = (node: string) => server.status.byNode(node)[0]?.types;

  beforeAll(async () => {
    grpcXds.register();
    server = new DiscoveryServer({ cache, registry: new Registry(), logger: quiet });
    address = `127.0.0.1:${await server.listen("127.0.0.1:0")}`;
    backend = await startEchoBackend("a");
    const port = Number(address.split(":")[1]);
    for (const node of [GOOD, BAD]) {
      publish(node, mesh({ "echo-a": 50, "echo-b": 50 }));
      const client = new grpc.Client(
        `xds:///${TARGET}`,
        grpc.credentials.createInsecure(),
        bootstrapOptions(port, node),
      );
      clients.push(client);
      expect(await callEcho(client)).toBe("a");
    }
    // Passes the encoder (the protos allow it) but grpc-js-xds rejects weights summing to 0.
    publish(BAD, mesh({ "echo-a": 0, "echo-b": 0 }));
    await until("NACK", () => syncState(types(BAD)?.get(TypeUrl.route)) === "NACKED", 10_000);
    await until(
      "good proxy synced",
      () => [...(types(GOOD)?.values() ?? [])].every(s => syncState(s) === "SYNCED"),
      10_000,
    );
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    backend?.stop();
    await server?.stop(100);
  });

  it("proxy-status shows every proxy, the NACK with its detail, and exits 1", async () => {
    const nack = types(BAD)!.get(TypeUrl.route)!.lastNack!;
    const all = await rig("proxy-status", "--xds-address", address);
    const status = (...args: string[]) =>
      inProcess(proxyStatusCommand(), ...args, "--xds-address", address);
    const json = await status("good.default", "-o", "json");
    const one = await status(BAD);
    const unknown = await status("nobody.default");
    const usage = await status("-o", "yaml");

    expect(all.stderr).toBe("");
    expect(all.code).toBe(1);
    const lines = all.stdout.trimEnd().split("\n");
    expect(lines[0]!.split(/\s{2,}/)).toEqual([
      "NAME",
      "CLUSTER",
      "CDS",
      "LDS",
      "EDS",
      "RDS",
      "SDS",
      "VERSION",
    ]);
    const row = (name: string) => lines.find(l => l.startsWith(`${name} `))?.split(/\s{2,}/);
    expect(row("bad.default")).toEqual([
      "bad.default",
      "test",
      "SYNCED",
      "SYNCED",
      "SYNCED",
      "ERROR",
      "NOT SENT",
      expect.stringMatching(/^gRPC Node/),
    ]);
    expect(row("good.default")).toEqual([
      "good.default",
      "test",
      "SYNCED",
      "SYNCED",
      "SYNCED",
      "SYNCED",
      "NOT SENT",
      expect.stringMatching(/^gRPC Node/),
    ]);
    expect(nack.errorDetail.message).toMatch(/weight/i);
    expect(lines).toContain(
      `bad.default  RDS  NACK of version ${nack.version} at ${new Date(nack.at).toISOString()}: ${nack.errorDetail.message}`,
    );

    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as {
      nodeId: string;
      types: Record<string, { state: string; version?: string; acked?: { version: string } }>;
    }[];
    expect(parsed.map(p => p.nodeId)).toEqual([GOOD]);
    const rds = types(GOOD)!.get(TypeUrl.route)!;
    expect(parsed[0]!.types.RDS).toMatchObject({
      state: "SYNCED",
      version: rds.lastSent!.version,
      acked: { version: rds.lastAck!.version },
    });

    expect(one.code).toBe(1);
    expect(one.stdout).toMatch(/^bad\.default\s/m);
    expect(one.stdout).not.toMatch(/^good\.default\s/m);

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/proxy nobody\.default is not connected to 127\.0\.0\.1:\d+/);
    expect(usage.code).toBe(2);
  });

  it("proxy-config shows one proxy's resources decoded, and exits 1 on a NACKed one", async () => {
    const routes = await rig("proxy-config", "bad.default", "routes", "--xds-address", address);
    const config = (...args: string[]) => inProcess(proxyConfigCommand(), ...args);
    const clusters = await config(GOOD, "clusters", "--xds-address", address);
    const json = await config("good.default", "--xds-address", address, "-o", "json");
    const unknown = await config("nobody.default", "--xds-address", address);
    const unreachable = await config(
      "good.default",
      "--xds-address",
      "127.0.0.1:1",
      "--timeout",
      "2",
    );
    const badKind = await config("good.default", "listenerz", "--xds-address", address);

    expect(routes.code).toBe(1);
    expect(routes.stdout).toMatch(/^echo-route\s+.*echo-a 0, echo-b 0\s+ERROR$/m);
    expect(routes.stderr).toMatch(
      /bad\.default rejected RDS echo-route \(version \w+ at .*\): .*weight/i,
    );

    expect(clusters.code).toBe(0);
    expect(clusters.stdout.split("\n").map(l => l.split(/\s{2,}/))).toEqual([
      ["SERVICE FQDN", "PORT", "SUBSET", "DIRECTION", "TYPE", "STATE"],
      ["echo-a", "-", "-", "-", "EDS", "SYNCED"],
      ["echo-b", "-", "-", "-", "EDS", "SYNCED"],
      [""],
    ]);

    expect(json.code).toBe(0);
    const dump = JSON.parse(json.stdout) as Record<
      string,
      { name: string; config: { "@type": string } }[]
    >;
    expect(dump.listeners!.map(l => l.name)).toEqual([TARGET]);
    expect(dump.routes![0]!.config["@type"]).toBe(TypeUrl.route);
    expect(dump.endpoints!.map(e => e.name)).toEqual(["echo-a", "echo-b"]);

    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/not connected/);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/cannot reach the control plane at 127\.0\.0\.1:1/);
    expect(badKind.code).toBe(2);
  });
});
