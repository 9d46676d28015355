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
}

/** Throw a MalformedInputError (naming `where`) unless every mask is well-formed. */
export function checkByteMasks(masks: readonly ByteMask[], where: string): void {
  for (const m of masks) {
    if (!Number.isInteger(m.offset) || m.offset < 0 || !Number.isInteger(m.length) || m.length < 1 || typeof m.why !== 'string' || m.why.trim() === '') {
      throw new MalformedInputError(where, `byte mask ${JSON.stringify(m)}: needs an integer offset >= 0, a length >= 1 and a reason (why)`);
    }
  }
}

/** The frame (as hex) with every masked byte shown as `..`, for comparing and for messages. */
export function maskHex(hex: string, masks: readonly ByteMask[]): string {
  if (masks.length === 0) return hex;
  const chars = hex.split('');
  for (const m of masks) {
    for (let i = m.offset; i < m.offset + m.length && 2 * i + 1 < chars.length; i++) chars[2 * i] = chars[2 * i + 1] = '.';
  }
  return chars.join('');
}

/** The wrong checksums in a frame (hex), when one of the masks hides a checksum; else []. */
export function maskedChecksumProblems(hex: string, masks: readonly ByteMask[]): string[] {
  if (!masks.some((m) => m.checksum)) return [];
  return decodeFrame(fromHex(hex)).problems.filter((p) => p.includes('checksum'));
}
