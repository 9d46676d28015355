import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from './hash.js';

/** A map's contents: entries sorted by key bytes; per-CPU maps give one value per possible CPU. */
export type MapDump = { key: string; value?: string; values?: string[] }[];

/** What one test-run gave, on the kernel or on xdpchain. */
export type CaseResult =
  | {
      retval: number;
      dataOut: string;
      ctxOut?: { dataMeta: number; ingressIfindex: number; rxQueueIndex: number };
      maps: Record<string, MapDump>;
    }
  /** The test-run itself was refused (EINVAL for a 13-byte frame, …). */
  | { error: string }
  /** This packet's fresh load failed although the first load worked. */
  | { loadError: string; message: string }
  /** xdpchain only: the program faulted (the kernel has no such outcome). */
  | { fault: string };

/** Whether the object (with the run's programs) loaded, and if not, why. */
export type LoadResult = { ok: true } | { loadError: string; message: string };

/** One program's answers. */
export interface ProgramGolden {
  load: LoadResult;
  cases: { packet: string; result: CaseResult }[];
}

/** The kernel's answers for one object: `<manifest dir>/golden/<object id>.json`. */
export interface ObjectGolden {
  id: string;
  object: string;
  /** sha256 of the object the kernel ran: a rebuilt object must be re-recorded. */
  objectSha256: string;
  kernel: string;
  libbpf: string;
  possibleCpus: number;
  recorded: string;
  programs: Record<string, ProgramGolden>;
}

/** The first line of a load error that says what went wrong (libbpf's log ends with it). */
export function errorHeadline(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  const libbpf = lines.filter((l) => l.startsWith('libbpf:'));
  // libbpf prints the verifier log and then "libbpf: prog 'x': failed to load: -13"; the verifier's
  // own last line (before "processed N insns") is the reason, the libbpf line the errno.
  const verifierEnd = lines.findIndex((l) => /^processed \d+ insns/.test(l) || l.startsWith('-- END PROG LOAD LOG --'));
  if (verifierEnd > 0) {
    for (let i = verifierEnd - 1; i >= 0; i--) {
      const l = lines[i];
      if (!l.startsWith('libbpf:') && !/^\d+: \(/.test(l) && !/^; /.test(l) && !/^(R\d|frame|from \d+ to)/.test(l)) return l;
    }
  }
  // Without a verifier log, libbpf's last specific line says why (a missing kfunc, a bad map).
  const generic =
    /failed to load object|failed to load: -\d+$|^libbpf: loading |^libbpf: elf:|^libbpf: sec |found map \d+|^libbpf: map '[^']+': created|^libbpf: Error loading/;
  const specific = libbpf.filter((l) => !generic.test(l));
  return (specific[specific.length - 1] ?? libbpf[0] ?? lines[0] ?? '(no message)').replace(/^libbpf: /, '');
}

/**
 * The key failures are grouped by: the headline with what names one program or place taken out
 * (program and map names, instruction numbers, sizes), so one cause is one group.
 */
export function errorGroup(errno: string, headline: string): string {
  const general = headline
    .replace(/^program [^,]+, (instruction \d+: )?/, '')
    .replace(/'[^']*'/g, "'…'")
    .replace(/\b(map|program) [A-Za-z_][\w.]*/g, '$1 …')
    .replace(/\d+/g, 'N');
  return `${errno}: ${general}`;
}

/** Where an object's golden file lives under a golden directory (default: `<manifest dir>/golden`). */
export function goldenPath(goldenDir: string, id: string): string {
  return join(goldenDir, `${id}.json`);
}

/**
 * An object's golden file, if recorded; `warn` is told when the object on disk is not the one
 * recorded (another build or package version), whose answers may differ.
 */
export function readGolden(goldenDir: string, id: string, objectPath: string, warn: (s: string) => void): ObjectGolden | undefined {
  const path = goldenPath(goldenDir, id);
  if (!existsSync(path)) return undefined;
  const g = JSON.parse(readFileSync(path, 'utf8')) as ObjectGolden;
  if (g.objectSha256 !== sha256File(objectPath)) warn(`${id}: the object changed since its golden file was recorded; re-run with --record`);
  return g;
}
