import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { XdpchainError } from '../errors/index.js';
import { readCollectionSpec } from '../elf/collection.js';
import { loadBtfFile, parseBtfFile } from '../elf/btf-file.js';
import type { Btf } from '../btf/types.js';
import { ArrayMap } from '../maps/array.js';
import { u32Key, type BpfMap } from '../maps/map.js';
import type { Program } from '../runtime/program.js';
import { Runtime } from '../runtime/runtime.js';
import type { CollectionSpec } from '../object-spec/collection-spec.js';
import { applyLoadEdits, type LoadEdits } from '../object-spec/edit.js';
import type { SkippedProgram } from '../runtime/select.js';
import type { EngineName } from '../vm/engine.js';
import type { ModuleStore } from '../vm/module-store.js';
import { Routing } from '../xdp/routing.js';
import { fileError, writeFileAtomic } from './atomic-file.js';
import { sameState } from './compare.js';
import { stateExtensions } from './extensions.js';
import { StateLock } from './lock.js';
import { emptySnapshot, type CollectionState, type LinkState, type StateSnapshot } from './snapshot.js';
import { resolveStateDir, type StateDirectory } from './state-dir.js';
import { readState, STATE_FILE, StateFileError, writeState } from './state-file.js';

export { DEFAULT_STATE_DIR } from './state-dir.js';
export { registerStateExtension, type StateExtension } from './extensions.js';
/** Maps whose contents are events or live sockets, not state to keep. */
const TRANSIENT_MAP_TYPES = new Set(['ringbuf', 'perf_event_array', 'xskmap']);

export interface SessionOptions {
  /** State directory; default $XDPCHAIN_STATE or ./.xdpchain. */
  dir?: string;
  engine?: EngineName;
  /** The runtime's memory limit (RuntimeOptions.maxDataBytes; default the largest). */
  maxDataBytes?: number;
  /** Where compiled modules are kept between invocations (RuntimeOptions.moduleCache). */
  moduleCache?: ModuleStore;
}

/** What one `prog load` brought in: the object and the programs and maps it created. */
interface LoadedObject {
  sha: string;
  edits?: LoadEdits;
  kernelBtf?: { sha: string; source: string };
  programs: Map<string, Program>;
  maps: Map<string, BpfMap>;
}

/** Error codes that mean "this directory is not ours to write", for which a session opens read-only. */
const READ_ONLY_CODES = new Set(['EROFS', 'EACCES', 'EPERM']);

/** How a session holds its directory: locked for writing, or read-only because it cannot write it. */
type Access = { lock: StateLock } | { readOnly: string };

/**
 * The runtime of a state directory (like bpffs plus the kernel's objects): opening it restores
 * every object, map content, device, chain, attachment and link that earlier invocations left;
 * `save` writes them back. The directory is locked while a session is open.
 */
export class Session {
  readonly rt: Runtime;
  readonly dir: string;
  private readonly loaded: LoadedObject[] = [];
  private readonly sources: Record<string, { source: string }>;
  private readonly where: StateDirectory;
  private readonly access: Access | undefined;
  /** The state as restored (less what restoring had to leave out): what a read-only session may not change. */
  private readonly baseline: StateSnapshot;
  /** The text of state.json as read: written to state.json.prev when the state changes. */
  private savedText: string | undefined;
  private closed = false;
  /** Things the user should know that did not stop the command (a capture that had to be stopped). */
  readonly warnings: string[] = [];

  private constructor(where: StateDirectory, access: Access | undefined, snapshot: StateSnapshot, opts: SessionOptions) {
    this.dir = where.path;
    this.where = where;
    this.access = access;
    this.baseline = snapshot;
    this.sources = { ...snapshot.objects };
    this.rt = new Runtime({ engine: opts.engine, maxDataBytes: opts.maxDataBytes, possibleCpus: snapshot.possibleCpus, moduleCache: opts.moduleCache });
  }

  /**
   * Open a state directory and restore it. A directory this process cannot write (read-only
   * filesystem, permissions) opens read-only: commands that change nothing work, and `save`
   * refuses with EROFS/EACCES naming the directory and what chose it.
   */
  static open(opts: SessionOptions = {}): Session {
    const where = resolveStateDir(opts.dir);
    const access = Session.takeDirectory(where.path);
    try {
      const read = readState(where.path);
      const snapshot = read?.snapshot ?? emptySnapshot(availableParallelism());
      const s = new Session(where, access, snapshot, opts);
      s.savedText = read?.text;
      s.restoreOrExplain(snapshot);
      return s;
    } catch (e) {
      if ('lock' in access) access.lock.release();
      throw e;
    }
  }

