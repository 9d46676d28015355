import type { Command } from 'commander';
import { formatBtfType } from '../../btf/format.js';
import { programTag } from '../../runtime/tag.js';
import { xdpActionName } from '../../xdp/constants.js';
import { readObject } from '../object.js';
import { globalVariables } from '../../object-spec/edit.js';
import { toHex } from '../../packet/bytes.js';
import { action, emit } from '../output.js';

export function registerInspect(root: Command): void {
  root
    .command('inspect')
    .description('show the programs, maps, global data, BTF and run configuration of an object')
    .argument('<object>', 'ELF object built with clang -target bpf')
    .option('--btf', 'list every BTF type too')
    .option('--json', 'print JSON')
    .action(
      action((object: string, opts: { btf?: boolean; json?: boolean }) => {
        const spec = readObject(object);
        const programs = [...spec.programs.values()].map((p) => ({
          name: p.name,
          section: p.sectionName,
          type: p.type,
          attachType: p.attachType,
          attachTo: p.attachTo,
          instructions: p.instructions.length,
          tag: programTag(p.instructions),
          license: p.license,
          runConfig: p.runConfig && { priority: p.runConfig.priority, chainCallActions: p.runConfig.chainCallActions.map(xdpActionName) },
          warnings: p.warnings,
          coreRelocations: (p.coreRelocations ?? []).map((r) => ({
            slot: r.slot,
            kind: r.kind,
            type: p.btf ? formatBtfType(p.btf, r.typeId) : String(r.typeId),
            access: r.accessString,
          })),
        }));
        const maps = [...spec.maps.values()].map((m) => ({
          name: m.name,
          type: m.type,
          keySize: m.keySize,
          valueSize: m.valueSize,
          maxEntries: m.maxEntries,
          flags: m.flags,
          key: m.btf && m.keyTypeId ? formatBtfType(m.btf, m.keyTypeId) : undefined,
          value: m.btf && m.valueTypeId ? formatBtfType(m.btf, m.valueTypeId) : undefined,
          inner: m.innerMap?.type,
          initialEntries: m.contents.length,
        }));
        const globals = globalVariables(spec).map((v) => {
          const bytes = spec.maps.get(v.map)!.initialData!.subarray(v.offset, v.offset + v.size);
          return {
            name: v.name,
            section: v.map,
            type: v.type,
            size: v.size,
            value: toHex(bytes),
            ...(v.int ? { int: intValue(bytes, v.int).toString() } : {}),
          };
        });
        const btf =
          opts.btf && spec.btf
            ? spec.btf.types.flatMap((t) => (t ? [{ id: t.id, kind: t.kind, name: t.name, text: formatBtfType(spec.btf!, t.id) }] : []))
            : undefined;
        const report = { object, license: spec.license, programs, maps, globals, btfTypes: spec.btf ? spec.btf.types.length - 1 : 0, ...(btf ? { btf } : {}) };
        emit(opts, report, (r) => {
          const lines = [`${r.object}: license "${r.license}", ${r.btfTypes} BTF types`, '', 'Programs:'];
          for (const p of r.programs) {
            lines.push(`  ${p.name}  section ${p.section}  ${p.type}${p.attachTo ? ` → ${p.attachTo}` : ''}  ${p.instructions} insns  tag ${p.tag}`);
            if (p.runConfig) lines.push(`    run config: priority ${p.runConfig.priority}, chain actions ${p.runConfig.chainCallActions.join(',') || 'none'}`);
            for (const w of p.warnings) lines.push(`    warning: ${w}`);
            for (const c of p.coreRelocations) lines.push(`    CO-RE: instruction ${c.slot} ${c.kind} of ${c.type}, access ${c.access}`);
          }
          lines.push('', 'Maps:');
          for (const m of r.maps) {
            lines.push(
              `  ${m.name}  ${m.type}  key ${m.keySize}B${m.key ? ` (${m.key})` : ''}  value ${m.valueSize}B${m.value ? ` (${m.value})` : ''}  max ${m.maxEntries}${m.maxEntries === 0 ? (m.type === 'perf_event_array' ? ' (one per CPU at load)' : ` (sized at load: --map-size ${m.name}=N)`) : ''}${m.flags ? `  flags 0x${m.flags.toString(16)}` : ''}${m.inner ? `  inner ${m.inner}` : ''}${m.initialEntries ? `  ${m.initialEntries} initial entries` : ''}`,
            );
          }
          if (r.globals.length > 0) {
            lines.push('', 'Globals (set before load with --set NAME=VALUE):');
            for (const g of r.globals) lines.push(`  ${g.name}  ${g.type}  in ${g.section}  = ${g.int ?? `0x${g.value}`}`);
          }
          if (r.btf) {
            lines.push('', 'BTF:');
            for (const t of r.btf) lines.push(`  [${t.id}] ${t.kind} ${t.text}`);
          }
          return lines.join('\n');
        });
      }),
    );
}

/** An integer's value from its bytes as the variable stores them. */
function intValue(bytes: Uint8Array, { signed, bigEndian }: { signed: boolean; bigEndian: boolean }): bigint {
  let v = 0n;
  const ordered = bigEndian ? bytes : [...bytes].reverse();
  for (const b of ordered) v = (v << 8n) | BigInt(b);
  return signed ? BigInt.asIntN(bytes.length * 8, v) : v;
}
