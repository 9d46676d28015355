import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { salvageState } from '../../src/state/salvage.js';
import { emptySnapshot, type StateSnapshot } from '../../src/state/snapshot.js';
import { snapshotProblems } from '../../src/state/state-file.js';

const dir = mkdtempSync(join(tmpdir(), 'xdpchain-salvage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('salvaging a damaged state', () => {
  it('fixes next ids and drops only the bad items of lists and hooks, saying what and why', () => {
    const s = {
      ...emptySnapshot(2),
      ids: { nextProgram: 'x', nextMap: 1, nextLink: 1 },
      netdevs: [{ name: 'eth0', ifindex: 2, mac: '020000000002', mtu: 1500, stats: {} }],
      attachments: [{ ifindex: 2, program: 4 }],
      hooks: { conntrack: [{ bad: true }] },
    };
    const { snapshot, dropped } = salvageState(s, dir);
    expect(snapshotProblems(snapshot, dir)).toEqual([]);
    expect(snapshot.ids).toEqual({ nextProgram: 1, nextMap: 1, nextLink: 1 });
    expect(snapshot.netdevs.map((d) => d.name)).toEqual(['eth0']);
    // Shapes first (the conntrack entry), then references (the attachment).
    expect(dropped.map((d) => d.path)).toEqual(['hooks.conntrack[0]', 'attachments[0]']);
    expect(dropped[1]).toEqual({
      path: 'attachments[0]',
      what: 'program 4 attached to ifindex 2',
      why: 'attachments[0].program: program 4 is not in the state',
    });
  });

  it('starts run statistics again rather than dropping a program whose statistics are damaged', () => {
    const s = {
      ...emptySnapshot(2),
      collections: [{ object: 'a'.repeat(64), programs: { p: { id: 1, stats: { runCount: -5, runTimeNs: 0 }, loadedAt: '2026-01-01T00:00:00Z' } }, maps: {} }],
    };
    const first = salvageState(s, dir);
    expect(first.dropped[0]).toMatchObject({ path: 'collections[0].programs.p.stats', what: 'the run statistics of program p (now zero)' });
    // The object file is not in this directory: that the whole collection goes for, with the reason.
    expect(first.dropped[1]).toMatchObject({ path: 'collections[0]', why: expect.stringMatching(/has no entry in objects/) });
    expect((first.snapshot as StateSnapshot).collections).toEqual([]);
  });

  it('gives the empty state for what is not an object at all', () => {
    const r = salvageState([1, 2], dir);
    expect(r.dropped).toEqual([{ path: '(the whole file)', what: '[1,2]', why: 'not a saved state' }]);
    expect(snapshotProblems(r.snapshot, dir)).toEqual([]);
    expect(r.snapshot.collections).toEqual([]);
  });
});
