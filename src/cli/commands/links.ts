import type { Command } from 'commander';
import { XdpchainError } from '../../errors/index.js';
import { intOption } from '../object.js';
import { emit } from '../output.js';
import { withSession } from '../session.js';

/** `link show`, `link detach ID`, `link pin ID NAME`. */
export function linkStateCommand(words: string[], opts: { json?: boolean }, cmd: Command): void {
  const [verb, ...rest] = words;
  withSession(cmd, (s) => {
    if (verb === 'show') {
      const pins = new Map([...s.rt.links.pins].map(([n, l]) => [l, n]));
      const rows = s.rt.links.all().map((l) => ({
        id: l.id,
        type: l.kind,
        program: l.program.id,
        programName: l.program.name,
        ...l.describe(),
        ...(l.ownedBy ? { ownedBy: l.ownedBy } : {}),
        pinned: pins.get(l) ?? null,
      }));
      emit(
        opts,
        rows,
        (r) =>
          r
            .map(
              (l) =>
                `${l.id}: ${l.type}  prog ${l.program} (${l.programName})  ${Object.entries(l)
                  .filter(([k]) => !['id', 'type', 'program', 'programName', 'pinned'].includes(k))
                  .map(([k, v]) => `${k} ${v}`)
                  .join('  ')}${l.pinned ? `  pinned ${l.pinned}` : ''}`,
            )
            .join('\n') || 'no links',
      );
    } else if (verb === 'detach') {
      if (rest.length !== 1) throw new XdpchainError('EINVAL', 'usage: link detach ID');
      const link = s.rt.links.get(intOption(rest[0], 'link id'));
      if (link.ownedBy) throw new XdpchainError('EBUSY', `link ${link.id} belongs to the ${link.ownedBy}; use unload to remove its program`);
      s.rt.links.detach(link.id);
    } else if (verb === 'pin') {
      if (rest.length !== 2) throw new XdpchainError('EINVAL', 'usage: link pin ID NAME');
      s.rt.links.pin(s.rt.links.get(intOption(rest[0], 'link id')), rest[1]);
    } else {
      throw new XdpchainError('EINVAL', `unknown link command "${verb ?? ''}" (show, detach ID, pin ID NAME; or -o OUT.o IN.o… to link objects)`);
    }
  });
}
