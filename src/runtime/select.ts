import { XdpchainError } from '../errors/index.js';
import type { CollectionSpec } from '../object-spec/collection-spec.js';
import type { ProgramSpec } from '../object-spec/program-spec.js';

/** A program of the object that a load left out, and why, in one line. */
export interface SkippedProgram {
  program: string;
  type: ProgramSpec['type'];
  section: string;
  reason: string;
}

/** `xdp, section xdp` / `unspec, section prog`, for messages. */
export const describe = (p: Pick<ProgramSpec, 'type' | 'sectionName'>): string => `${p.type}, section ${p.sectionName}`;

/** Why a program of this type cannot be loaded here, with what to do; undefined when it can. */
function unloadable(p: ProgramSpec, hasTarget: boolean): string | undefined {
  switch (p.type) {
    case 'xdp':
      return undefined;
    case 'ext':
      return hasTarget ? undefined : 'a freplace program needs the program whose function it replaces (--target)';
    case 'unspec':
      return 'libbpf does not know this section name as a program type; --type xdp loads it as XDP (API: LoadEdits.programType)';
    default:
      return 'xdpchain runs XDP programs';
  }
}

/**
 * Which programs of a collection to load, as libbpf loads only autoloaded programs: the named
 * ones (each must exist and be loadable), or every XDP program (and every freplace program given
 * a target) when none is named. The rest are skipped, each with a reason.
 */
export function selectPrograms(
  spec: CollectionSpec,
  wanted: readonly string[] | undefined,
  hasTarget: (name: string) => boolean,
): { load: ProgramSpec[]; skipped: SkippedProgram[] } {
  const object = spec.source ?? 'the object';
  const all = [...spec.programs.values()];
  if (wanted) {
    for (const name of wanted) {
      const p = spec.programs.get(name);
      if (!p) throw new XdpchainError('ENOENT', `no program ${name} in ${object} (has: ${all.map((q) => q.name).join(', ') || 'none'})`);
      const why = unloadable(p, hasTarget(name));
      if (why) throw new XdpchainError('EINVAL', `program ${name} (${describe(p)}) in ${object} cannot be loaded: ${why}`, { program: name });
    }
  }
  const load: ProgramSpec[] = [];
  const skipped: SkippedProgram[] = [];
  for (const p of all) {
    if (wanted) {
      if (wanted.includes(p.name)) load.push(p);
      else skipped.push({ program: p.name, type: p.type, section: p.sectionName, reason: 'not requested' });
      continue;
    }
    const why = unloadable(p, hasTarget(p.name));
    if (why) skipped.push({ program: p.name, type: p.type, section: p.sectionName, reason: why });
    else load.push(p);
  }
  if (load.length === 0 && all.length > 0) {
    throw new XdpchainError(
      'EINVAL',
      `${object} has no program xdpchain can load: ${skipped.map((s) => `${s.program} (${describe(spec.programs.get(s.program)!)}): ${s.reason}`).join('; ')}`,
    );
  }
  return { load, skipped };
}
