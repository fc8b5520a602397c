import { Command, InvalidArgumentError } from "commander";
import { nodeKeyGenerator, systemClock } from "../../ca/server/node-crypto";
import { runCertAgent, renewOnce, describe, type CertAgentOptions } from "../agent/cert-agent";
import { hostOf } from "../agent/request-certificate";
import { exitCodes, progressReporter } from "../output";

/** `rig agent`: what runs next to a workload; today `rig agent certs`. */
export function agentCommand(): Command {
  return new Command("agent")
    .description("Workload-side helpers of the mesh")
    .addCommand(agentCertsCommand());
}

interface CertsFlags {
  caAddress: string;
  tokenFile: string;
  rootCert: string;
  outDir: string;
  tlsServerName?: string;
  ttl: number;
  once?: boolean;
}

/** `rig agent certs`: workload certificate files for grpc-js-xds's `file_watcher` provider. */
export function agentCertsCommand(): Command {
  return new Command("certs")
    .description(
      "Obtain a workload certificate from the mesh CA (IstioCertificateService/CreateCertificate, " +
        "authenticated by a ServiceAccount token) and keep cert-chain.pem, key.pem and " +
        "root-cert.pem current in a folder, renewing at half-life; files are replaced atomically",
    )
    .option(
      "--ca-address <host:port>",
      "the CA's TLS address (env CA_ADDR)",
      process.env.CA_ADDR ?? "istiod.istio-system.svc:15012",
    )
    .option(
      "--token-file <path>",
      "ServiceAccount token for audience istio-ca, re-read at every renewal",
      "/var/run/secrets/tokens/istio-token",
    )
    .option(
      "--root-cert <path>",
      "PEM roots that verify the CA (the istio-ca-root-cert ConfigMap as mounted)",
      "/var/run/secrets/istio/root-cert.pem",
    )
    .option("--out-dir <dir>", "folder for the three files", "/var/lib/istio/data")
    .option(
      "--tls-server-name <name>",
      "name the CA's certificate must carry (default: the address's host; localhost for 127.0.0.1 and ::1)",
    )
    .option(
      "--ttl <seconds>",
      "requested certificate lifetime; 0 asks for the CA's default",
      seconds,
      0,
    )
    .option("--once", "obtain one certificate, write the files and exit (for scripts)")
    .action(async (flags: CertsFlags) => {
      const log = progressReporter();
      const options: CertAgentOptions = {
        ca: {
          address: flags.caAddress,
          serverName: flags.tlsServerName ?? serverName(flags.caAddress),
        },
        tokenFile: flags.tokenFile,
        rootCertFile: flags.rootCert,
        outDir: flags.outDir,
        ttlSeconds: flags.ttl,
        generateKey: nodeKeyGenerator(),
        now: systemClock,
        log,
      };
      if (flags.once) {
        try {
          await renewOnce(options);
        } catch (err) {
          process.stderr.write(`rig agent certs: ${describe(err)}\n`);
          process.exitCode = exitCodes.failure;
        }
        return;
      }
      const stop = new AbortController();
      process.once("SIGINT", () => stop.abort());
      process.once("SIGTERM", () => stop.abort());
      await runCertAgent(options, stop.signal);
    });
}

/**
 * The control plane's certificate names DNS names only (`ca/issue.ts` issues no IP SANs), and
 * `localhost` among them, so a loopback address is verified as `localhost`.
 */
function serverName(address: string): string {
  const host = hostOf(address);
  return host === "127.0.0.1" || host === "::1" ? "localhost" : host;
}

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError("must be a whole number of seconds ≥ 0");
  return n;
}
