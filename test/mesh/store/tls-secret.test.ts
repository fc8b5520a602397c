/**
 * Secrets in the store: only those with Istio's TLS keys are kept, and only as parsed PEM —
 * never the Secret object itself — so the cluster's other Secrets (tokens, Helm releases,
 * dockerconfigs) never reach the store and cost no push.
 */
import {
  applyEvent,
  createStore,
  getIn,
  storeOf,
  tlsSecretOf,
  type KubeSecret,
  type StoreObject,
} from "../../../mesh/store";
import { secret, selfSigned } from "../../xds/compile/tls-fixtures";

const PEM = selfSigned("example.com");
const CA = selfSigned("ca");
const TLS = secret(
  "cred",
  "istio-system",
  { "tls.crt": PEM.cert, "tls.key": PEM.key, "ca.crt": CA.cert },
  "kubernetes.io/tls",
);

describe("Secrets in the mesh store", () => {
  it.each<[string, StoreObject]>([
    ["an Opaque Secret with other keys", secret("db", "default", { password: "hunter2" })],
    [
      "a service-account token",
      secret(
        "sa-token",
        "default",
        { token: "eyJ...", namespace: "default" },
        "kubernetes.io/service-account-token",
      ),
    ],
    [
      "a dockerconfig",
      secret("pull", "default", { ".dockerconfigjson": "{}" }, "kubernetes.io/dockerconfigjson"),
    ],
    [
      "a Secret without data",
      { kind: "Secret", metadata: { name: "empty", namespace: "default" } } as StoreObject,
    ],
  ])("does not keep %s, and returns the same store (no push)", (_label, object) => {
    const store = createStore();
    const next = applyEvent(store, { type: "ADDED", object });
    expect(next).toBe(store);
    expect(next.tlsSecrets.size).toBe(0);
    expect(applyEvent(store, { type: "DELETED", object })).toBe(store);
  });

  it("keeps a TLS Secret as parsed PEM only, by namespace/name", () => {
    const store = storeOf([TLS]);
    expect(store.revision).toBe(1);
    const kept = getIn(store.tlsSecrets, "istio-system/cred");
    expect(kept).toEqual({
      namespace: "istio-system",
      name: "cred",
      keyPair: { ok: true, value: { certificateChain: PEM.cert, privateKey: PEM.key } },
      caCertificate: { ok: true, value: CA.cert },
    });
    // Nothing of the Secret object itself (its base64 data, other keys) is held.
    expect(JSON.stringify(kept)).not.toContain((TLS as KubeSecret).data!["tls.key"]);
  });

  it("drops a Secret that loses its TLS keys, and one that is deleted", () => {
    const store = storeOf([TLS]);
    const stripped = applyEvent(store, {
      type: "MODIFIED",
      object: secret("cred", "istio-system", { other: "x" }),
    });
    expect(stripped.tlsSecrets.size).toBe(0);
    expect(stripped.revision).toBe(2);
    expect(applyEvent(store, { type: "DELETED", object: TLS }).tlsSecrets.size).toBe(0);
  });

  it("keeps a malformed TLS Secret with its problem, so a gateway can say what is wrong", () => {
    const got = tlsSecretOf(
      secret("cred", "ns", { "tls.crt": "garbage", "tls.key": "" }) as KubeSecret,
    );
    expect(got?.keyPair).toEqual({
      ok: false,
      problem: "found keys tls.crt and tls.key, but one is empty",
    });
    expect(got?.caCertificate).toBeUndefined();
  });

  it("an encrypted private key is reported, not passed to Envoy (which has no passphrase)", () => {
    const encrypted =
      "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----";
    const got = tlsSecretOf(
      secret("cred", "ns", { "tls.crt": PEM.cert, "tls.key": encrypted }) as KubeSecret,
    );
    expect(got?.keyPair).toEqual({
      ok: false,
      problem: "tls.key holds no unencrypted PEM PRIVATE KEY",
    });
  });
});
