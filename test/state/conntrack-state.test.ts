import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conntrackLine } from '../../src/conntrack/format.js';
import { addRequestFromText } from '../../src/conntrack/request.js';
import { Session } from '../../src/state/session.js';
import type { StateSnapshot } from '../../src/state/snapshot.js';

const withoutSeconds = (line: string) => line.replace(/^(\S+ +\d+) \d+/, '$1');

function listed(dir: string): string[] {
  const s = Session.open({ dir });
  try {
    return s.rt.conntrack.entries().map((e) => withoutSeconds(conntrackLine(s.rt.conntrack, e)));
  } finally {
    s.close();
  }
}

describe('the conntrack table in the state directory', () => {
  it('comes back with tuples (NAT included), zones, status, mark, TCP state and the time left', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpchain-ct-state-'));
    const s = Session.open({ dir });
    const t = s.rt.conntrack;
    t.add(
      addRequestFromText({
        proto: 'tcp',
        src: '10.0.0.1',
        dst: '10.0.0.2',
        sport: 40200,
        dport: 8080,
        dstNat: '10.1.0.80:80',
        srcNat: '192.168.0.1',
        tcpState: 'ESTABLISHED',
        status: ['SEEN_REPLY', 'ASSURED'],
        mark: 9,
        timeout: 300,
      }),
    );
    t.add({ ...addRequestFromText({ proto: 'udp', src: 'fd00::1', dst: 'fd00::2', sport: 5, dport: 6, timeout: 60 }), zone: { id: 7, flags: 0, dir: 1 } });
    const before = t.entries().map((e) => [withoutSeconds(conntrackLine(t, e)), e.status, e.zone, e.bysource > 0, t.secondsLeft(e)]);
    s.save();
    s.close();

    const again = Session.open({ dir });
    const u = again.rt.conntrack;
    const after = u.entries().map((e) => [withoutSeconds(conntrackLine(u, e)), e.status, e.zone, e.bysource > 0, u.secondsLeft(e)]);
    again.close();
    expect(after.map((a) => a.slice(0, 4))).toEqual(before.map((b) => b.slice(0, 4)));
    expect(before[0][3]).toBe(true);
    for (const [i, a] of after.entries()) expect(Number(a[4])).toBeGreaterThanOrEqual(Number(before[i][4]) - 2);
  });

  it('an entry that expired while the directory was closed is not restored', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpchain-ct-state-'));
    const s = Session.open({ dir });
    s.rt.conntrack.add(addRequestFromText({ proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 }));
    s.rt.conntrack.add(addRequestFromText({ proto: 'udp', src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 3 }));
    s.save();
    s.close();
    const file = join(dir, 'state.json');
    const snapshot = JSON.parse(readFileSync(file, 'utf8')) as StateSnapshot;
    const saved = snapshot.hooks!.conntrack as { expiresAt: number }[];
    expect(saved).toHaveLength(2);
    saved[0].expiresAt = Date.now() - 1;
    writeFileSync(file, JSON.stringify(snapshot));
    expect(listed(dir)).toEqual(['udp      17 src=10.0.0.1 dst=10.0.0.2 sport=1 dport=3 [UNREPLIED] src=10.0.0.2 dst=10.0.0.1 sport=3 dport=1 mark=0 use=1']);
  });
});
