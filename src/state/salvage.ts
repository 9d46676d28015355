import { availableParallelism } from 'node:os';
import { emptySnapshot, type StateSnapshot } from './snapshot.js';
import { snapshotProblems } from './state-file.js';
import { isRecord, shown, type Problem } from './validate.js';

/** One part of a damaged state that repair left out or reset, and why. */
export interface Dropped {
  /** Where it was: `chains[0]`, `collections[1]`, `routing`. */
  readonly path: string;
  /** What it was, in words a user recognises (`program xdp_fw (id 3)`). */
  readonly what: string;
  readonly why: string;
}

type Json = Record<string, unknown>;
const ROUNDS = 100;

/** The part of a state a problem's path falls in: what is dropped (or reset) together. */
function unitOf(path: string): { top: string; index?: number; key?: string; entry?: { map: string; index: number } } {
  const m = /^(\w+)(?:\[(\d+)\]|\.([^.[]+))?(?:\.maps\.([^.[]+)\.entries\[(\d+)\])?/.exec(path);
  if (!m) return { top: '' };
  return {
    top: m[1],
    ...(m[2] !== undefined ? { index: Number(m[2]) } : {}),
    ...(m[3] !== undefined ? { key: m[3] } : {}),
    ...(m[4] !== undefined ? { entry: { map: m[4], index: Number(m[5]) } } : {}),
  };
}

/** A collection, device, chain… described by what it holds, for the report of what was dropped. */
function describe(top: string, v: unknown): string {
  if (!isRecord(v)) return shown(v);
  switch (top) {
    case 'collections': {
      const programs = isRecord(v.programs) ? Object.entries(v.programs).map(([n, p]) => `${n} (id ${isRecord(p) ? shown(p.id) : '?'})`) : [];
      const maps = isRecord(v.maps) ? Object.entries(v.maps).map(([n, m]) => `${n} (id ${isRecord(m) ? shown(m.id) : '?'})`) : [];
      return `the object ${typeof v.object === 'string' ? `${v.object.slice(0, 12)}…` : shown(v.object)}: programs ${programs.join(', ') || 'none'}; maps ${maps.join(', ') || 'none'}`;
    }
    case 'netdevs':
      return `device ${shown(v.name)} (ifindex ${shown(v.ifindex)})`;
    case 'chains':
      return `chain from program ${shown(v.prev)} on ${shown(v.retcode)} to program ${shown(v.next)}`;
    case 'attachments':
      return `program ${shown(v.program)} attached to ifindex ${shown(v.ifindex)}`;
    case 'links':
      return `${shown(v.kind)} link ${shown(v.id)} of program ${shown(v.program)}`;
    default:
      return shown(v);
  }
}

const maxId = (ids: unknown[]): number => Math.max(0, ...ids.filter((x): x is number => typeof x === 'number'));

/** Ids that follow the largest id in use, when the saved ones do not. */
function nextIds(s: Json): Json {
  const collections = Array.isArray(s.collections) ? s.collections.filter(isRecord) : [];
  const programs = collections.flatMap((c) => (isRecord(c.programs) ? Object.values(c.programs) : [])).map((p) => (isRecord(p) ? p.id : undefined));
  const maps = collections.flatMap((c) => (isRecord(c.maps) ? Object.values(c.maps) : [])).map((m) => (isRecord(m) ? m.id : undefined));
  const links = Array.isArray(s.links) ? s.links.map((l) => (isRecord(l) ? l.id : undefined)) : [];
  const old = isRecord(s.ids) ? s.ids : {};
  const next = (saved: unknown, used: unknown[]) => Math.max(typeof saved === 'number' && Number.isSafeInteger(saved) ? saved : 1, maxId(used) + 1);
  return { nextProgram: next(old.nextProgram, programs), nextMap: next(old.nextMap, maps), nextLink: next(old.nextLink, links) };
}

/** Fix or drop the part one problem is in; returns what was dropped, or undefined when it was fixed in place. */
function dropFor(s: Json, p: Problem): Dropped | undefined {
  const u = unitOf(p.path);
  const fresh = emptySnapshot(availableParallelism()) as unknown as Json;
  const why = `${p.path ? `${p.path}: ` : ''}${p.message}`;
  if (u.top === 'netdevs' && u.index !== undefined && /^netdevs\[\d+\]\.peer$/.test(p.path) && p.message.startsWith('no device is named')) {
    // Its other end is gone; the device itself can live on, unpaired.
    const dev = (s.netdevs as Json[])[u.index];
    delete dev.peer;
    return { path: p.path, what: `the pairing of device ${shown(dev.name)} (now unpaired)`, why };
  }
  const counters = /^collections\[(\d+)\]\.programs\.([^.[]+)\.(stats|loadedAt)\b/.exec(p.path);
  if (counters && Array.isArray(s.collections)) {
    // Statistics and load times are not worth a program: they start again.
    const program = ((s.collections[Number(counters[1])] as Json).programs as Json)[counters[2]] as Json;
    if (counters[3] === 'stats') program.stats = { runCount: 0, runTimeNs: 0 };
    else program.loadedAt = new Date().toISOString();
    return {
      path: `collections[${counters[1]}].programs.${counters[2]}.${counters[3]}`,
      what: `the ${counters[3] === 'stats' ? 'run statistics' : 'load time'} of program ${counters[2]} (now ${counters[3] === 'stats' ? 'zero' : 'the time of the repair'})`,
      why,
    };
  }
  if (u.top === 'ids') {
    s.ids = nextIds(s);
    return undefined;
  }
  if (u.top === 'version' || u.top === 'possibleCpus' || u.top === 'routing' || (u.top in fresh && !Array.isArray(s[u.top]) && Array.isArray(fresh[u.top]))) {
    const dropped = { path: u.top, what: `${u.top} ${shown(s[u.top])}`, why };
    s[u.top] = fresh[u.top];
    return u.top === 'version' || u.top === 'possibleCpus' ? { ...dropped, what: `${dropped.what}, set to ${shown(fresh[u.top])}` } : dropped;
  }
  if (u.top === 'objects') {
    const objects = isRecord(s.objects) ? s.objects : {};
    if (u.key !== undefined) objects[u.key] = { source: 'unknown (entry rebuilt by state repair)' };
    s.objects = objects;
    return { path: p.path, what: 'the source path of an object', why };
  }
  if (u.top === 'collections' && u.index !== undefined && u.entry && Array.isArray(s.collections)) {
    const c = s.collections[u.index] as Json;
    const entries = ((c.maps as Json)[u.entry.map] as Json).entries as unknown[];
    const [gone] = entries.splice(u.entry.index, 1);
    return { path: p.path.replace(/(entries\[\d+\]).*/, '$1'), what: `map ${u.entry.map} entry ${shown(gone)}`, why };
  }
  if (u.top === 'hooks' && u.key !== undefined && isRecord(s.hooks)) {
    const hook = s.hooks[u.key];
    const index = /^hooks\.[^.[]+\[(\d+)\]/.exec(p.path)?.[1];
    if (Array.isArray(hook) && index !== undefined) {
      const [gone] = hook.splice(Number(index), 1);
      return { path: `hooks.${u.key}[${index}]`, what: `${u.key} ${shown(gone)}`, why };
    }
    delete s.hooks[u.key];
    return { path: `hooks.${u.key}`, what: `all ${u.key} ${shown(hook)}`, why };
  }
  const list = s[u.top];
  if (Array.isArray(list) && u.index !== undefined) {
    const [gone] = list.splice(u.index, 1);
    return { path: `${u.top}[${u.index}]`, what: describe(u.top, gone), why };
  }
  const whole = s[u.top];
  s[u.top] = fresh[u.top];
  return { path: u.top || '(the whole file)', what: shown(whole), why };
}

/**
 * Make a damaged (but parsed) state usable by leaving out what is wrong: each problem drops the
 * smallest part that holds it (a map entry, a chain, a device, a whole collection), then what
 * referred to the dropped parts goes in the next round. Returns the state and what went.
 */
export function salvageState(value: unknown, dir: string): { snapshot: StateSnapshot; dropped: Dropped[] } {
  if (!isRecord(value))
    return { snapshot: emptySnapshot(availableParallelism()), dropped: [{ path: '(the whole file)', what: shown(value), why: 'not a saved state' }] };
  const s = JSON.parse(JSON.stringify(value)) as Json;
  const dropped: Dropped[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const problems = snapshotProblems(s, dir);
    if (problems.length === 0) return { snapshot: s as unknown as StateSnapshot, dropped };
    // One problem per round: dropping a part shifts the indexes the other problems name.
    const d = dropFor(s, problems[0]);
    if (d) dropped.push(d);
  }
  return {
    snapshot: emptySnapshot(availableParallelism()),
    dropped: [...dropped, { path: '(the whole file)', what: 'everything left', why: `still damaged after ${ROUNDS} repairs` }],
  };
}
