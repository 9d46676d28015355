import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** One `bpftool prog run … repeat N` of a program of an object loaded with `prog loadall`. */
export interface KernelJob {
  program: string;
  data: Uint8Array;
  repeat: number;
}

export interface KernelObjectRun {
  object: string;
  /** Shell lines run after loading, with $P the programs' pin dir and $M the maps' pin dir. */
  setup?: string[];
  jobs: KernelJob[];
}

/** Average ns per run for each job, null where the kernel refused the object or the run. */
export type KernelTimes = (number | null)[];

/** Whether this machine can time programs in the kernel (root, bpftool, unshare, test-run). */
export function kernelUsable(): { usable: boolean; reason: string } {
  if (process.platform !== 'linux') return { usable: false, reason: 'not Linux' };
  if (process.getuid?.() !== 0) return { usable: false, reason: 'not root' };
  const probe = spawnSync('sh', ['-c', 'command -v bpftool && command -v unshare'], { encoding: 'utf8' });
  if (probe.status !== 0) return { usable: false, reason: 'bpftool or unshare missing' };
  return { usable: true, reason: '' };
}

/**
 * Load an object in a private bpffs (never /sys/fs/bpf, which other processes share) inside a
 * private mount namespace, run each job pinned to CPU 0 and read bpftool's `duration`.
 */
export function timeOnKernel(run: KernelObjectRun): KernelTimes {
  const dir = mkdtempSync(join(tmpdir(), 'xdpchain-bench-'));
  try {
    const fs = join(dir, 'bpffs');
    const lines = ['set -e', `mkdir ${shq(fs)}`, `mount -t bpf bpf ${shq(fs)}`, `P=${shq(`${fs}/progs`)}`, `M=${shq(`${fs}/maps`)}`,
      `bpftool prog loadall ${shq(run.object)} "$P" pinmaps "$M" > /dev/null`, ...(run.setup ?? [])];
    run.jobs.forEach((j, i) => {
      writeFileSync(join(dir, `in${i}.bin`), j.data);
      lines.push(`taskset -c 0 bpftool -j prog run pinned "$P/${j.program}" data_in ${shq(join(dir, `in${i}.bin`))} data_out /dev/null repeat ${j.repeat} > ${shq(join(dir, `out${i}.json`))} 2>&1 || true`);
    });
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', lines.join('\n')], { encoding: 'utf8' });
    if (r.status !== 0) return run.jobs.map(() => null);
    return run.jobs.map((_, i) => {
      try {
        const out = JSON.parse(readFileSync(join(dir, `out${i}.json`), 'utf8')) as { duration?: number };
        return typeof out.duration === 'number' && out.duration > 0 ? out.duration : null;
      } catch {
        return null;
      }
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Milliseconds the kernel takes to load an object with `bpftool prog loadall` (maps created,
 * programs verified and JIT-compiled; bpftool's own start-up included), in a private bpffs; null
 * when the kernel refuses it.
 */
export function kernelLoadMs(object: string): number | null {
  const dir = mkdtempSync(join(tmpdir(), 'xdpchain-bench-'));
  try {
    const fs = join(dir, 'bpffs');
    const lines = ['set -e', `mkdir ${shq(fs)}`, `mount -t bpf bpf ${shq(fs)}`, 'start=$(date +%s%N)',
      `bpftool prog loadall ${shq(object)} ${shq(`${fs}/progs`)} > /dev/null`, 'end=$(date +%s%N)', 'echo $((end - start))'];
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', lines.join('\n')], { encoding: 'utf8' });
    const ns = Number(r.stdout.trim());
    return r.status === 0 && Number.isFinite(ns) ? ns / 1e6 : null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