  /**
   * Restore a snapshot without taking the directory, to see whether it restores (`state check`,
   * `state repair`): captures are checked but not resumed. Returns the error restoring gave.
   */
  static trial(dir: string, snapshot: StateSnapshot, opts: Pick<SessionOptions, 'engine'> = {}): { error?: Error; warnings: string[] } {
    const s = new Session({ path: resolve(dir), origin: '--state' }, undefined, snapshot, { ...opts, maxDataBytes: undefined });
    try {
      s.restore(snapshot);
      return { warnings: s.warnings };
    } catch (e) {
      return { error: e as Error, warnings: s.warnings };
    }
  }

  /** Restoring without taking the directory: nothing is written and no capture file is opened. */
  get isTrial(): boolean {
    return this.access === undefined;
  }

  /** Tell the user about something that did not stop the command. */
  warn(message: string): void {
    this.warnings.push(message);
  }

  private static takeDirectory(dir: string): Access {
    try {
      // One level at a time: Node's recursive mkdir spins forever where a parent answers ENOENT
      // although it exists (/proc).
      const missing: string[] = [];
      for (let p = resolve(dir); !existsSync(p) && dirname(p) !== p; p = dirname(p)) missing.unshift(p);
      for (const p of [...missing, join(dir, 'objects'), join(dir, 'btf')]) if (!existsSync(p)) mkdirSync(p);
      return { lock: StateLock.acquire(join(dir, 'lock')) };
    } catch (e) {
      const code = e instanceof XdpchainError ? e.errno : (e as NodeJS.ErrnoException).code;
      if (code !== undefined && READ_ONLY_CODES.has(code)) return { readOnly: code };
      throw e instanceof XdpchainError ? e : fileError(e, dir, 'open the state directory');
    }
  }

  /** Restore, turning a failure into one that names state.json and what to run. */
  private restoreOrExplain(snapshot: StateSnapshot): void {
    try {
      this.restore(snapshot);
    } catch (e) {
      if (!(e instanceof XdpchainError) || e instanceof StateFileError) throw e;
      throw new XdpchainError(e.errno, `${join(this.dir, STATE_FILE)} does not restore: ${e.message}; run 'xdpchain state check' / 'xdpchain state repair'`, {
        ...e.detail,
        file: join(this.dir, STATE_FILE),
      });
    }
  }

  /** The error for a change to a directory this session may not write. */
  private notWritable(): XdpchainError {
    const code = this.access && 'readOnly' in this.access ? this.access.readOnly : 'EACCES';
    return new XdpchainError(
      code === 'EROFS' ? 'EROFS' : 'EACCES',
      `state directory ${this.dir} (from ${this.where.origin}) is not writable (${code}), and this command changes the state; choose a writable one with --state DIR or $XDPCHAIN_STATE`,
      { path: this.dir },
    );
  }

  /** Keep a file by content hash (objects/, btf/); a file a killed writer left short is written again. */
  private keepFile(path: string, bytes: Uint8Array, sha: string): void {
    if (existsSync(path) && createHash('sha256').update(readFileSync(path)).digest('hex') === sha) return;
    if (!this.access || 'readOnly' in this.access) throw this.notWritable();
    writeFileAtomic(path, bytes);
  }

  /**
   * Load an object's maps and programs (the named ones, or every XDP program) after the loader's
   * edits; freplace programs need a target. `btf` is a BTF file to apply CO-RE relocations against
   * (default: the runtime's default). Returns the programs loaded and those left out.
   */
  loadObject(
    path: string,
    opts: { programs?: string[]; target?: Program; function?: string; flags?: number; edits?: LoadEdits; btf?: string; bindTo?: number } = {},
  ): { programs: Program[]; skipped: readonly SkippedProgram[] } {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (e) {
      throw new XdpchainError('ENOENT', `cannot read ${path}: ${(e as Error).message}`);
    }
    const sha = createHash('sha256').update(bytes).digest('hex');
    const spec = readCollectionSpec(new Uint8Array(bytes), { source: path });
    const edits = opts.edits && Object.keys(opts.edits).length > 0 ? opts.edits : undefined;
    if (edits) applyLoadEdits(spec, edits);
    if (opts.flags) for (const p of spec.programs.values()) p.flags |= opts.flags;
    const targets = new Map<string, { program: Program; function?: string }>();
    for (const p of spec.programs.values()) {
      if (p.type === 'ext' && opts.target && (!opts.programs || opts.programs.includes(p.name)))
        targets.set(p.name, { program: opts.target, function: opts.function });
    }
    const btf = opts.btf !== undefined ? this.keepBtf(opts.btf) : undefined;
    const coll = this.rt.loadCollection(spec, {
      programs: opts.programs,
      extensionTargets: targets,
      ...(btf ? { kernelBtf: btf.btf } : {}),
      ...(opts.bindTo !== undefined ? { bindTo: opts.bindTo } : {}),
    });
    this.keepFile(join(this.dir, 'objects', `${sha}.o`), bytes, sha);
    this.sources[sha] = { source: resolve(path) };
    this.loaded.push({
      sha,
      programs: new Map(coll.programs),
      maps: new Map(coll.maps),
      ...(edits ? { edits } : {}),
      ...(btf ? { kernelBtf: btf.saved } : {}),
    });
    return { programs: [...coll.programs.values()], skipped: coll.skipped };
  }

