import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StateSnapshot } from './snapshot.js';
import type { Problem } from './validate.js';

/** What a snapshot defines, for checking what its parts refer to. */
export interface KnownIds {
  readonly programs: ReadonlySet<number>;
  readonly ifindexes: ReadonlySet<number>;
  readonly devices: ReadonlySet<string>;
}

/** The loopback device every runtime has; the snapshot does not list it. */
const LOOPBACK_IFINDEX = 1;

/** The program ids, ifindexes and device names a snapshot defines. */
export function knownIds(s: StateSnapshot): KnownIds {
  return {
    programs: new Set(s.collections.flatMap((c) => Object.values(c.programs).map((p) => p.id))),
    ifindexes: new Set([LOOPBACK_IFINDEX, ...s.netdevs.map((d) => d.ifindex)]),
    devices: new Set(['lo', ...s.netdevs.map((d) => d.name)]),
  };
}

/** A problem when program `id` is not in the state (shared with extensions that check their own references). */
export const missingProgram = (k: KnownIds, id: number, path: string, out: Problem[]): void => {
  if (!k.programs.has(id)) out.push({ path, message: `program ${id} is not in the state` });
};
/** A problem when no device has `ifindex`. */
export const missingDevice = (k: KnownIds, ifindex: number, path: string, out: Problem[]): void => {
  if (!k.ifindexes.has(ifindex)) out.push({ path, message: `no device has ifindex ${ifindex}` });
};

function duplicates(values: readonly number[] | readonly string[], path: (i: number) => string, what: string, out: Problem[]): void {
  const seen = new Set<number | string>();
  values.forEach((v, i) => {
    if (seen.has(v)) out.push({ path: path(i), message: `${what} ${v} is used twice` });
    seen.add(v);
  });
}

/** A file kept by content hash: missing, or no longer the bytes it was kept for. */
function storedFile(path: string, sha: string, where: string, out: Problem[]): void {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    out.push({ path: where, message: `${path} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` });
    return;
  }
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha) out.push({ path: where, message: `${path} is damaged: its sha256 is ${actual.slice(0, 12)}…, not ${sha.slice(0, 12)}…` });
}

/**
 * What a schema cannot see: ids that must be unique, references between parts (a chain to a
 * program, an attachment to a device) and the object and BTF files in the directory. Expects a
 * snapshot that passed the schema.
 */
export function checkReferences(s: StateSnapshot, dir: string): Problem[] {
  const out: Problem[] = [];
  const k = knownIds(s);
  const programs = s.collections.flatMap((c, i) => Object.entries(c.programs).map(([name, p]) => ({ p, path: `collections[${i}].programs.${name}` })));
  duplicates(
    programs.map((x) => x.p.id),
    (i) => `${programs[i].path}.id`,
    'program id',
    out,
  );
  const maps = s.collections.flatMap((c, i) => Object.entries(c.maps).map(([name, m]) => ({ id: m.id, path: `collections[${i}].maps.${name}.id` })));
  duplicates(
    maps.map((m) => m.id),
    (i) => maps[i].path,
    'map id',
    out,
  );
  duplicates(
    s.links.map((l) => l.id),
    (i) => `links[${i}].id`,
    'link id',
    out,
  );
  duplicates(
    s.netdevs.map((d) => d.name),
    (i) => `netdevs[${i}].name`,
    'device name',
    out,
  );
  duplicates(
    s.netdevs.map((d) => d.ifindex),
    (i) => `netdevs[${i}].ifindex`,
    'ifindex',
    out,
  );

  const idsBelow = (ids: number[], next: number, field: string) => {
    const top = Math.max(0, ...ids);
    if (top >= next) out.push({ path: `ids.${field}`, message: `is ${next}, but id ${top} is in use` });
  };
  idsBelow(
    programs.map((x) => x.p.id),
    s.ids.nextProgram,
    'nextProgram',
  );
  idsBelow(
    maps.map((m) => m.id),
    s.ids.nextMap,
    'nextMap',
  );
  idsBelow(
    s.links.map((l) => l.id),
    s.ids.nextLink,
    'nextLink',
  );

  s.collections.forEach((c, i) => {
    if (!s.objects[c.object]) out.push({ path: `collections[${i}].object`, message: `object ${c.object.slice(0, 12)}… has no entry in objects` });
    storedFile(join(dir, 'objects', `${c.object}.o`), c.object, `collections[${i}].object`, out);
    if (c.kernelBtf) storedFile(join(dir, 'btf', `${c.kernelBtf.sha}.btf`), c.kernelBtf.sha, `collections[${i}].kernelBtf`, out);
    for (const [name, p] of Object.entries(c.programs)) {
      if (p.target) missingProgram(k, p.target.program, `collections[${i}].programs.${name}.target.program`, out);
      if (p.ifindex !== undefined) missingDevice(k, p.ifindex, `collections[${i}].programs.${name}.ifindex`, out);
    }
  });
  s.netdevs.forEach((d, i) => {
    if (d.peer === undefined) return;
    if (d.peer === d.name) out.push({ path: `netdevs[${i}].peer`, message: `device ${d.name} cannot be its own peer` });
    else if (!k.devices.has(d.peer)) out.push({ path: `netdevs[${i}].peer`, message: `no device is named ${d.peer}` });
  });
  s.chains.forEach((c, i) => {
    missingProgram(k, c.prev, `chains[${i}].prev`, out);
    missingProgram(k, c.next, `chains[${i}].next`, out);
    if (c.retcode < -1 || c.retcode > 6) out.push({ path: `chains[${i}].retcode`, message: `expected -1 (any) or 0..6, got ${c.retcode}` });
  });
  s.attachments.forEach((a, i) => {
    missingDevice(k, a.ifindex, `attachments[${i}].ifindex`, out);
    missingProgram(k, a.program, `attachments[${i}].program`, out);
  });
  s.links.forEach((l, i) => {
    missingProgram(k, l.program, `links[${i}].program`, out);
    if (l.kind === 'xdp') missingDevice(k, l.ifindex, `links[${i}].ifindex`, out);
  });
  return out;
}
