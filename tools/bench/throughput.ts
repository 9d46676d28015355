/**
 * `npm run bench -- --throughput`: whole processes over one capture, timed in the same run:
 * `tcpdump -r F -w /dev/null` with a port filter (the reference: a C program reading the same
 * file) against `xdpchain run` of the firewall, without and with `--out`. Wall time and peak RSS
 * come from /usr/bin/time; xdpchain's own processing rate (without start-up) from its --json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticPcap } from '../../src/pcap/file.js';

/** One whole-process measurement (the median run of several). */
export interface ProcessTiming {
  wallSeconds: number;
  /** Peak resident set size in KiB, null where /usr/bin/time is missing. */
  peakRssKb: number | null;
  /** The command's standard output (xdpchain's --json report). */
  stdout: string;
}

/** What the throughput bench measured for one command. */
export interface ThroughputRow {
  name: string;
  command: string;
  frames: number;
  timing: ProcessTiming;
  /** Packets per second of processing alone, as xdpchain reports it (null for tcpdump). */
  processingPacketsPerSecond: number | null;
  workers: number | null;
}

/**
 * A 64-byte Ethernet/IPv4 frame, TCP SYN or UDP by turns, over 5,000 source ports, 65,536 source
 * addresses and five destination ports (80 among them): flows enough for RSS to spread.
 */
export function benchFrame(i: number): Uint8Array {
  const b = new Uint8Array(64);
  b.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0]);
  b[14] = 0x45;
  b[17] = 50;
  b[22] = 64;
  const tcp = i % 2 === 0;
  b[23] = tcp ? 6 : 17;
  b.set([10, 0, (i >> 8) & 255, i & 255, 10, 1, 0, 1], 26);
  const sport = 1024 + (i % 5000);
  const dport = [80, 443, 53, 22, 8080][i % 5];
  b.set([sport >> 8, sport & 255, dport >> 8, dport & 255], 34);
  if (tcp) b.set([0x50, 0x02], 46);
  else b.set([0, 30], 38);
  return b;
}

/** Run `argv` `rounds` times as a whole process; the run with the median wall time. */
export function timeProcess(argv: string[], rounds: number): ProcessTiming {
  const timed = existsSync('/usr/bin/time');
  const runs: ProcessTiming[] = [];
  for (let r = 0; r < rounds; r++) {
    const started = process.hrtime.bigint();
    const p = timed
      ? spawnSync('/usr/bin/time', ['-f', '@@%e %M', ...argv], { encoding: 'utf8', maxBuffer: 1 << 26 })
      : spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', maxBuffer: 1 << 26 });
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    if (p.status !== 0) throw new Error(`${argv.join(' ')} failed (exit ${p.status}): ${p.stderr.trim().split('\n').slice(-2).join(' ')}`);
    const m = /@@([\d.]+) (\d+)/.exec(p.stderr);
    runs.push({ wallSeconds: m ? Number(m[1]) : wall, peakRssKb: m ? Number(m[2]) : null, stdout: p.stdout });
  }
  return runs.sort((a, b) => a.wallSeconds - b.wallSeconds)[Math.floor(runs.length / 2)];
}

/** Time tcpdump and xdpchain run over a fresh capture of `frames` 64-byte frames. */
export function measureThroughput(root: string, frames: number, rounds: number, log: (line: string) => void): ThroughputRow[] {
  const dir = mkdtempSync(join(tmpdir(), 'xdpchain-throughput-'));
  try {
    const capture = join(dir, 'mix.pcap');
    writeSyntheticPcap(capture, frames, benchFrame);
    const cli = join(root, 'dist/cli/main.js');
    const firewall = join(root, 'progs/build/firewall.o');
    const rows: ThroughputRow[] = [];
    const measure = (name: string, argv: string[], workers: number | null): void => {
      const timing = timeProcess(argv, rounds);
      const report = workers === null ? undefined : (JSON.parse(timing.stdout) as { packetsPerSecond: number; packets: number });
      if (report && report.packets !== frames) throw new Error(`${name}: ran ${report.packets} packets, not ${frames}`);
      rows.push({ name, command: argv.join(' ').replace(dir, '$DIR'), frames, timing, processingPacketsPerSecond: report?.packetsPerSecond ?? null, workers });
      log(`${name.padEnd(24)} ${timing.wallSeconds.toFixed(2).padStart(7)} s ${timing.peakRssKb === null ? '' : `${(timing.peakRssKb / 1024).toFixed(0).padStart(5)} MiB`}${report ? `   processing ${report.packetsPerSecond.toLocaleString('en-US')} packets/s` : ''}`);
    };
    const tcpdump = spawnSync('sh', ['-c', 'command -v tcpdump'], { encoding: 'utf8' }).stdout.trim();
    if (tcpdump) measure('tcpdump', [tcpdump, '-r', capture, '-w', '/dev/null', 'tcp dst port 80'], null);
    else log('tcpdump: not installed, no reference measured');
    measure('run', [process.execPath, cli, 'run', firewall, '--pcap', capture, '--json'], 1);
    measure('run --out', [process.execPath, cli, 'run', firewall, '--pcap', capture, '--json', '--out', join(dir, 'out')], 1);
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
