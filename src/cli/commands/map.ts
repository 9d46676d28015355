import type { Command } from 'commander';
import { btfValueToJson, formatBtfValue } from '../../btf/format.js';
import { XdpchainError } from '../../errors/index.js';
import type { BpfMap } from '../../maps/map.js';
import { UpdateFlag } from '../../maps/map.js';
import { toHex } from '../../packet/bytes.js';
import { action, emit } from '../output.js';
import { withSession } from '../session.js';
import { parseBytes } from '../values.js';

const FLAGS: Record<string, number> = { any: UpdateFlag.ANY, noexist: UpdateFlag.NOEXIST, exist: UpdateFlag.EXIST, lock: UpdateFlag.LOCK };

/** A key or value as JSON: the bytes, and the BTF-typed reading when the map has BTF. */
function render(m: BpfMap, bytes: Uint8Array, which: 'key' | 'value'): { hex: string; typed?: unknown; text?: string } {
  const id = which === 'key' ? m.spec.keyTypeId : m.spec.valueTypeId;
  const perCpu = which === 'value' && (m.spec.type.startsWith('percpu') || m.spec.type === 'lru_percpu_hash');
  if (!m.spec.btf || !id || perCpu) return { hex: toHex(bytes) };
  return { hex: toHex(bytes), typed: btfValueToJson(m.spec.btf, id, bytes), text: formatBtfValue(m.spec.btf, id, bytes) };
}

function entries(m: BpfMap): { key: Uint8Array; value: Uint8Array }[] {
  const out: { key: Uint8Array; value: Uint8Array }[] = [];
  const seen = new Set<string>();
  for (let k = m.nextKey(); k !== undefined; k = m.nextKey(k)) {
    const h = toHex(k);
    if (seen.has(h)) break;
    seen.add(h);
    const v = m.lookup(k);
    if (v) out.push({ key: k, value: v });
  }
  return out;
}

export function registerMap(root: Command): void {
  const map = root.command('map').description('show, dump, look up and update maps (bpftool map style)');
  map
    .command('show')
    .description('list maps')
    .option('--json', 'print JSON')
    .action(
      action((opts: { json?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          const rows = s.rt.maps.all().map((m) => m.info());
          emit(opts, rows, (r) =>
            r
              .map(
                (i) =>
                  `${i.id}: ${i.type}  name ${i.name}  key ${i.keySize}B  value ${i.valueSize}B  max_entries ${i.maxEntries}  memlock ${i.memlock}B${i.flags ? `  flags 0x${i.flags.toString(16)}` : ''}${i.frozen ? '  frozen' : ''}`,
              )
              .join('\n'),
          );
        }),
      ),
    );
  map
    .command('dump')
    .description('print every entry (typed with BTF when the map has it)')
    .argument('<map>', 'id or name')
    .option('--json', 'print JSON')
    .action(
      action((ref: string, opts: { json?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          const m = s.map(ref);
          const rows = entries(m).map((e) => ({ key: render(m, e.key, 'key'), value: render(m, e.value, 'value') }));
          emit(opts, rows, (r) => r.map((e) => `key: ${e.key.text ?? e.key.hex}  value: ${e.value.text ?? e.value.hex}`).join('\n') || 'no entries');
        }),
      ),
    );
  map
    .command('lookup')
    .description('look up one key')
    .argument('<map>')
    .argument('<key>', 'hex, or typed parts like u32:5 or u32:24,ipv4:10.1.2.0')
    .option('--json', 'print JSON')
    .action(
      action((ref: string, keyText: string, opts: { json?: boolean }, cmd: Command) =>
        withSession(cmd, (s) => {
          const m = s.map(ref);
          const key = parseBytes(keyText, 'key');
          const v = m.lookup(key);
          if (!v) throw new XdpchainError('ENOENT', `map ${m.spec.name} (id ${m.id}) has no key ${toHex(key)}`);
          emit(
            opts,
            { key: render(m, key, 'key'), value: render(m, v, 'value') },
            (e) => `key: ${e.key.text ?? e.key.hex}  value: ${e.value.text ?? e.value.hex}`,
          );
        }),
      ),
    );
  map
    .command('update')
    .description('write one entry')
    .argument('<map>')
    .argument('<key>')
    .argument('<value>')
    .option('--flags <flag>', 'any, noexist, exist or lock', 'any')
    .action(
      action((ref: string, keyText: string, valueText: string, opts: { flags: string }, cmd: Command) =>
        withSession(cmd, (s) => {
          const flags = FLAGS[opts.flags];
          if (flags === undefined) throw new XdpchainError('EINVAL', `--flags ${opts.flags} is not one of any, noexist, exist, lock`);
          s.map(ref).update(parseBytes(keyText, 'key'), parseBytes(valueText, 'value'), flags);
        }),
      ),
    );
  map
    .command('delete')
    .description('delete one key')
    .argument('<map>')
    .argument('<key>')
    .action(action((ref: string, keyText: string, _o: unknown, cmd: Command) => withSession(cmd, (s) => s.map(ref).delete(parseBytes(keyText, 'key')))));
}
