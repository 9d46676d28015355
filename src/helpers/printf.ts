/**
 * The printf dialect bpf_trace_printk accepts (kernel bpf_bprintf_prepare): flags `0 + - space`,
 * a width, length `l`/`ll`, conversions d i u x X c s, and p with the K x B i4 I4 i6 I6 ks us
 * extensions; `%%`. No precision, no `#`. At most three arguments.
 * Returns the text, or undefined when the kernel would refuse the format (-EINVAL).
 */
export interface PrintfArgs {
  /** Raw 64-bit argument values. */
  values: readonly bigint[];
  /** Read a NUL-terminated string at an address (for %s); undefined when unreadable. */
  readString(addr: bigint): string | undefined;
  /** Read bytes at an address (for %pI4/%pI6); undefined when unreadable. */
  readBytes(addr: bigint, length: number): Uint8Array | undefined;
}

const SPEC = /%([-+ 0]*)([1-9]\d*)?(?:(ll|l)?([diuxX])|([cs])|p(K|x|B|[iI][46]|[ku]s)?)/y;
export const MAX_TRACE_ARGS = 3;

export function formatPrintf(fmt: string, args: PrintfArgs, maxArgs = MAX_TRACE_ARGS): string | undefined {
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt.charCodeAt(i);
    const printable = c >= 0x20 && c < 0x7f;
    const space = c === 0x09 || c === 0x0a || c === 0x0b || c === 0x0c || c === 0x0d;
    if (!printable && !space) return undefined;
  }
  let out = '';
  let next = 0;
  let i = 0;
  while (i < fmt.length) {
    const pct = fmt.indexOf('%', i);
    if (pct < 0) {
      out += fmt.slice(i);
      break;
    }
    out += fmt.slice(i, pct);
    if (fmt[pct + 1] === '%') {
      out += '%';
      i = pct + 2;
      continue;
    }
    SPEC.lastIndex = pct;
    const m = SPEC.exec(fmt);
    if (!m || next >= maxArgs) return undefined;
    i = SPEC.lastIndex;
    const [, flags, width, length, intConv, charConv, ptrExt] = m;
    const raw = args.values[next++] ?? 0n;
    let text: string;
    let numeric = false;
    if (intConv) {
      numeric = true;
      const bits = length ? 64 : 32;
      if (intConv === 'd' || intConv === 'i') {
        text = BigInt.asIntN(bits, raw).toString();
        if (!text.startsWith('-') && flags.includes('+')) text = `+${text}`;
        else if (!text.startsWith('-') && flags.includes(' ')) text = ` ${text}`;
      } else if (intConv === 'u') text = BigInt.asUintN(bits, raw).toString();
      else {
        text = BigInt.asUintN(bits, raw).toString(16);
        if (intConv === 'X') text = text.toUpperCase();
      }
    } else if (charConv === 'c') {
      text = String.fromCharCode(Number(raw & 0xffn));
    } else if (charConv === 's') {
      text = args.readString(raw) ?? '(efault)';
    } else if (ptrExt === 'i4' || ptrExt === 'I4') {
      const b = args.readBytes(raw, 4);
      if (!b) return undefined;
      text = [...b].map((x) => (ptrExt === 'i4' ? String(x).padStart(3, '0') : String(x))).join('.');
    } else if (ptrExt === 'i6' || ptrExt === 'I6') {
      const b = args.readBytes(raw, 16);
      if (!b) return undefined;
      const groups = Array.from({ length: 8 }, (_, g) => ((b[2 * g] << 8) | b[2 * g + 1]).toString(16).padStart(4, '0'));
      text = groups.join(ptrExt === 'I6' ? ':' : '');
    } else if (ptrExt === 'ks' || ptrExt === 'us') {
      text = args.readString(raw) ?? '(efault)';
    } else {
      // Plain %p is hashed by the kernel; print the raw address as %px does.
      text = BigInt.asUintN(64, raw).toString(16).padStart(16, '0');
    }
    const w = width ? Number(width) : 0;
    if (text.length < w) {
      if (flags.includes('-')) text = text.padEnd(w);
      else if (numeric && flags.includes('0')) {
        const sign = /^[-+ ]/.test(text) ? text[0] : '';
        text = sign + text.slice(sign.length).padStart(w - sign.length, '0');
      } else text = text.padStart(w);
    }
    out += text;
  }
  return out;
}
