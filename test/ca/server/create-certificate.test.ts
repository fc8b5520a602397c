import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status,
  type Client,
  type GrpcObject,
  type ServiceClientConstructor,
  type ServiceError,
} from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";
import forge from "node-forge";
import type { Authority } from "../../../ca/authority";
import { issueServingCertificate } from "../../../ca/issue";
import { createSelfSignedRoot } from "../../../ca/self-signed-root";
import { bearerToken, type CertificateServiceOptions } from "../../../ca/server/create-certificate";
import { nodeKeyGenerator, nodeSigner, systemRandomBytes } from "../../../ca/server/node-crypto";
import { startCertificateServer, type RunningCertificateServer } from "../../../ca/server/serve";
import { fail, ok } from "../../../mesh/result";
import { makeCsr, opensslVerify, rsaKeyPair, scratchDir, writeFiles } from "../fixtures";

/**
 * The CSR service over real TLS on loopback, called by a real grpc-js client whose stubs come
 * from a separately written copy of Istio's ca.proto — so a wrong field number on the server
 * side would show here.
 */

const ISTIO_CA_PROTO = `syntax = "proto3";
package istio.v1.auth;
import "google/protobuf/struct.proto";
message IstioCertificateRequest { string csr = 1; int64 validity_duration = 3; google.protobuf.Struct metadata = 4; }
message IstioCertificateResponse { repeated string cert_chain = 1; Roots root_cert = 2; }
message Roots { repeated string ca_cert = 1; }
service IstioCertificateService { rpc CreateCertificate(IstioCertificateRequest) returns (IstioCertificateResponse) {} }
`;

const SERVER_NAME = "istiod.istio-system.svc";
const now = () => new Date();
const tokens: Record<string, { namespace: string; serviceAccount: string }> = {
  "token-a-x": { namespace: "a", serviceAccount: "x" },
};

let authority: Authority | undefined;
let server: RunningCertificateServer;
let Service: ServiceClientConstructor;
let rootPem: string;
const tmp = scratchDir();
const workload = rsaKeyPair();
const goodCsr = makeCsr(workload.privateKeyPem, [{ uri: "spiffe://cluster.local/ns/a/sa/x" }]);

beforeAll(async () => {
  const root = createSelfSignedRoot({
    key: nodeKeyGenerator(),
    now,
    randomBytes: systemRandomBytes,
    signerFor: nodeSigner,
  });
  if (!root.ok) throw new Error(root.errors.join());
  authority = root.value.authority;
  rootPem = authority.rootPem;
  const serverKey = rsaKeyPair();
  const serving = issueServingCertificate(
    authority,
    { publicKeyPem: serverKey.publicKeyPem, dnsNames: [SERVER_NAME], ttlSeconds: 3600 },
    { now, randomBytes: systemRandomBytes },
  );
  if (!serving.ok) throw new Error(serving.errors.join());

  const options: CertificateServiceOptions = {
    authority: () => authority,
    authenticate: async token => {
      if (token === "unreachable") throw new Error("TokenReview: connection refused");
      const who = tokens[token];
      return who ? ok(who) : fail("token is expired or not for audience istio-ca");
    },
    trustDomain: () => "cluster.local",
    policy: { defaultTtlSeconds: 3600, maxTtlSeconds: 86400 },
    deps: { now, randomBytes: systemRandomBytes },
  };
  server = await startCertificateServer({
    ...options,
    host: "127.0.0.1",
    port: 0,
    tls: { certChainPem: serving.value.certChain.join(""), privateKeyPem: serverKey.privateKeyPem },
  });

  writeFiles(tmp.dir, { "ca.proto": ISTIO_CA_PROTO });
  const pkg = loadPackageDefinition(
    loadSync(tmp.path("ca.proto"), { keepCase: true, longs: String }),
  );
  Service = (((pkg.istio as GrpcObject).v1 as GrpcObject).auth as GrpcObject)
    .IstioCertificateService as ServiceClientConstructor;
});

afterAll(async () => {
  await server?.close();
  tmp.cleanup();
});

function client(trustedRootPem = rootPem): Client {
  return new Service(
    `127.0.0.1:${server.port}`,
    credentials.createSsl(Buffer.from(trustedRootPem)),
    {
      "grpc.ssl_target_name_override": SERVER_NAME,
      "grpc.default_authority": SERVER_NAME,
    },
  );
}

interface Reply {
  error: ServiceError | null;
  chain: string[];
}

function call(
  request: Record<string, unknown>,
  auth: string | null = "Bearer token-a-x",
  c: Client = client(),
): Promise<Reply> {
  const md = new Metadata();
  if (auth !== null) md.set("authorization", auth);
  return new Promise(resolve => {
    (c as unknown as Record<string, (...a: unknown[]) => void>).CreateCertificate!(
      request,
      md,
      { deadline: Date.now() + 10_000 },
      (error: ServiceError | null, reply?: { cert_chain: string[] }) => {
        c.close();
        resolve({ error, chain: reply?.cert_chain ?? [] });
      },
    );
  });
}

