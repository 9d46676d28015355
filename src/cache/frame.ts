import { createHash } from 'node:crypto';

/** "XDPC", then the frame format. */
const MAGIC = 0x43504458;
const FORMAT = 1;
const DIGEST_BYTES = 32;
const HEADER_BYTES = 12 + DIGEST_BYTES;

/**
 * A cache file's bytes: magic, format, the payload's length and SHA-256, the payload. A file cut
 * short by a crash, or changed on disk, fails the check on reading and counts as absent.
 */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, FORMAT, true);
  dv.setUint32(8, payload.length, true);
  out.set(createHash('sha256').update(payload).digest(), 12);
  out.set(payload, HEADER_BYTES);
  return out;
}

/** The payload of a framed file, or undefined when the bytes are not an intact frame. */
export function unframe(bytes: Uint8Array): Uint8Array | undefined {
  if (bytes.length < HEADER_BYTES) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC || dv.getUint32(4, true) !== FORMAT) return undefined;
  if (dv.getUint32(8, true) !== bytes.length - HEADER_BYTES) return undefined;
  const payload = bytes.subarray(HEADER_BYTES);
  const digest = createHash('sha256').update(payload).digest();
  for (let i = 0; i < DIGEST_BYTES; i++) if (digest[i] !== bytes[12 + i]) return undefined;
  return payload;
}
