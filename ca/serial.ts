import forge from "node-forge";
import type { RandomBytes } from "./deps";
import { toForgeBytes } from "./bytes";

/**
 * Certificate serial numbers: 128 random bits, as Istio's `genSerialNum` (istio/istio
 * `security/pkg/pki/util/generate_cert.go`), well above the 64 bits of entropy the CA/Browser
 * Forum requires. RFC 5280 §4.1.2.2 wants a positive integer of at most 20 octets: when the
 * top bit is set a 0x00 octet keeps the DER INTEGER positive (17 octets), and an all-zero draw
 * — zero is not positive — becomes 1.
 */

/** Bits of randomness in every serial. */
export const SERIAL_BITS = 128;

/** A fresh serial as the hex string node-forge expects for `cert.serialNumber`. */
export function randomSerial(randomBytes: RandomBytes): string {
  const bytes = Uint8Array.from(randomBytes(SERIAL_BITS / 8));
  if (bytes.length !== SERIAL_BITS / 8) {
    throw new Error(`randomBytes(${SERIAL_BITS / 8}) returned ${bytes.length} bytes`);
  }
  if (bytes.every(b => b === 0)) bytes[bytes.length - 1] = 1;
  const hex = forge.util.bytesToHex(toForgeBytes(bytes));
  return (bytes[0]! & 0x80) !== 0 ? `00${hex}` : hex;
}