describe("CreateCertificate over TLS", () => {
  it("issues ns/a sa/x its SPIFFE certificate, chained to the root", async () => {
    const { error, chain } = await call({ csr: goodCsr, validity_duration: 1800 });
    expect(error).toBeNull();
    expect(chain).toHaveLength(2);
    expect(chain[1]).toBe(rootPem);
    const leaf = forge.pki.certificateFromPem(chain[0]!);
    const san = leaf.getExtension("subjectAltName") as { altNames: unknown[] };
    expect(san.altNames).toEqual([{ type: 6, value: "spiffe://cluster.local/ns/a/sa/x" }]);
    const lifetime = leaf.validity.notAfter.getTime() - leaf.validity.notBefore.getTime();
    expect(lifetime).toBe((1800 + 120) * 1000);
    expect(
      opensslVerify({ root: chain[1]!, leaf: chain[0]! }, new Date(), "sslclient").status,
    ).toBe(0);
  });

  it("uses the default TTL when validity_duration is absent", async () => {
    const { error, chain } = await call({ csr: goodCsr });
    expect(error).toBeNull();
    const leaf = forge.pki.certificateFromPem(chain[0]!);
    expect(leaf.validity.notAfter.getTime() - leaf.validity.notBefore.getTime()).toBe(
      (3600 + 120) * 1000,
    );
  });

  const otherKey = rsaKeyPair();
  const ax = "Bearer token-a-x";
  it.each<[string, Record<string, unknown>, string | null, status, RegExp]>([
    [
      "no token",
      { csr: goodCsr },
      null,
      status.UNAUTHENTICATED,
      /expected metadata "authorization: Bearer/,
    ],
    [
      "a non-bearer credential",
      { csr: goodCsr },
      "Basic dXNlcg==",
      status.UNAUTHENTICATED,
      /authorization:/,
    ],
    [
      "an expired or wrong-audience token",
      { csr: goodCsr },
      "Bearer stale",
      status.UNAUTHENTICATED,
      /^authentication: token is expired or not for audience istio-ca$/,
    ],
    [
      "an authenticator that cannot reach TokenReview",
      { csr: goodCsr },
      "Bearer unreachable",
      status.UNAVAILABLE,
      /could not be checked; retry$/,
    ],
    [
      "a CSR for another ServiceAccount",
      { csr: makeCsr(otherKey.privateKeyPem, [{ uri: "spiffe://cluster.local/ns/a/sa/y" }]) },
      ax,
      status.INVALID_ARGUMENT,
      /^csr: asks for SAN URI:spiffe:\/\/cluster.local\/ns\/a\/sa\/y; only URI:spiffe:\/\/cluster.local\/ns\/a\/sa\/x/,
    ],
    [
      "a CSR with extra SANs",
      {
        csr: makeCsr(otherKey.privateKeyPem, [
          { uri: "spiffe://cluster.local/ns/a/sa/x" },
          { dns: "evil.example.com" },
        ]),
      },
      ax,
      status.INVALID_ARGUMENT,
      /asks for SAN DNS:evil\.example\.com/,
    ],
    [
      "a malformed CSR",
      { csr: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----" },
      ax,
      status.INVALID_ARGUMENT,
      /^csr: the certificate request could not be parsed/,
    ],
    [
      "a TTL over the maximum",
      { csr: goodCsr, validity_duration: 86401 },
      ax,
      status.INVALID_ARGUMENT,
      /^validity_duration: 86401s exceeds the maximum of 86400s$/,
    ],
    [
      "impersonation",
      {
        csr: goodCsr,
        metadata: {
          fields: { ImpersonatedIdentity: { stringValue: "spiffe://cluster.local/ns/b/sa/z" } },
        },
      },
      ax,
      status.UNAUTHENTICATED,
      /impersonation is not supported/,
    ],
  ])("refuses %s with its status and reason", async (_name, request, auth, code, message) => {
    const { error, chain } = await call(request, auth);
    expect(chain).toEqual([]);
    expect(error?.code).toBe(code);
    expect(error?.details).toMatch(message);
    expect(error?.details).not.toMatch(/-----BEGIN|MII[A-Za-z0-9+/]{8}/);
  });

  it("answers UNAVAILABLE while no authority is loaded, and recovers when one is", async () => {
    const saved = authority;
    authority = undefined;
    const down = await call({ csr: goodCsr });
    authority = saved;
    expect(down.error?.code).toBe(status.UNAVAILABLE);
    expect((await call({ csr: goodCsr })).error).toBeNull();
  });

  it("is unreachable to a client that does not trust the mesh root", async () => {
    const stranger = createSelfSignedRoot({
      key: nodeKeyGenerator(),
      now,
      randomBytes: systemRandomBytes,
      signerFor: nodeSigner,
    });
    if (!stranger.ok) throw new Error();
    const { error } = await call(
      { csr: goodCsr },
      "Bearer token-a-x",
      client(stranger.value.authority.rootPem),
    );
    expect(error?.code).toBe(status.UNAVAILABLE);
  });
});

describe("bearer token extraction", () => {
  it.each<[string[], string | undefined]>([
    [["Bearer abc.def"], "abc.def"],
    [["bearer abc"], "abc"],
    [["Basic x", "Bearer y"], "y"],
    [["Bearer"], undefined],
    [["Bearer a b"], undefined],
    [[], undefined],
  ])("%j → %s", (values, token) => {
    expect(bearerToken(values)).toBe(token);
  });
});