  /** Read a BTF file given at load and keep its bytes in btf/<sha256>.btf for restores. */
  private keepBtf(path: string): { btf: Btf; saved: { sha: string; source: string } } {
    const { btf, bytes } = loadBtfFile(path);
    const sha = createHash('sha256').update(bytes).digest('hex');
    this.keepFile(join(this.dir, 'btf', `${sha}.btf`), bytes, sha);
    return { btf, saved: { sha, source: resolve(path) } };
  }

  /** The BTF a restored collection was relocated against, from the state directory. */
  private storedBtf(saved: { sha: string; source: string }): Btf {
    const path = join(this.dir, 'btf', `${saved.sha}.btf`);
    if (!existsSync(path)) throw new XdpchainError('ENOENT', `state directory ${this.dir} is damaged: the BTF ${saved.sha} (${saved.source}) is missing`);
    return parseBtfFile(readFileSync(path), saved.source);
  }

  /** `prog unload`: refused while the program is attached, linked, chained to or replaced into. */
  unloadProgram(p: Program): void {
    this.rt.unload(p);
    for (const [i, l] of this.loaded.entries()) {
      for (const [name, q] of l.programs) if (q === p) l.programs.delete(name);
      if (l.programs.size === 0) {
        for (const m of l.maps.values()) this.rt.closeMap(m);
        this.loaded.splice(i, 1);
      }
    }
  }

  /** A program by id or name; a name shared by several programs must be given as an id. */
  program(ref: string): Program {
    const all = this.rt.programs();
    if (/^\d+$/.test(ref)) {
      const p = this.rt.program(Number(ref));
      if (!p) throw new XdpchainError('ENOENT', `no program with id ${ref} (see prog show)`);
      return p;
    }
    const named = all.filter((p) => p.name === ref);
    if (named.length === 0) throw new XdpchainError('ENOENT', `no program named ${ref} (see prog show)`);
    if (named.length > 1) throw new XdpchainError('EINVAL', `${named.length} programs are named ${ref} (ids ${named.map((p) => p.id).join(', ')}); give an id`);
    return named[0];
  }

  map(ref: string): BpfMap {
    if (/^\d+$/.test(ref)) {
      const m = this.rt.maps.get(Number(ref));
      if (!m) throw new XdpchainError('ENOENT', `no map with id ${ref} (see map show)`);
      return m;
    }
    const named = this.rt.maps.all().filter((m) => m.spec.name === ref);
    if (named.length === 0) throw new XdpchainError('ENOENT', `no map named ${ref} (see map show)`);
    if (named.length > 1) throw new XdpchainError('EINVAL', `${named.length} maps are named ${ref} (ids ${named.map((m) => m.id).join(', ')}); give an id`);
    return named[0];
  }

  /** The object a program was loaded from (for status output). */
  objectOf(p: Program): string | undefined {
    const l = this.loaded.find((x) => [...x.programs.values()].includes(p));
    return l && this.sources[l.sha]?.source;
  }

  /**
   * Write the state back, atomically, keeping the state it replaces as state.json.prev; nothing
   * is written when nothing changed. A read-only session refuses a change (EROFS/EACCES).
   */
  save(): void {
    if (this.closed) return;
    const snapshot = this.capture();
    if (!this.access || 'readOnly' in this.access) {
      if (!sameState(snapshot, this.baseline)) throw this.notWritable();
      return;
    }
    const text = JSON.stringify(snapshot, null, 1);
    // A command that changed nothing writes nothing (and a fresh directory gets no state.json from `prog show`).
    if (text === this.savedText || (this.savedText === undefined && sameState(snapshot, this.baseline))) return;
    writeState(this.dir, text, this.savedText);
    this.savedText = text;
  }

