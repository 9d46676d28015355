import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { XdpchainError } from '../../src/errors/index.js';
import { writeFileAtomic } from '../../src/state/atomic-file.js';
import { sameState } from '../../src/state/compare.js';
import { Session } from '../../src/state/session.js';
import { emptySnapshot, type StateSnapshot } from '../../src/state/snapshot.js';
import { readState, StateFileError } from '../../src/state/state-file.js';

let dir = '';
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const fresh = () => (dir = mkdtempSync(join(tmpdir(), 'xdpchain-state-file-')));

describe('atomic writes', () => {
  it('replace the file whole and leave no temporary file', () => {
    const file = join(fresh(), 'f');
    writeFileAtomic(file, 'old');
    writeFileAtomic(file, 'new');
    expect(readFileSync(file, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('that fail keep the old contents and throw a typed error naming the path', () => {
    const target = join(fresh(), 'd');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'x');
    let err: unknown;
    try {
      writeFileAtomic(target, 'new');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(XdpchainError);
    expect((err as XdpchainError).message).toContain(`cannot write ${target}`);
    expect(readFileSync(join(target, 'keep'), 'utf8')).toBe('x');
    expect(readdirSync(dir)).toEqual(['d']);
  });
});

describe('state.json through a session', () => {
  it('keeps the state before each change as state.json.prev, and writes nothing when nothing changed', () => {
    const state = join(fresh(), 'st');
    const a = Session.open({ dir: state });
    a.rt.fabric.add('eth0');
    a.save();
    a.close();
    expect(readdirSync(state).sort()).toEqual(['btf', 'objects', 'state.json']);
    const b = Session.open({ dir: state });
    b.rt.fabric.add('eth1');
    b.save();
    b.close();
    expect((JSON.parse(readFileSync(join(state, 'state.json.prev'), 'utf8')) as StateSnapshot).netdevs.map((d) => d.name)).toEqual(['eth0']);
    const before = statSync(join(state, 'state.json')).mtimeMs;
    const c = Session.open({ dir: state });
    c.save();
    c.close();
    expect(statSync(join(state, 'state.json')).mtimeMs).toBe(before);
  });

  it('a damaged state.json is a StateFileError naming the file and the field', () => {
    const state = join(fresh(), 'st');
    mkdirSync(state);
    writeFileSync(join(state, 'state.json'), JSON.stringify({ ...emptySnapshot(2), chains: [{ prev: 1, retcode: 9, next: 'x' }] }));
    let err: unknown;
    try {
      readState(state);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateFileError);
    expect((err as StateFileError).problems).toEqual([{ path: 'chains[0].next', message: 'expected a whole number ≥ 0, got "x"' }]);
    expect((err as StateFileError).message).toBe(
      `${join(state, 'state.json')}: chains[0].next: expected a whole number ≥ 0, got "x"; run 'xdpchain state check' / 'xdpchain state repair'`,
    );
  });
});

describe('comparing states', () => {
  it('ignores run times, load times, map entry order and conntrack expiry, and nothing else', () => {
    const base = (): StateSnapshot => ({
      ...emptySnapshot(2),
      collections: [
        {
          object: 'a'.repeat(64),
          programs: { p: { id: 1, stats: { runCount: 1, runTimeNs: 5 }, loadedAt: '2026-01-01T00:00:00Z' } },
          maps: {
            m: {
              id: 1,
              entries: [
                { key: '01', value: '00' },
                { key: '02', value: '00' },
              ],
            },
          },
        },
      ],
    });
    const other = base();
    other.collections[0].programs.p.stats.runTimeNs = 9;
    other.collections[0].programs.p.loadedAt = '2026-02-01T00:00:00Z';
    other.collections[0].maps.m.entries.reverse();
    expect(sameState(base(), other)).toBe(true);
    other.collections[0].programs.p.stats.runCount = 2;
    expect(sameState(base(), other)).toBe(false);
  });
});
