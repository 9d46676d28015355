import { maskedChecksumProblems, maskHex, type ByteMask } from '../../src/index.js';
import type { CaseResult, MapDump, ObjectGolden, ProgramGolden } from './golden.js';
import { errorHeadline } from './golden.js';

/** How one packet compared. */
export interface PacketVerdict {
  packet: string;
  match: boolean;
  /** Short, readable differences (empty when they match). */
  diff: string[];
}

/** How one program compared. */
export interface ProgramVerdict {
  object: string;
  project: string;
  program: string;
  /** `kernel-refuses`: the kernel did not load it (not counted against xdpchain). */
  status: 'loaded' | 'never-loaded' | 'kernel-refuses' | 'no-golden';
  /** First line of xdpchain's (or for kernel-refuses the kernel's) load error. */
  error?: string;
  errno?: string;
  packets: PacketVerdict[];
}

function short(hex: string | undefined, at = 0): string {
  if (hex === undefined) return '(none)';
  const from = Math.max(0, at - 4) * 2;
  const text = hex.slice(from, from + 32);
  return `${from > 0 ? '…' : ''}${text}${hex.length > from + 32 ? '…' : ''}`;
}

function firstDifference(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return Math.floor(i / 2);
}

function entryText(e: MapDump[number] | undefined): string {
  if (!e) return '(absent)';
  return e.values ? `[${e.values.map((v) => short(v)).join(', ')}]` : short(e.value);
}

/** What the comparison leaves out: whole maps, single entries by map, output bytes by packet. */
export interface Ignored {
  maps: ReadonlySet<string>;
  keys?: Readonly<Record<string, readonly string[]>>;
  bytes?: Readonly<Record<string, readonly ByteMask[]>>;
}

function diffMaps(expected: Record<string, MapDump>, actual: Record<string, MapDump>, ignored: Ignored): string[] {
  const out: string[] = [];
  for (const name of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    if (ignored.maps.has(name)) continue;
    const skipKeys = new Set(ignored.keys?.[name] ?? []);
    const e = expected[name];
    const a = actual[name];
    if (!e || !a) {
      out.push(`map ${name}: ${e ? 'not dumped by xdpchain' : 'not dumped by the kernel'}`);
      continue;
    }
    const ek = new Map(e.map((x) => [x.key, x]));
    const ak = new Map(a.map((x) => [x.key, x]));
    for (const key of new Set([...ek.keys(), ...ak.keys()])) {
      if (skipKeys.has(key)) continue;
      const x = ek.get(key);
      const y = ak.get(key);
      if (JSON.stringify(x) === JSON.stringify(y)) continue;
      out.push(`map ${name}[${short(key)}]: kernel ${entryText(x)}, xdpchain ${entryText(y)}`);
    }
  }
  return out;
}

/** The differences between the kernel's result and xdpchain's for one packet (`masks`: its ignoreBytes). */
export function diffCase(expected: CaseResult, actual: CaseResult, ignored: Ignored, masks: readonly ByteMask[] = []): string[] {
  if (!('retval' in expected) || !('retval' in actual)) {
    const e = JSON.stringify(expected);
    const a = JSON.stringify(actual);
    return e === a ? [] : [`kernel ${e.slice(0, 200)}, xdpchain ${a.slice(0, 300)}`];
  }
  const out: string[] = [];
  if (expected.retval !== actual.retval) out.push(`retval: kernel ${expected.retval}, xdpchain ${actual.retval}`);
  const kernelOut = maskHex(expected.dataOut, masks);
  const mine = maskHex(actual.dataOut, masks);
  if (kernelOut !== mine) {
    const at = firstDifference(kernelOut, mine);
    out.push(
      `data_out: ${kernelOut.length / 2} vs ${mine.length / 2} bytes, first difference at byte ${at}: kernel ${short(kernelOut, at)}, xdpchain ${short(mine, at)}`,
    );
  }
  for (const p of maskedChecksumProblems(actual.dataOut, masks)) out.push(`data_out: ${p} on xdpchain (masked, but must be right)`);
  for (const p of maskedChecksumProblems(expected.dataOut, masks)) out.push(`data_out: ${p} on the kernel (masked, but must be right)`);
  if (JSON.stringify(expected.ctxOut) !== JSON.stringify(actual.ctxOut))
    out.push(`ctx_out: kernel ${JSON.stringify(expected.ctxOut)}, xdpchain ${JSON.stringify(actual.ctxOut)}`);
  return [...out, ...diffMaps(expected.maps, actual.maps, ignored)];
}

/** Compare one program's xdpchain answers with the golden ones. */
export function compareProgram(
  golden: ObjectGolden | undefined,
  project: string,
  objectId: string,
  program: string,
  actual: () => ProgramGolden,
  ignored: Ignored,
): ProgramVerdict {
  const base = { object: objectId, project, program };
  const expected = golden?.programs[program];
  if (!expected) return { ...base, status: 'no-golden', packets: [] };
  if (!('ok' in expected.load))
    return { ...base, status: 'kernel-refuses', errno: expected.load.loadError, error: errorHeadline(expected.load.message), packets: [] };
  const got = actual();
  if (!('ok' in got.load)) return { ...base, status: 'never-loaded', errno: got.load.loadError, error: errorHeadline(got.load.message), packets: [] };
  const packets = expected.cases.map((c): PacketVerdict => {
    const mine = got.cases.find((x) => x.packet === c.packet);
    const diff = mine ? diffCase(c.result, mine.result, ignored, ignored.bytes?.[c.packet]) : ['not run by xdpchain'];
    return { packet: c.packet, match: diff.length === 0, diff };
  });
  return { ...base, status: 'loaded', packets };
}
