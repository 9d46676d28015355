import { MalformedInputError, XdpchainError } from '../errors/index.js';
import { parseBtfExt, type BtfExt } from '../btf/ext.js';
import { parseBtf } from '../btf/parse.js';
import { resolveType } from '../btf/query.js';
import type { Btf } from '../btf/types.js';
import type { CollectionSpec } from '../object-spec/collection-spec.js';
import type { MapSpec } from '../object-spec/map-spec.js';
import type { XdpRunConfig } from '../object-spec/program-spec.js';
import { parseElf, STT } from './elf-file.js';
import { btfMaps, globalDataMaps, kconfigMap, legacyMaps } from './maps.js';
import { fixDatasecLayout } from './datasec.js';
import { extractFunctions, extractPrograms } from './programs.js';

const DEFAULT_RUN_PRIORITY = 50;
const XDP_ACTIONS: Record<string, number> = { XDP_ABORTED: 0, XDP_DROP: 1, XDP_PASS: 2, XDP_TX: 3, XDP_REDIRECT: 4 };

/**
 * Parse an object produced by `clang -target bpf` into an editable CollectionSpec: programs laid
 * out as libbpf lays them out, maps (BTF-defined, legacy, global data), BTF, func/line info and
 * libxdp's run configuration. Malformed input yields MalformedInputError naming the offset.
 */
export function readCollectionSpec(bytes: Uint8Array, opts: { source?: string } = {}): CollectionSpec {
  const file = opts.source ?? 'object';
  try {
    return read(bytes, file);
  } catch (e) {
    if (e instanceof XdpchainError) throw e;
    // Anything else is a bug in a parser path a hostile file reached: still report it as bad input,
    // marked so tests can tell the safety net from a proper diagnosis.
    throw new MalformedInputError(`${file}`, `could not be parsed: ${e instanceof Error ? e.message : String(e)}`, undefined, { unexpected: true });
  }
}

function read(bytes: Uint8Array, file: string): CollectionSpec {
  const elf = parseElf(bytes, file);
  const btfSec = elf.section('.BTF');
  const btf: Btf | undefined = btfSec ? fixDatasecLayout(parseBtf(btfSec.data, `${file}: .BTF`, btfSec.offset), elf) : undefined;
  const extSec = elf.section('.BTF.ext');
  const ext: BtfExt | undefined = extSec && btf ? parseBtfExt(extSec.data, btf, `${file}: .BTF.ext`, extSec.offset) : undefined;
  const licenseSec = elf.section('license');
  const license = licenseSec ? Buffer.from(licenseSec.data).toString('latin1').replace(/\0.*$/s, '') : '';
  const versionSec = elf.section('version');
  const kernelVersion = versionSec && versionSec.data.length >= 4 ? new DataView(versionSec.data.buffer, versionSec.data.byteOffset).getUint32(0, true) : 0;

  const kconfig = kconfigMap(elf, btf);
  const maps: MapSpec[] = [...btfMaps(elf, btf), ...legacyMaps(elf), ...globalDataMaps(elf, btf), ...(kconfig ? [kconfig] : [])];
  const mapSections = new Set([elf.section('.maps')?.index, elf.section('maps')?.index].filter((i): i is number => i !== undefined));
  const mapSymbols = new Set(elf.symbols.filter((s) => mapSections.has(s.section) && s.type !== STT.SECTION && s.name !== '').map((s) => s.index));

  const programContext = { elf, btf, ext, license, kernelVersion, mapSymbols, kconfig: new Map((kconfig?.kconfig ?? []).map((k) => [k.name, k.offset])) };
  const programs = extractPrograms(programContext);
  const functions = extractFunctions(programContext);
  const runConfigs = btf ? readRunConfigs(btf, file) : new Map<string, XdpRunConfig>();
  for (const p of programs) {
    const rc = runConfigs.get(p.name);
    if (rc) p.runConfig = rc;
  }
  const names = new Set<string>();
  for (const m of maps) {
    if (names.has(m.name)) throw new MalformedInputError(`${file}: map ${m.name}`, 'is defined twice');
    names.add(m.name);
  }
  const spec: CollectionSpec = {
    programs: new Map(programs.map((p) => [p.name, p])),
    maps: new Map(maps.map((m) => [m.name, m])),
    license,
    source: file,
  };
  if (functions.length > 0) spec.functions = new Map(functions.map((f) => [f.name, f]));
  if (btf) spec.btf = btf;
  return spec;
}

/**
 * libxdp's `XDP_RUN_CONFIG(func)` makes a variable `_func` in DATASEC `.xdp_run_config` whose
 * struct members encode values as array lengths: `__uint(priority, 10); __uint(XDP_PASS, 1);`.
 */
function readRunConfigs(btf: Btf, file: string): Map<string, XdpRunConfig> {
  const out = new Map<string, XdpRunConfig>();
  const sec = btf.types.find((t) => t?.kind === 'datasec' && t.name === '.xdp_run_config');
  if (!sec || sec.kind !== 'datasec') return out;
  for (const v of sec.vars) {
    const variable = btf.types[v.type];
    if (variable?.kind !== 'var' || !variable.name.startsWith('_')) continue;
    const st = resolveType(btf, variable.type);
    if (st?.kind !== 'struct') throw new MalformedInputError(`${file}: .xdp_run_config`, `${variable.name} is not a struct`);
    const config: XdpRunConfig = { priority: DEFAULT_RUN_PRIORITY, chainCallActions: [] };
    for (const m of st.members) {
      const ptr = resolveType(btf, m.type);
      const arr = ptr?.kind === 'ptr' ? resolveType(btf, ptr.type) : undefined;
      if (arr?.kind !== 'array')
        throw new MalformedInputError(`${file}: .xdp_run_config`, `member ${m.name} of ${variable.name} is not declared with __uint()`);
      if (m.name === 'priority') config.priority = arr.nelems;
      else if (m.name in XDP_ACTIONS) {
        if (arr.nelems) config.chainCallActions.push(XDP_ACTIONS[m.name]);
      } else throw new MalformedInputError(`${file}: .xdp_run_config`, `member ${m.name} of ${variable.name} is neither priority nor an XDP action`);
    }
    config.chainCallActions.sort((a, b) => a - b);
    out.set(variable.name.slice(1), config);
  }
  return out;
}