  /** Release the directory. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.access && 'lock' in this.access) this.access.lock.release();
  }

  private capture(): StateSnapshot {
    const rt = this.rt;
    const collections: CollectionState[] = this.loaded.map((l) => ({
      object: l.sha,
      ...(l.edits ? { edits: l.edits } : {}),
      programs: Object.fromEntries(
        [...l.programs].map(([name, p]) => {
          const t = rt.extensionTarget(p);
          const bound = p.boundIfindex !== undefined ? { ifindex: p.boundIfindex } : {};
          return [
            name,
            {
              id: p.id,
              stats: { runCount: p.stats.runCount, runTimeNs: p.stats.runTimeNs },
              loadedAt: p.loadedAt.toISOString(),
              flags: p.spec.flags,
              ...bound,
              ...(t ? { target: { program: t.program.id, function: t.function } } : {}),
            },
          ];
        }),
      ),
      maps: Object.fromEntries([...l.maps].map(([name, m]) => [name, { id: m.id, entries: TRANSIENT_MAP_TYPES.has(m.spec.type) ? [] : dumpEntries(m) }])),
      ...(l.kernelBtf ? { kernelBtf: l.kernelBtf } : {}),
    }));
    const pins = new Map([...rt.links.pins].map(([name, l]) => [l, name]));
    const links: LinkState[] = rt.links
      .all()
      .filter((l) => !l.ownedBy)
      .map((l) => {
        const pin = pins.get(l);
        const extra = pin ? { pin } : {};
        return l.kind === 'xdp'
          ? { id: l.id, kind: 'xdp', program: l.program.id, ifindex: Number(l.describe().ifindex), ...extra }
          : { id: l.id, kind: 'freplace', program: l.program.id, ...extra };
      });
    const devs = rt.fabric.list().filter((d) => d.ifindex !== 1);
    const snapshot: StateSnapshot = {
      version: 1,
      possibleCpus: rt.services.possibleCpus,
      ids: { nextProgram: rt.nextProgramIdValue, nextMap: rt.maps.next, nextLink: rt.links.next },
      objects: Object.fromEntries(this.loaded.map((l) => [l.sha, this.sources[l.sha]])),
      collections,
      netdevs: devs.map((d) => ({
        name: d.name,
        ifindex: d.ifindex,
        ...(d.peer ? { peer: d.peer.name } : {}),
        mac: Buffer.from(d.mac).toString('hex'),
        mtu: d.mtu,
        stats: { ...d.stats },
        ...(d.rxMetadata.size > 0 ? { rxMetadata: [...d.rxMetadata] } : {}),
        ...(d.rxVlanStrip ? { rxVlanStrip: true } : {}),
      })),
      routing: rt.fabric.routing.toJSON(),
      chains: rt.programs().flatMap((p) => rt.chains.edges(p).map((e) => ({ prev: p.id, retcode: e.retcode === 'any' ? -1 : e.retcode, next: e.next.id }))),
      attachments: devs.flatMap((d) => {
        const p = rt.xdp.programOf(d);
        return p && !rt.xdp.linkOf(d) ? [{ ifindex: d.ifindex, program: p.id }] : [];
      }),
      links,
      hooks: Object.fromEntries(stateExtensions().map((e) => [e.key, e.capture(this)])),
    };
    return snapshot;
  }

  private restore(s: StateSnapshot): void {
    const rt = this.rt;
    for (const d of [...s.netdevs].sort((a, b) => a.ifindex - b.ifindex)) {
      if (rt.fabric.find(d.name)) continue;
      const peer = d.peer ? s.netdevs.find((x) => x.name === d.peer) : undefined;
      const rx = { rxMetadata: d.rxMetadata ?? [], rxVlanStrip: d.rxVlanStrip ?? false };
      const dev = rt.fabric.add(d.name, peer ? { peer: peer.name, ifindex: d.ifindex, peerIfindex: peer.ifindex, ...rx } : { ifindex: d.ifindex, ...rx });
      for (const x of [d, peer]) {
        if (!x) continue;
        const nd = x === d ? dev : dev.peer!;
        nd.mac = new Uint8Array(Buffer.from(x.mac, 'hex'));
        nd.mtu = x.mtu;
        Object.assign(nd.stats, x.stats);
      }
    }
    rt.fabric.routing = Routing.fromJSON(s.routing);

    // Programs that replace functions of other programs come after their targets.
    const order = [...s.collections].sort((a, b) => Number(hasTargets(a)) - Number(hasTargets(b)));
    const restored: { c: CollectionState; l: LoadedObject }[] = [];
    for (const c of order) {
      const spec = this.storedSpec(c.object);
      if (c.edits) applyLoadEdits(spec, c.edits);
      for (const [name, p] of Object.entries(c.programs)) {
        const ps = spec.programs.get(name);
        if (ps && p.flags !== undefined) ps.flags = p.flags;
        if (ps && p.ifindex !== undefined) ps.ifindex = p.ifindex;
      }
      const targets = new Map<string, { program: Program; function?: string }>();
      for (const [name, p] of Object.entries(c.programs)) {
        if (p.target) targets.set(name, { program: this.existing(p.target.program), function: p.target.function });
      }
      const coll = rt.loadCollection(spec, {
        programs: Object.keys(c.programs),
        programIds: new Map(Object.entries(c.programs).map(([n, p]) => [n, p.id])),
        mapIds: new Map(Object.entries(c.maps).map(([n, m]) => [n, m.id])),
        extensionTargets: targets,
        ...(c.kernelBtf ? { kernelBtf: this.storedBtf(c.kernelBtf) } : {}),
      });
      for (const [name, p] of coll.programs) {
        const saved = c.programs[name];
        Object.assign(p.stats, saved.stats);
        p.loadedAt = new Date(saved.loadedAt);
      }
      const l: LoadedObject = {
        sha: c.object,
        programs: new Map(coll.programs),
        maps: new Map(coll.maps),
        ...(c.edits ? { edits: c.edits } : {}),
        ...(c.kernelBtf ? { kernelBtf: c.kernelBtf } : {}),
      };
      this.loaded.push(l);
      restored.push({ c, l });
    }
    for (const [i, { c, l }] of restored.entries()) {
      for (const [name, m] of Object.entries(c.maps)) {
        const map = l.maps.get(name);
        if (!map)
          throw new XdpchainError(
            'EINVAL',
            `collections[${i}].maps.${name}: the object has no map ${name} (it has ${[...l.maps.keys()].join(', ') || 'none'})`,
          );
        for (const e of m.entries) map.loaderUpdate(new Uint8Array(Buffer.from(e.key, 'hex')), new Uint8Array(Buffer.from(e.value, 'hex')));
      }
    }
    rt.maps.reserveIdsBelow(s.ids.nextMap);
    rt.reserveProgramIdsBelow(s.ids.nextProgram);
    rt.links.reserveIdsBelow(s.ids.nextLink);
    for (const ch of s.chains) rt.chains.add(this.existing(ch.prev), ch.retcode, this.existing(ch.next));
    for (const a of s.attachments) rt.xdp.attach(rt.fabric.get(a.ifindex), this.existing(a.program));
    for (const l of s.links) {
      const link =
        l.kind === 'xdp' ? rt.xdp.link(rt.fabric.get(l.ifindex), this.existing(l.program), l.id) : rt.attachExtension(this.existing(l.program), l.id);
      if (l.pin) rt.links.pin(link, l.pin);
    }
    for (const e of stateExtensions()) {
      const saved = s.hooks?.[e.key];
      if (saved === undefined) continue;
      const kept = e.restore(this, saved);
      // What restoring left out (and warned about) is no change a read-only session must refuse.
      if (kept !== undefined && this.baseline.hooks) this.baseline.hooks = { ...this.baseline.hooks, [e.key]: kept };
    }
  }

  private storedSpec(sha: string): CollectionSpec {
    const path = join(this.dir, 'objects', `${sha}.o`);
    if (!existsSync(path))
      throw new XdpchainError('ENOENT', `state directory ${this.dir} is damaged: object ${sha} (${this.sources[sha]?.source ?? '?'}) is missing`);
    return readCollectionSpec(new Uint8Array(readFileSync(path)), { source: this.sources[sha]?.source ?? path });
  }

  private existing(id: number): Program {
    const p = this.rt.program(id);
    if (!p) throw new XdpchainError('ENOENT', `state directory ${this.dir} refers to program ${id}, which was not restored`);
    return p;
  }
}

function hasTargets(c: CollectionState): boolean {
  return Object.values(c.programs).some((p) => p.target);
}

function dumpEntries(m: BpfMap): { key: string; value: string }[] {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  // An array created afresh is all zeros (unless it has initial data): only other values need keeping.
  if (m instanceof ArrayMap && !m.spec.initialData) return m.nonZeroIndexes().map((i) => ({ key: hex(u32Key(i)), value: hex(m.lookup(u32Key(i))!) }));
  const out: { key: string; value: string }[] = [];
  const seen = new Set<string>();
  for (let k = m.nextKey(); k !== undefined; k = m.nextKey(k)) {
    const key = Buffer.from(k).toString('hex');
    if (seen.has(key)) break;
    seen.add(key);
    const v = m.lookup(k);
    if (v) out.push({ key, value: Buffer.from(v).toString('hex') });
  }
  return out;
}
