/**
 * The printf dialect bpf_trace_printk accepts (kernel bpf_bprintf_prepare): flags `0 + - space`,
 * a width, length `l`/`ll`, conversions d i u x X c s, and p with the K x B i4 I4 i6 I6 ks us
 * extensions; `%%`. No precision, no `#`. At most three arguments.
 * formatPrintf returns the text, or undefined when the kernel would refuse the format (-EINVAL).
 */
export interface PrintfArgs {
  /** Argument i's raw 64-bit value, as its low and high u32. */
  lo(i: number): number;
  hi(i: number): number;
  /** Read a NUL-terminated string at an address (for %s); undefined when unreadable. */
  readString(lo: number, hi: number): string | undefined;
  /** Read bytes at an address (for %pI4/%pI6); undefined when unreadable. */
  readBytes(lo: number, hi: number, length: number): Uint8Array | undefined;
}

const SPEC = /%([-+ 0]*)([1-9]\d*)?(?:(ll|l)?([diuxX])|([cs])|p(K|x|B|[iI][46]|[ku]s)?)/y;
export const MAX_TRACE_ARGS = 3;

type Conversion = 'd' | 'u' | 'x' | 'X' | 'c' | 's' | 'i4' | 'I4' | 'i6' | 'I6' | 'p';
interface Field {
  conv: Conversion;
  wide: boolean;
  left: boolean;
  zero: boolean;
  sign: '' | '+' | ' ';
  width: number;
}
/** A parsed format: literal text and fields, alternating (text first and last). */
interface Parsed {
  texts: string[];
  fields: Field[];
}

/** Programs print the same few formats on every packet: parse each once. */
const parsedFormats = new Map<string, Parsed | null>();
const MAX_CACHED_FORMATS = 1024;

function parse(fmt: string, maxArgs: number): Parsed | null {
  for (let i = 0; i < fmt.length; i++) {
    const c = fmt.charCodeAt(i);
    const printable = c >= 0x20 && c < 0x7f;
    const space = c === 0x09 || c === 0x0a || c === 0x0b || c === 0x0c || c === 0x0d;
    if (!printable && !space) return null;
  }
  const texts: string[] = [];
  const fields: Field[] = [];
  let text = '';
  let i = 0;
  while (i < fmt.length) {
    const pct = fmt.indexOf('%', i);
    if (pct < 0) {
      text += fmt.slice(i);
      break;
    }
    text += fmt.slice(i, pct);
    if (fmt[pct + 1] === '%') {
      text += '%';
      i = pct + 2;
      continue;
    }
    SPEC.lastIndex = pct;
    const m = SPEC.exec(fmt);
    if (!m || fields.length >= maxArgs) return null;
    i = SPEC.lastIndex;
    const [, flags, width, length, intConv, charConv, ptrExt] = m;
    let conv: Conversion;
    if (intConv) conv = intConv === 'i' ? 'd' : (intConv as Conversion);
    else if (charConv) conv = charConv as Conversion;
    else if (ptrExt === 'ks' || ptrExt === 'us') conv = 's';
    else if (ptrExt === 'i4' || ptrExt === 'I4' || ptrExt === 'i6' || ptrExt === 'I6') conv = ptrExt;
    else conv = 'p';
    texts.push(text);
    text = '';
    fields.push({
      conv,
      wide: length !== undefined,
      left: flags.includes('-'),
      zero: intConv !== undefined && flags.includes('0'),
      sign: flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '',
      width: width ? Number(width) : 0,
    });
  }
  texts.push(text);
  return { texts, fields };
}

const big = (lo: number, hi: number): bigint => (BigInt(hi) << 32n) | BigInt(lo);
const hex8 = (v: number): string => v.toString(16).padStart(8, '0');

/** A number conversion's text: plain numbers where the value fits, BigInt past 2^53. */
function integer(f: Field, lo: number, hi: number): string {
  const wideHi = f.wide ? hi : 0;
  if (f.conv === 'd') {
    let t: string;
    if (!f.wide) t = String(lo | 0);
    else if (hi === 0 || (hi === 0xffffffff && lo !== 0)) t = String(hi === 0 ? lo : lo - 2 ** 32);
    else t = BigInt.asIntN(64, big(lo, hi)).toString();
    return t.charCodeAt(0) === 0x2d ? t : f.sign + t;
  }
  const radix = f.conv === 'u' ? 10 : 16;
  let t: string;
  if (wideHi === 0) t = lo.toString(radix);
  else if (radix === 16) t = wideHi.toString(16) + hex8(lo);
  else t = big(lo, wideHi).toString();
  return f.conv === 'X' ? t.toUpperCase() : t;
}

export function formatPrintf(fmt: string, args: PrintfArgs, maxArgs = MAX_TRACE_ARGS): string | undefined {
  const key = maxArgs === MAX_TRACE_ARGS ? fmt : `${maxArgs}:${fmt}`;
  let parsed = parsedFormats.get(key);
  if (parsed === undefined) {
    if (parsedFormats.size >= MAX_CACHED_FORMATS) parsedFormats.clear();
    parsed = parse(fmt, maxArgs);
    parsedFormats.set(key, parsed);
  }
  if (parsed === null) return undefined;
  const { texts, fields } = parsed;
  let out = texts[0];
  for (let n = 0; n < fields.length; n++) {
    const f = fields[n];
    const lo = args.lo(n) >>> 0;
    const hi = args.hi(n) >>> 0;
    let text: string;
    switch (f.conv) {
      case 'c':
        text = String.fromCharCode(lo & 0xff);
        break;
      case 's':
        text = args.readString(lo, hi) ?? '(efault)';
        break;
      case 'i4':
      case 'I4': {
        const b = args.readBytes(lo, hi, 4);
        if (!b) return undefined;
        const part = (x: number): string => (f.conv === 'i4' ? String(x).padStart(3, '0') : String(x));
        text = `${part(b[0])}.${part(b[1])}.${part(b[2])}.${part(b[3])}`;
        break;
      }
      case 'i6':
      case 'I6': {
        const b = args.readBytes(lo, hi, 16);
        if (!b) return undefined;
        const groups = Array.from({ length: 8 }, (_, g) => ((b[2 * g] << 8) | b[2 * g + 1]).toString(16).padStart(4, '0'));
        text = groups.join(f.conv === 'I6' ? ':' : '');
        break;
      }
      case 'p':
        // Plain %p is hashed by the kernel; print the raw address as %px does.
        text = hex8(hi) + hex8(lo);
        break;
      default:
        text = integer(f, lo, hi);
    }
    if (text.length < f.width) {
      if (f.left) text = text.padEnd(f.width);
      else if (f.zero) {
        const c = text.charCodeAt(0);
        const sign = c === 0x2d || c === 0x2b || c === 0x20 ? text[0] : '';
        text = sign + text.slice(sign.length).padStart(f.width - sign.length, '0');
      } else text = text.padStart(f.width);
    }
    out += text + texts[n + 1];
  }
  return out;
}
