import type { Command } from 'commander';
import { readBtfFile } from '../elf/btf-file.js';
import type { Btf } from '../btf/types.js';
import { XdpchainError } from '../errors/index.js';
import type { Collection } from '../runtime/collection.js';
import { describe, type SkippedProgram } from '../runtime/select.js';
import type { CollectionSpec } from '../object-spec/collection-spec.js';
import { applyLoadEdits, globalSlot, globalVariables, type GlobalVariable, type LoadEdits } from '../object-spec/edit.js';
import { toHex } from '../packet/bytes.js';
import { parseXdpAction } from '../xdp/constants.js';
import { readObject } from './object.js';
import { parseBytes } from './values.js';

/** The options every verb that loads an object takes, as commander gives them. */
export interface LoadCliOptions {
  mapSize?: string[];
  set?: string[];
  type?: string;
  btf?: string;
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * Add --map-size and --set to a command that loads objects, and --btf unless it does not relocate
 * (static linking keeps CO-RE relocations for the final load).
 */
export function addLoadOptions(cmd: Command, { btf = true }: { btf?: boolean } = {}): Command {
  cmd
    .option('--map-size <name=n>', "set a map's max_entries before load, as a loader's bpf_map__set_max_entries does (repeatable)", collect)
    .option(
      '--set <name=value>',
      'set a global variable (.rodata, .data, .bss) or a part of one (cfg.port, ports[2]) before load: a number, an XDP action, hex bytes, typed parts (u32:5,ipv4:10.0.0.1) or str:TEXT (repeatable)',
      collect,
    );
  return btf
    ? cmd.option(
        '--btf <file>',
        'kernel BTF to apply CO-RE relocations against: raw BTF such as /sys/kernel/btf/vmlinux, or an ELF file with a .BTF section (default: /sys/kernel/btf/vmlinux, else the bundled kernel types)',
      )
    : cmd;
}

/** The load option `--btf` stands for; the file is read (and refused if it is not BTF) now, before anything loads. */
export function btfLoadOption(opts: { btf?: string }): { kernelBtf?: Btf } {
  return opts.btf === undefined ? {} : { kernelBtf: readBtfFile(opts.btf) };
}

/** --type, for the verbs that take a program type as bpftool's `prog load ... type xdp` does. */
export function addTypeOption(cmd: Command): Command {
  return cmd.option(
    '--type <type>',
    'load programs whose section name libbpf does not know (e.g. "prog", "xdp_drop_vlan_4011" in libbpf 1.x terms) as this type; only xdp',
  );
}

const splitAssignment = (text: string, option: string): [string, string] => {
  const i = text.indexOf('=');
  if (i <= 0 || i === text.length - 1) throw new XdpchainError('EINVAL', `${option} "${text}" is not NAME=VALUE`);
  return [text.slice(0, i), text.slice(i + 1)];
};

/**
 * The edits the options ask for, checked against the objects they apply to (one object, or every
 * object of a multi-object verb): each name must be found in at least one of them.
 */
export function loadEditsFor(specs: readonly CollectionSpec[], opts: LoadCliOptions): LoadEdits[] {
  if (opts.type !== undefined && opts.type !== 'xdp') throw new XdpchainError('EINVAL', `--type ${opts.type}: xdpchain loads programs as xdp only`);
  const edits: LoadEdits[] = specs.map(() => (opts.type ? { programType: 'xdp' } : {}));
  const where = specs.length === 1 ? (specs[0].source ?? 'the object') : `any of ${specs.map((s) => s.source ?? '?').join(', ')}`;
  for (const text of opts.mapSize ?? []) {
    const [name, value] = splitAssignment(text, '--map-size');
    if (!/^(0x[0-9a-f]+|\d+)$/i.test(value)) throw new XdpchainError('EINVAL', `--map-size ${name}=${value}: the size must be a positive integer`);
    const owners = specs.flatMap((s, i) => (s.maps.has(name) ? [i] : []));
    if (owners.length === 0) {
      throw new XdpchainError(
        'ENOENT',
        `--map-size ${name}: no map ${name} in ${where} (maps: ${[...new Set(specs.flatMap((s) => [...s.maps.keys()]))].join(', ') || 'none'})`,
      );
    }
    for (const i of owners) edits[i].mapSizes = { ...edits[i].mapSizes, [name]: Number(value) };
  }
  for (const text of opts.set ?? []) {
    const [name, value] = splitAssignment(text, '--set');
    const root = /^[A-Za-z_]\w*/.exec(name)?.[0];
    const owners = specs.flatMap((s, i) => (globalVariables(s).some((v) => v.name === root) ? [{ i, v: globalSlot(s, name) }] : []));
    if (owners.length === 0) {
      const all = [...new Set(specs.flatMap((s) => globalVariables(s).map((v) => v.name)))];
      throw new XdpchainError('ENOENT', `--set ${name}: no global variable ${name} in ${where} (globals: ${all.join(', ') || 'none'})`);
    }
    for (const { i, v } of owners) edits[i].globals = { ...edits[i].globals, [name]: toHex(globalValue(v, value)) };
  }
  return edits;
}

/** Bytes for a global from the text a user gives, typed by the variable. */
export function globalValue(v: GlobalVariable, text: string): Uint8Array {
  const what = `--set ${v.name} (${v.type}, ${v.size} bytes)`;
  let bytes: Uint8Array;
  const action = parseXdpAction(text);
  if (v.int && /^-?(0x[0-9a-f]+|\d+)$/i.test(text)) bytes = intBytes(BigInt(text), v.int, what);
  else if (v.int && action !== undefined && /^[a-z_]+$/i.test(text)) bytes = intBytes(BigInt(action), v.int, what);
  else if (text.startsWith('str:')) {
    const s = new TextEncoder().encode(text.slice(4));
    if (s.length > v.size) throw new XdpchainError('EINVAL', `${what}: "${text.slice(4)}" has ${s.length} bytes, more than the variable holds`);
    bytes = new Uint8Array(v.size);
    bytes.set(s);
  } else bytes = parseBytes(text, what);
  if (bytes.length !== v.size) throw new XdpchainError('EINVAL', `${what}: the value has ${bytes.length} bytes, the variable ${v.size}`);
  return bytes;
}

function intBytes(n: bigint, { size, signed, bigEndian }: { size: number; signed: boolean; bigEndian: boolean }, what: string): Uint8Array {
  const bits = BigInt(size * 8);
  const min = signed ? -(1n << (bits - 1n)) : 0n;
  if (n < min || n >= 1n << bits) throw new XdpchainError('EINVAL', `${what}: ${n} does not fit in ${size} bytes${signed ? ' (signed)' : ''}`);
  let u = BigInt.asUintN(size * 8, n);
  const out = new Uint8Array(size);
  for (let k = 0; k < size; k++) {
    out[k] = Number(u & 0xffn);
    u >>= 8n;
  }
  return bigEndian ? out.reverse() : out;
}

/** Read an object and apply the load options to it; returns the spec and the edits (to keep). */
export function readObjectForLoad(path: string, opts: LoadCliOptions): { spec: CollectionSpec; edits: LoadEdits } {
  const spec = readObject(path);
  const [edits] = loadEditsFor([spec], opts);
  applyLoadEdits(spec, edits);
  return { spec, edits };
}

/** One line on stderr per program a load left out, as libbpf users see programs not autoloaded. */
export function reportSkipped(skipped: Collection | readonly SkippedProgram[]): void {
  const list = 'skipped' in skipped ? skipped.skipped : skipped;
  for (const s of list) process.stderr.write(`note: skipped program ${s.program} (${describe({ type: s.type, sectionName: s.section })}): ${s.reason}\n`);
}
