import { createPublicKey, verify } from "node:crypto";
import forge from "node-forge";
import { randomSerial } from "../../ca/serial";
import { nodeSigner } from "../../ca/server/node-crypto";
import { forgeKeyGenerator, forgeSigner } from "../../ca/sign";
import { rsaKeyPair, seededRandom } from "./fixtures";

describe("signers", () => {
  const { privateKeyPem, publicKeyPem } = rsaKeyPair();
  const data = new TextEncoder().encode("to be signed");

  it("node-forge and Node produce the same PKCS#1 v1.5 signature, which Node verifies", () => {
    const a = forgeSigner(privateKeyPem)(data);
    const b = nodeSigner(privateKeyPem)(data);
    expect(Buffer.from(a).toString("hex")).toBe(Buffer.from(b).toString("hex"));
    expect(verify("sha256", data, createPublicKey(publicKeyPem), a)).toBe(true);
    expect(
      verify("sha256", new TextEncoder().encode("other"), createPublicKey(publicKeyPem), a),
    ).toBe(false);
  });
});

describe("pure-JS key generation", () => {
  // 512 bits keeps this quick; the generator's size is a parameter.
  it("draws only on the injected randomness: same seed, same key", () => {
    const a = forgeKeyGenerator(seededRandom("k"), 512)();
    const b = forgeKeyGenerator(seededRandom("k"), 512)();
    const c = forgeKeyGenerator(seededRandom("other"), 512)();
    expect(a).toBe(b);
    expect(c).not.toBe(a);
    expect(forge.pki.privateKeyFromPem(a).n.bitLength()).toBe(512);
  });
});

describe("serial numbers", () => {
  it.each([
    ["low top bit", "0102030405060708090a0b0c0d0e0f10", "0102030405060708090a0b0c0d0e0f10"],
    [
      "high top bit gets a 00 octet to stay positive",
      "ff02030405060708090a0b0c0d0e0f10",
      "00ff02030405060708090a0b0c0d0e0f10",
    ],
    [
      "all zero becomes 1 (serials are positive)",
      "00000000000000000000000000000000",
      "00000000000000000000000000000001",
    ],
  ])("%s", (_name, drawn, serial) => {
    expect(randomSerial(() => Buffer.from(drawn, "hex"))).toBe(serial);
  });

  it("asks for exactly 16 bytes and refuses a short answer", () => {
    const random = seededRandom("s");
    randomSerial(random);
    expect(random.calls).toBe(1);
    expect(() => randomSerial(() => new Uint8Array(8))).toThrow(/returned 8 bytes/);
  });
});
