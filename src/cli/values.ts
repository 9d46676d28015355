import { XdpchainError } from '../errors/index.js';
import { fromHex, parseIpv4, parseIpv6, parseMac } from '../packet/bytes.js';
import { parseXdpAction } from '../xdp/constants.js';

/**
 * Bytes for a map key or value: hex (`0a000001`, `0x0a 00 00 01`), or comma-separated typed
 * parts `u8:1`, `u16:1`, `u32:1`, `u64:1` (little-endian, as the CPU stores them), `be16:80`,
 * `be32:1`, `ipv4:10.0.0.1`, `ipv6:fd00::1`, `mac:02:00:00:00:00:01`.
 */
export function parseBytes(text: string, what: string): Uint8Array {
  if (!/[a-z]\w*:/i.test(text)) {
    try {
      return fromHex(text.replace(/^0x/i, '').replace(/\s0x/gi, ' '));
    } catch {
      throw new XdpchainError('EINVAL', `${what} "${text}" is neither hex nor typed parts like u32:5,ipv4:10.0.0.1`);
    }
  }
  const parts = text.split(',').map((p) => p.trim());
  const out: number[] = [];
  for (const p of parts) {
    const i = p.indexOf(':');
    const kind = p.slice(0, i).toLowerCase();
    const v = p.slice(i + 1);
    const int = (bytes: number, le: boolean): void => {
      if (!/^-?(0x[0-9a-f]+|\d+)$/i.test(v)) throw new XdpchainError('EINVAL', `${what}: "${v}" is not an integer`);
      let n = BigInt.asUintN(bytes * 8, BigInt(v));
      const b: number[] = [];
      for (let k = 0; k < bytes; k++) {
        b.push(Number(n & 0xffn));
        n >>= 8n;
      }
      out.push(...(le ? b : b.reverse()));
    };
    switch (kind) {
      case 'u8':
        int(1, true);
        break;
      case 'u16':
        int(2, true);
        break;
      case 'u32':
        int(4, true);
        break;
      case 'u64':
        int(8, true);
        break;
      case 'be16':
        int(2, false);
        break;
      case 'be32':
        int(4, false);
        break;
      case 'be64':
        int(8, false);
        break;
      case 'ipv4':
        out.push(...parseIpv4(v));
        break;
      case 'ipv6':
        out.push(...parseIpv6(v));
        break;
      case 'mac':
        out.push(...parseMac(v));
        break;
      default:
        throw new XdpchainError('EINVAL', `${what}: unknown part type "${kind}" (u8 u16 u32 u64 be16 be32 be64 ipv4 ipv6 mac)`);
    }
  }
  return Uint8Array.from(out);
}

/** Spellings of the chain-call wildcard; 4294967295 (~0 as u32) goes through as a number, which `chainSlot` knows. */
const WILDCARDS = new Set(['any', '*', '-1']);

/** A chain-call return code: a number, an action name (XDP_PASS, pass) or `any`/`*`/-1 for the wildcard. */
export function parseRetcode(text: string): number {
  if (WILDCARDS.has(text.toLowerCase())) return -1;
  const code = parseXdpAction(text);
  if (code === undefined)
    throw new XdpchainError('EINVAL', `"${text}" is not a return code: use 0..6, an action name like XDP_PASS, or the wildcard any (also *, -1, 4294967295)`);
  return code;
}
