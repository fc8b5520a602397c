import * as grpc from "@grpc/grpc-js";
import { requireServiceAccountToken } from "../../control-plane/ads-auth";
import type { SecretAccessAuthorizer } from "../../control-plane/secret-access";
import { fail, ok } from "../../mesh/result";
import {
  AUTHENTICATED_NAMESPACE_KEY,
  AUTHENTICATED_SERVICE_ACCOUNT_KEY,
  CALLER_METADATA_KEYS,
  SECRET_ACCESS_KEY,
} from "../../xds/server/caller";
import { recordingLogger } from "./fakes";

/**
 * The TLS port's interceptor on a loopback gRPC server whose one method echoes the caller keys it
 * received: the token is checked, then the secret access answer is recorded next to the
 * namespace, and nothing a client sends under those keys survives.
 */

const raw = (b: Buffer): Buffer => b;
const WHO = "/rigging.test.Who/Who";

const authenticate = async (token: string) =>
  token.startsWith("sa:")
    ? ok({ namespace: "istio-system", serviceAccount: token.slice(3) })
    : fail("token is expired");

let server: grpc.Server;
let client: grpc.Client;
const asked: string[] = [];
const logger = recordingLogger();

// Only ServiceAccount "reader" may list Secrets; "broken" makes the authorizer itself throw.
const authorizeSecrets: SecretAccessAuthorizer = async who => {
  asked.push(`${who.namespace}/${who.serviceAccount}`);
  if (who.serviceAccount === "broken") throw new Error("authorizer bug");
  return { allowed: who.serviceAccount === "reader", reason: "test" };
};

beforeAll(async () => {
  server = new grpc.Server({
    interceptors: [requireServiceAccountToken(authenticate, authorizeSecrets, logger)],
  });
  server.addService(
    {
      Who: {
        path: WHO,
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
    },
    {
      Who: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => {
        const seen = Object.fromEntries(
          CALLER_METADATA_KEYS.map(k => [k, call.metadata.get(k).map(String)]),
        );
        done(null, Buffer.from(JSON.stringify(seen)));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(() => {
  client?.close();
  server?.forceShutdown();
});

function who(token: string | undefined, forged: Record<string, string> = {}) {
  const md = new grpc.Metadata();
  if (token !== undefined) md.set("authorization", `Bearer ${token}`);
  for (const [k, v] of Object.entries(forged)) md.set(k, v);
  return new Promise<{ code: grpc.status; seen?: Record<string, string[]> }>(resolve =>
    client.makeUnaryRequest(WHO, raw, raw, Buffer.alloc(0), md, (err, res) =>
      resolve(
        err
          ? { code: err.code }
          : { code: grpc.status.OK, seen: JSON.parse(res!.toString()) as Record<string, string[]> },
      ),
    ),
  );
}

describe("requireServiceAccountToken", () => {
  it.each([
    ["reader", "allowed"],
    ["ingress", "denied"],
    // A broken authorizer withholds Secrets; it does not refuse the stream.
    ["broken", "denied"],
  ])("records ServiceAccount %s's secret access as %s", async (sa, access) => {
    expect(await who(`sa:${sa}`)).toEqual({
      code: grpc.status.OK,
      seen: {
        [AUTHENTICATED_NAMESPACE_KEY]: ["istio-system"],
        [AUTHENTICATED_SERVICE_ACCOUNT_KEY]: [sa],
        [SECRET_ACCESS_KEY]: [access],
      },
    });
    expect(asked).toContain(`istio-system/${sa}`);
  });

  it("replaces whatever the client claims under the caller keys", async () => {
    const forged = {
      [AUTHENTICATED_NAMESPACE_KEY]: "shop",
      [AUTHENTICATED_SERVICE_ACCOUNT_KEY]: "reader",
      [SECRET_ACCESS_KEY]: "allowed",
    };
    expect((await who("sa:ingress", forged)).seen).toEqual({
      [AUTHENTICATED_NAMESPACE_KEY]: ["istio-system"],
      [AUTHENTICATED_SERVICE_ACCOUNT_KEY]: ["ingress"],
      [SECRET_ACCESS_KEY]: ["denied"],
    });
  });

  it("refuses a bad or missing token without asking about Secrets", async () => {
    const before = asked.length;
    expect(await who("expired", { [SECRET_ACCESS_KEY]: "allowed" })).toEqual({
      code: grpc.status.UNAUTHENTICATED,
    });
    expect(await who(undefined, { [SECRET_ACCESS_KEY]: "allowed" })).toEqual({
      code: grpc.status.UNAUTHENTICATED,
    });
    expect(asked).toHaveLength(before);
  });
});
