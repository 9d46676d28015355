import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Session } from '../../src/state/session.js';
import type { StateSnapshot } from '../../src/state/snapshot.js';

const hooksOf = (dir: string) => (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as StateSnapshot).hooks ?? {};

describe('the SYN cookie keys in the state directory', () => {
  it('are kept once drawn, so a cookie from one invocation checks out in the next', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpchain-syncookie-state-'));
    const s = Session.open({ dir });
    s.rt.syncookies.key(4, 0);
    const words = s.rt.syncookies.words();
    s.save();
    s.close();
    expect(hooksOf(dir).syncookies).toEqual(words);

    const again = Session.open({ dir });
    expect(again.rt.syncookies.drawn).toBe(true);
    expect(again.rt.syncookies.words()).toEqual(words);
    again.close();
  });

  it('are not written before any program drew them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpchain-syncookie-state-'));
    const s = Session.open({ dir });
    // Some change, so that the state is written at all (a session that changed nothing writes nothing).
    s.rt.fabric.add('eth0');
    s.save();
    s.close();
    expect('syncookies' in hooksOf(dir)).toBe(false);
    const again = Session.open({ dir });
    expect(again.rt.syncookies.drawn).toBe(false);
    again.close();
  });
});
