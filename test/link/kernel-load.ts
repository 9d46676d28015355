/** Loading objects with `bpftool prog loadall` in a private mount namespace (never the shared /sys/fs/bpf). */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BPFTOOL } from '../differential/kernel-oracle.js';
import { run, shq } from '../differential/shell.js';

export interface LoadOutcome {
  loaded: boolean;
  /** bpftool's and libbpf's messages when the load failed. */
  log: string;
}

/** Load every object once (each into its own directory of one temporary bpffs); one namespace for all. */
export async function loadAll(objects: readonly string[]): Promise<Map<string, LoadOutcome>> {
  const dir = mkdtempSync(join(tmpdir(), 'xdpchain-linkload-'));
  try {
    const bpffs = join(dir, 'bpffs');
    const lines = [`mkdir ${shq(bpffs)}`, `mount -t bpf bpf ${shq(bpffs)} || exit 97`];
    objects.forEach((o, i) => {
      const log = join(dir, `${i}.log`);
      lines.push(
        `if ${BPFTOOL} prog loadall ${shq(o)} ${shq(`${bpffs}/o${i}`)} > ${shq(log)} 2>&1; then echo "ok ${i}"; else echo "fail ${i}"; cat ${shq(log)} | sed 's/^/log ${i} /'; fi`,
      );
    });
    const r = await run('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', lines.join('\n')], 300_000);
    if (r.code !== 0) throw new Error(`loading objects failed to run (exit ${r.code}): ${r.stderr.trim()}`);
    const out = new Map<string, LoadOutcome>();
    objects.forEach((o, i) => {
      const status = r.stdout.split('\n').find((l) => l === `ok ${i}` || l === `fail ${i}`);
      if (!status) throw new Error(`no load status for ${o}`);
      const log = r.stdout
        .split('\n')
        .filter((l) => l.startsWith(`log ${i} `))
        .map((l) => l.slice(`log ${i} `.length))
        .join('\n');
      out.set(o, { loaded: status.startsWith('ok'), log });
    });
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
