import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { XdpchainError } from '../../src/errors/index.js';
import { ipv4IcmpEchoFrame, ipv4UdpFrame, ipv6UdpFrame } from '../../src/packet/index.js';
import { readCaptureFile, writeSyntheticPcap } from '../../src/pcap/file.js';
import { CaptureReader, readCapture } from '../../src/pcap/read.js';
import { ByteSink, PcapngWriter, PcapWriter } from '../../src/pcap/write.js';

const frames = [ipv4UdpFrame(), ipv4IcmpEchoFrame(), ipv6UdpFrame()];
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/pcap/${name}`, import.meta.url)));
const haveTcpdump = (() => {
  try {
    execFileSync('tcpdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function pcapBytes(nanoseconds: boolean): Uint8Array {
  const s = new ByteSink();
  const w = new PcapWriter(s, { nanoseconds });
  frames.forEach((f, i) => w.writePacket(f, 1_700_000_000_123_456_789n + BigInt(i)));
  return s.bytes();
}

function pcapngBytes(): Uint8Array {
  const s = new ByteSink();
  const w = new PcapngWriter(s);
  const a = w.addInterface({ name: 'eth0', description: 'entry' });
  const b = w.addInterface({ name: 'eth1' });
  w.writePacket({ interfaceId: a, timestampNs: 1_700_000_000_123_456_789n, data: frames[0], comment: 'first', flags: 1, queue: 3, xdpVerdict: 2 });
  w.writePacket({ interfaceId: b, timestampNs: 1_700_000_000_123_456_790n, data: frames[1] });
  return s.bytes();
}

describe('pcap and pcapng', () => {
  it('round-trips classic pcap in microseconds and nanoseconds', () => {
    const us = readCapture(pcapBytes(false));
    expect(us.format).toBe('pcap');
    expect(us.records.map((r) => r.data)).toEqual(frames);
    expect(us.records[0].timestampNs).toBe(1_700_000_000_123_456_000n);
    const ns = readCapture(pcapBytes(true));
    expect(ns.records[2].timestampNs).toBe(1_700_000_000_123_456_791n);
  });

  it('round-trips pcapng with interfaces, comments, flags and queues', () => {
    const c = readCapture(pcapngBytes());
    expect(c.format).toBe('pcapng');
    expect(c.interfaces.map((i) => [i.name, i.description, i.nsPerUnit])).toEqual([
      ['eth0', 'entry', 1n],
      ['eth1', undefined, 1n],
    ]);
    expect(c.records[0]).toMatchObject({ interfaceId: 0, comment: 'first', flags: 1, queue: 3, timestampNs: 1_700_000_000_123_456_789n });
    expect(c.records[1]).toMatchObject({ interfaceId: 1, data: frames[1] });
  });

  it('reads captures tcpdump wrote (microsecond and nanosecond)', () => {
    const us = readCapture(fixture('loopback-udp.pcap'));
    expect(us.records).toHaveLength(4);
    expect(Buffer.from(us.records[0].data.subarray(-8)).toString()).toBe('hello 1\n');
    const ns = readCapture(fixture('loopback-udp-ns.pcap'));
    expect(ns.records).toHaveLength(2);
    expect(ns.interfaces[0].nsPerUnit).toBe(1n);
  });

  it('reads in chunks of any size with the same result', () => {
    const bytes = pcapngBytes();
    for (const step of [1, 3, 7, 64]) {
      const r = new CaptureReader();
      const got: Uint8Array[] = [];
      for (let o = 0; o < bytes.length; o += step) {
        r.push(bytes.subarray(o, o + step));
        for (let rec = r.next(); rec; rec = r.next()) got.push(rec.data);
      }
      r.finish();
      expect(got).toEqual([frames[0], frames[1]]);
    }
  });

  it.skipIf(!haveTcpdump)('writes files tcpdump -r reads (needs tcpdump)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpchain-pcap-'));
    writeFileSync(join(dir, 'a.pcap'), pcapBytes(false));
    writeFileSync(join(dir, 'b.pcapng'), pcapngBytes());
    const a = execFileSync('tcpdump', ['-r', join(dir, 'a.pcap'), '-n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n');
    expect(a).toHaveLength(3);
    expect(a[1]).toMatch(/ICMP echo request/);
    const b = execFileSync('tcpdump', ['-r', join(dir, 'b.pcapng'), '-n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
      .trim()
      .split('\n');
    expect(b).toHaveLength(2);
  });

  it('streams a large synthetic capture from disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xdpchain-pcap-'));
    const path = join(dir, 'big.pcap');
    writeSyntheticPcap(path, 20_000, (i) => (i % 2 ? frames[0] : frames[2]));
    let n = 0;
    for (const r of readCaptureFile(path, { chunkBytes: 1 << 16 })) n += r.data.length === frames[i2(n)].length ? 1 : 0;
    expect(n).toBe(20_000);
    function i2(k: number) {
      return k % 2 ? 0 : 2;
    }
  });
});

describe('hostile captures yield typed errors only', () => {
  function prng(seed: number): () => number {
    let x = seed >>> 0;
    return () => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>>= 0) / 2 ** 32;
    };
  }
  const check = (bytes: Uint8Array, label: string): boolean => {
    try {
      readCapture(bytes, label);
      return true;
    } catch (e) {
      if (!(e instanceof XdpchainError)) throw new Error(`${label}: raw ${(e as Error).name}: ${(e as Error).message}`);
      return false;
    }
  };

  it('survives every truncation and thousands of mutations of pcap and pcapng files', () => {
    const rnd = prng(0xbadcafe);
    let variants = 0;
    let refused = 0;
    for (const [name, bytes] of [
      ['pcap', pcapBytes(false)],
      ['pcapng', pcapngBytes()],
      ['tcpdump', fixture('loopback-udp.pcap')],
    ] as const) {
      for (let len = 0; len < bytes.length; len++) {
        variants++;
        if (!check(bytes.subarray(0, len), `${name} cut at ${len}`)) refused++;
      }
      for (let i = 0; i < 1500; i++) {
        const v = Uint8Array.from(bytes);
        for (let k = 1 + Math.floor(rnd() * 3); k > 0; k--) v[Math.floor(rnd() * v.length)] = rnd() < 0.3 ? 0xff : Math.floor(rnd() * 256);
        if (rnd() < 0.3) new DataView(v.buffer).setUint32(Math.floor(rnd() * Math.floor((v.length - 4) / 4)) * 4, [0xffffffff, 0x7fffffff, 0, 13][i % 4], true);
        variants++;
        if (!check(v, `${name} mutation ${i}`)) refused++;
      }
    }
    expect(variants).toBeGreaterThan(4000);
    expect(refused).toBeGreaterThan(variants / 5);
  });
});
