import forge from "node-forge";

/**
 * node-forge speaks "binary strings" (one char per byte); the rest of the project speaks
 * `Uint8Array`. These two helpers are the only place the two meet.
 */

/** A forge binary string from bytes. */
export function toForgeBytes(bytes: Uint8Array): string {
  return forge.util.binary.raw.encode(bytes);
}

/** Bytes from a forge binary string. */
export function fromForgeBytes(binary: string): Uint8Array {
  return forge.util.binary.raw.decode(binary);
}

/** SHA-256 of a forge binary string, as lowercase hex (used to compare certificates by DER). */
export function sha256Hex(binary: string): string {
  return forge.md.sha256.create().update(binary).digest().toHex();
}

/** SHA-1 of a forge binary string, as lowercase hex (node-forge's distinguished-name hash). */
export function sha1Hex(binary: string): string {
  return forge.md.sha1.create().update(binary).digest().toHex();
}
