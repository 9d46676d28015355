import { MalformedInputError } from '../errors/index.js';
import { fromHex } from './bytes.js';
import { decodeFrame } from './parse.js';

/**
 * Bytes of an output frame that a comparison with the kernel leaves out because they differ on
 * every kernel run: a SYN cookie (made with keys the kernel draws at random per boot), a value
 * of the kernel's clock. Each mask names one field of one case, so everything else is still
 * compared byte for byte.
 */
export interface ByteMask {
  /** First byte, counted from the start of the output (dataOut). */
  offset: number;
  length: number;
  /** What the bytes hold and why they differ between runs (shown in the test's documentation). */
  why: string;
  /**
   * The bytes are a checksum over masked bytes. They are not compared, but the frame's checksums
   * (IPv4 header, TCP/UDP/ICMP) must still be right on both sides: a wrong one is reported.
   */
  checksum?: boolean;
  /**
   * Which bits of each masked byte are left out (default 0xff, all of them); the others are still
   * compared. For fields that mix a run-dependent value with fixed bits, like a TCP timestamp
   * whose low 6 bits carry a SYN cookie's options.
   */
  bits?: number;
}

/** Throw a MalformedInputError (naming `where`) unless every mask is well-formed. */
export function checkByteMasks(masks: readonly ByteMask[], where: string): void {
  for (const m of masks) {
    if (!Number.isInteger(m.offset) || m.offset < 0 || !Number.isInteger(m.length) || m.length < 1 || typeof m.why !== 'string' || m.why.trim() === '') {
      throw new MalformedInputError(where, `byte mask ${JSON.stringify(m)}: needs an integer offset >= 0, a length >= 1 and a reason (why)`);
    }
    if (m.bits !== undefined && (!Number.isInteger(m.bits) || m.bits < 1 || m.bits > 0xff)) {
      throw new MalformedInputError(where, `byte mask ${JSON.stringify(m)}: bits must be a byte mask from 1 to 255`);
    }
  }
}

/**
 * The frame (as hex) with every wholly masked byte shown as `..`, and a partly masked one (`bits`)
 * as the hex of the bits still compared (the others cleared), for comparing and for messages.
 */
export function maskHex(hex: string, masks: readonly ByteMask[]): string {
  if (masks.length === 0) return hex;
  const bytes = hex.match(/../g) ?? [];
  for (const m of masks) {
    const bits = m.bits ?? 0xff;
    for (let i = m.offset; i < m.offset + m.length && i < bytes.length; i++) {
      if (bits === 0xff) bytes[i] = '..';
      else if (bytes[i] !== '..') bytes[i] = (parseInt(bytes[i], 16) & ~bits & 0xff).toString(16).padStart(2, '0');
    }
  }
  return bytes.join('');
}

/** The wrong checksums in a frame (hex), when one of the masks hides a checksum; else []. */
export function maskedChecksumProblems(hex: string, masks: readonly ByteMask[]): string[] {
  if (!masks.some((m) => m.checksum)) return [];
  return decodeFrame(fromHex(hex)).problems.filter((p) => p.includes('checksum'));
}
