/**
 * The CSDS client `rig proxy-status` and `rig proxy-config` share: one
 * `FetchClientStatus` call to the control plane's discovery port, plaintext by default (15010,
 * as `rig dev` serves it) or TLS with `--ca-file` (15012), with a deadline.
 */
import { readFileSync } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import { Command, Option } from "commander";
import {
  decodeStatusResponse,
  encodeStatusRequest,
  type ProxyReport,
  type StatusRequestOptions,
} from "../../xds/status/client-status";

const FETCH = "/envoy.service.status.v3.ClientStatusDiscoveryService/FetchClientStatus";
const raw = (b: Buffer): Buffer => b;

/** The connection flags of both commands. */
export interface XdsFlags {
  xdsAddress: string;
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  tlsServerName?: string;
  timeout: string;
}

/** Adds `--xds-address`, the TLS flags and `--timeout` to `command`. */
export function withXdsFlags(command: Command): Command {
  return command
    .addOption(
      new Option("--xds-address <host:port>", "the control plane's xDS/CSDS address").default(
        "127.0.0.1:15010",
      ),
    )
    .addOption(
      new Option("--ca-file <pem>", "use TLS, trusting this CA (e.g. the mesh root for :15012)"),
    )
    .addOption(new Option("--cert-file <pem>", "client certificate for mutual TLS"))
    .addOption(new Option("--key-file <pem>", "client key for mutual TLS"))
    .addOption(new Option("--tls-server-name <name>", "name to verify in the server certificate"))
    .addOption(new Option("--timeout <seconds>", "give up after this long").default("5"));
}

function credentials(flags: XdsFlags): grpc.ChannelCredentials {
  if (!flags.caFile) {
    if (flags.certFile || flags.keyFile)
      throw new UsageError("--cert-file and --key-file need --ca-file");
    return grpc.credentials.createInsecure();
  }
  if (!flags.certFile !== !flags.keyFile)
    throw new UsageError("--cert-file and --key-file go together");
  return grpc.credentials.createSsl(
    readFileSync(flags.caFile),
    flags.keyFile ? readFileSync(flags.keyFile) : null,
    flags.certFile ? readFileSync(flags.certFile) : null,
  );
}

/** A mistake on the command line (exit code 2). */
export class UsageError extends Error {}

/** Checks the flags that commander cannot (exit code 2 when wrong). */
export function timeoutMs(flags: XdsFlags): number {
  const seconds = Number(flags.timeout);
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new UsageError(`--timeout ${flags.timeout}: must be a positive number of seconds`);
  return seconds * 1000;
}

/** Fetches the status of every connected proxy (or of one node id) from the control plane. */
export async function fetchProxyReports(
  flags: XdsFlags,
  request: StatusRequestOptions = {},
): Promise<ProxyReport[]> {
  const deadline = Date.now() + timeoutMs(flags);
  const options: grpc.ChannelOptions = flags.tlsServerName
    ? { "grpc.ssl_target_name_override": flags.tlsServerName }
    : {};
  const client = new grpc.Client(flags.xdsAddress, credentials(flags), options);
  try {
    const bytes = await new Promise<Buffer>((resolve, reject) =>
      client.makeUnaryRequest(
        FETCH,
        raw,
        raw,
        encodeStatusRequest(request),
        { deadline },
        (err: grpc.ServiceError | null, value?: Buffer) =>
          err ? reject(new Error(describe(flags.xdsAddress, err))) : resolve(value!),
      ),
    );
    return decodeStatusResponse(bytes);
  } finally {
    client.close();
  }
}

function describe(address: string, err: grpc.ServiceError): string {
  if (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.DEADLINE_EXCEEDED)
    return `cannot reach the control plane at ${address} (${err.details || grpc.status[err.code]}); is \`rig dev\` running, or is --xds-address right?`;
  if (err.code === grpc.status.UNIMPLEMENTED)
    return `${address} does not serve CSDS (envoy.service.status.v3.ClientStatusDiscoveryService)`;
  return `CSDS request to ${address} failed: ${err.details || grpc.status[err.code]}`;
}
