/**
 * The kernel oracle: runs a Scenario on the Linux kernel through `bpftool prog run`
 * (BPF_PROG_TEST_RUN) and returns what the kernel answered, in the golden-file format.
 *
 * Every packet runs on a fresh load of the object, inside a private mount namespace (a temporary
 * bpffs: nothing is ever pinned under the shared /sys/fs/bpf) and a private network namespace (only
 * `lo`, plus the links, routes and neighbours of `Scenario.netns`), so cases cannot see each other
 * or the host. Per case the steps are:
 *   1. `bpftool prog loadall OBJ BPFFS/progs pinmaps BPFFS/maps` — all programs (tail-call targets)
 *   2. setup: `bpftool map update pinned …` (prog_array values: `value pinned BPFFS/progs/NAME`)
 *   3. `taskset -c 0 bpftool -j prog run pinned … data_in … data_out … [ctx_in … ctx_out …] repeat N`
 *      (CPU 0, so bpf_get_smp_processor_id and per-CPU map slots are deterministic)
 *   4. `bpftool -j map dump pinned …` for every dumpable map.
 *
 * Map names. Golden files and setups use the names the object itself uses (our "spec names"):
 * the map's ELF symbol for BTF-defined maps, and the ELF section name (`.bss`, `.data`, `.rodata`,
 * `.rodata.str1.1`, …) for global data. The kernel's names differ: libbpf names a global-data map
 * `<first 8 chars of the object name><section>` (`firewall.bss`, `load_bal.rodata`), the kernel
 * keeps 15 characters, and libbpf pins maps under `bpf_map__name()` with every `.` replaced by `_`
 * (`firewall_bss`). The mapping used here, from what `bpftool map show` reports:
 *   - kernel name contains `.`  → global data; spec name = the kernel name from its first `.`
 *     (a C identifier cannot contain `.`, and libbpf's object-name prefix never does);
 *   - otherwise                 → spec name = the pin file name (libbpf's full, untruncated name).
 * (Because of that `.` → `_` rewrite, the temporary bpffs path must not contain a `.` either.)
 *
 * Maps not recorded, with the reason:
 *   - ringbuf, perf_event_array: no lookup from userspace, `bpftool map dump` cannot read them;
 *   - xskmap: lookup from userspace is EOPNOTSUPP;
 *   - prog_array: values are kernel program ids, which differ on every load;
 *   - the scenario's `ignoreMaps` (time, randomness).
 * Empty devmap/cpumap slots (lookup ENOENT) are left out of the dump, like absent hash keys.
 * Entries are sorted by key bytes (hex string order).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEFAULT_TIMEOUT_S, protocolNumber, type ConntrackEntryText } from '../../src/conntrack/request.js';
import type { CaseResult, GoldenFile, MapDump, MapUpdate, NetnsSetup, PacketCase, Scenario } from './scenario.js';
import { errnoFromMessage, run, shq } from './shell.js';

export const BPFTOOL = process.env.XDPCHAIN_BPFTOOL ?? 'bpftool';

/** Map types whose contents are not recorded (see the file comment). */
export const UNDUMPABLE_MAP_TYPES = new Set(['ringbuf', 'perf_event_array', 'xskmap', 'prog_array', 'user_ringbuf']);
/** data_size_out given to every run. */
const OUTPUT_BUFFER_BYTES = 1 << 20;

export interface KernelMap {
  /** Our name: ELF symbol, or section name for global data. */
  specName: string;
  /** File name under the pinmaps directory. */
  pinName: string;
  /** Name the kernel reports (at most 15 characters). */
  kernelName: string;
  type: string;
  keySize: number;
  valueSize: number;
  maxEntries: number;
}

export interface LoadedObject {
  maps: KernelMap[];
  programs: string[];
}

export function repoRoot(): string {
  return resolve(new URL('../..', import.meta.url).pathname);
}

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** The spec name for a map, from its pin file name and the name the kernel reports. */
export function specNameFor(pinName: string, kernelName: string): string {
  const dot = kernelName.indexOf('.');
  return dot >= 0 ? kernelName.slice(dot) : pinName;
}

function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'xdpchain-oracle-'));
  if (dir.includes('.')) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`temporary dir ${dir} contains a '.', which libbpf rewrites in pin paths; set TMPDIR`);
  }
  return dir;
}

/** Run a script as root in fresh mount and network namespaces. */
async function inPrivateNamespaces(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return run('unshare', ['--mount', '--net', '--propagation', 'private', 'sh', '-c', script]);
}

const SAFE_ARG = /^[A-Za-z0-9_.:/=, -]+$/;

function safeWords(text: string, what: string): string {
  if (!SAFE_ARG.test(text)) throw new Error(`netns ${what} ${JSON.stringify(text)} has characters outside [A-Za-z0-9_.:/=, -]`);
  return text.trim().split(/\s+/).map(shq).join(' ');
}

/** Shell commands that build the scenario's network namespace contents (inside the fresh netns). */
export function netnsCommands(n: NetnsSetup | undefined): string[] {
  const cmds = ['ip link set lo up'];
  if (!n) return cmds;
  for (const l of n.links) {
    const name = safeWords(l.name, 'link name');
    const index = l.ifindex !== undefined ? ` index ${l.ifindex}` : '';
    const mac = l.mac ? ` address ${safeWords(l.mac, 'mac')}` : '';
    if (l.peer) {
      const peerIndex = l.peerIfindex !== undefined ? ` index ${l.peerIfindex}` : '';
      const peerMac = l.peerMac ? ` address ${safeWords(l.peerMac, 'mac')}` : '';
      cmds.push(`ip link add ${name}${index}${mac} type veth peer name ${safeWords(l.peer, 'peer name')}${peerIndex}${peerMac}`);
    } else {
      cmds.push(`ip link add ${name}${index}${mac} type dummy`);
    }
  }
  for (const l of n.links) {
    for (const a of l.addresses) {
      const nodad = a.includes(':') ? ' nodad' : '';
      cmds.push(`ip addr add ${safeWords(a, 'address')} dev ${safeWords(l.name, 'link name')}${nodad}`);
    }
    cmds.push(`ip link set ${safeWords(l.name, 'link name')} up`);
    if (l.peer) cmds.push(`ip link set ${safeWords(l.peer, 'peer name')} up`);
  }
  for (const [key, value] of Object.entries(n.sysctls ?? {})) {
    cmds.push(`sysctl -q -w ${safeWords(`${key}=${value}`, 'sysctl')}`);
  }
  for (const r of n.routes) cmds.push(`ip route add ${safeWords(r, 'route')}`);
  for (const nb of n.neighbours) {
    cmds.push(`ip neigh add ${safeWords(nb.address, 'neighbour')} lladdr ${safeWords(nb.mac, 'mac')} dev ${safeWords(nb.dev, 'dev')} nud permanent`);
  }
  if (n.conntrack?.length) cmds.push(NEED_CONNTRACK_TOOL, ...n.conntrack.map(conntrackInsertCommand));
  return cmds;
}

const NEED_CONNTRACK_TOOL = "command -v conntrack >/dev/null || { echo 'this scenario needs the conntrack tool (Debian package conntrack)' >&2; exit 1; }";

/**
 * `conntrack -I` for one entry. -u comes before -m: conntrack-tools 1.4.7 gives an entry the
 * status bits as its mark when -m comes first.
 */
export function conntrackInsertCommand(e: ConntrackEntryText): string {
  const w = (text: string | number, what: string) => safeWords(String(text), what);
  const args = [
    `-p ${w(e.proto, 'protocol')} -s ${w(e.src, 'address')} -d ${w(e.dst, 'address')} --sport ${w(e.sport, 'port')} --dport ${w(e.dport, 'port')}`,
    `-t ${w(e.timeout ?? DEFAULT_TIMEOUT_S[protocolNumber(e.proto)], 'timeout')}`,
    e.tcpState ? `--state ${w(e.tcpState, 'TCP state')}` : '',
    e.status?.length ? `-u ${w(e.status.join(','), 'status')}` : '',
    e.mark !== undefined ? `-m ${w(e.mark, 'mark')}` : '',
    e.zone !== undefined ? `-w ${w(e.zone, 'zone')}` : '',
    e.dstNat ? `--dst-nat ${w(e.dstNat, 'NAT target')}` : '',
    e.srcNat ? `--src-nat ${w(e.srcNat, 'NAT target')}` : '',
  ];
  return `conntrack -I ${args.filter(Boolean).join(' ')}`;
}

/**
 * `conntrack -L` output as golden files keep it: one line per entry with the seconds left (the
 * third field) taken out and spaces collapsed, sorted.
 */
export function conntrackListing(lines: readonly string[]): string[] {
  return lines
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length > 3)
    .map((f) => [...f.slice(0, 2), ...f.slice(3)].join(' '))
    .sort();
}

function hexWords(hex: string): string {
  const clean = hex.replace(/\s/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(clean)) throw new Error(`not a hex byte string: ${JSON.stringify(hex)}`);
  return clean.match(/../g)!.join(' ');
}

function updateCommand(u: MapUpdate, maps: Map<string, KernelMap>, bpffs: string): string {
  const m = maps.get(u.map);
  if (!m) throw new Error(`setup names map ${u.map}, which the object does not have (it has ${[...maps.keys()].join(', ')})`);
  const target = `${BPFTOOL} map update pinned ${shq(`${bpffs}/maps/${m.pinName}`)} key hex ${hexWords(u.key)}`;
  if ('program' in u) {
    if (!/^[A-Za-z0-9_]+$/.test(u.program)) throw new Error(`bad program name ${u.program}`);
    return `${target} value pinned ${shq(`${bpffs}/progs/${u.program}`)}`;
  }
  if ('values' in u) {
    // bpftool takes one value and writes it to every CPU's slot.
    if (u.values.some((v) => v !== u.values[0])) {
      throw new Error(`map ${u.map}: bpftool can only write the same value to every CPU; use one value`);
    }
    return `${target} value hex ${hexWords(u.values[0])}`;
  }
  return `${target} value hex ${hexWords(u.value)}`;
}

/** Load the object once and list its programs and maps as the kernel sees them. */
export async function probeObject(objectPath: string): Promise<LoadedObject> {
  const dir = workDir();
  try {
    const bpffs = join(dir, 'bpffs');
    const script = [
      'set -e',
      `mkdir ${shq(bpffs)}`,
      `mount -t bpf bpf ${shq(bpffs)}`,
      `${BPFTOOL} prog loadall ${shq(objectPath)} ${shq(`${bpffs}/progs`)} pinmaps ${shq(`${bpffs}/maps`)}`,
      `ls ${shq(`${bpffs}/progs`)} > ${shq(`${dir}/progs.txt`)}`,
      `for f in ${shq(`${bpffs}/maps`)}/*; do [ -e "$f" ] || continue; printf '%s\\t' "$(basename "$f")"; ${BPFTOOL} -j map show pinned "$f"; echo; done > ${shq(`${dir}/maps.txt`)}`,
    ].join('\n');
    const r = await inPrivateNamespaces(script);
    if (r.code !== 0) throw new Error(`loading ${objectPath} failed:\n${tail(r.stderr)}`);
    const programs = readFileSync(join(dir, 'progs.txt'), 'utf8').split('\n').filter(Boolean);
    const maps: KernelMap[] = [];
    for (const line of readFileSync(join(dir, 'maps.txt'), 'utf8').split('\n').filter(Boolean)) {
      const [pinName, json] = line.split('\t');
      const info = JSON.parse(json) as { type: string; name: string; bytes_key: number; bytes_value: number; max_entries: number };
      maps.push({
        specName: specNameFor(pinName, info.name),
        pinName,
        kernelName: info.name,
        type: info.type,
        keySize: info.bytes_key,
        valueSize: info.bytes_value,
        maxEntries: info.max_entries,
      });
    }
    const names = new Set(maps.map((m) => m.specName));
    if (names.size !== maps.length) throw new Error(`${objectPath}: two maps map to the same spec name: ${maps.map((m) => m.specName).join(', ')}`);
    return { programs, maps };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function tail(text: string, lines = 25): string {
  return text
    .split('\n')
    .filter((l) => !/libbpf_strict|strict mode|used to work for this object/.test(l))
    .slice(-lines)
    .join('\n');
}

/** xdp_md as BPF_PROG_TEST_RUN takes it: data (= metadata length), data_end (= data_in size), data_meta, ingress, rxq, egress. */
function encodeCtx(p: PacketCase, frameLength: number): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32LE(p.ctx?.dataMeta ?? 0, 0);
  b.writeUInt32LE(frameLength, 4);
  b.writeUInt32LE(p.ctx?.ingressIfindex ?? 0, 12);
  b.writeUInt32LE(p.ctx?.rxQueueIndex ?? 0, 16);
  return b;
}

type DumpEntry = {
  key: string[];
  value?: string[] | { error: string };
  values?: { cpu: number; value: string[] }[];
};

const bytesHex = (bytes: string[]) => bytes.map((b) => b.replace(/^0x/, '').padStart(2, '0')).join('');

/** bpftool's JSON dump → our MapDump (hex strings, sorted by key, empty slots left out). */
export function convertDump(mapName: string, entries: DumpEntry[]): MapDump {
  const out: MapDump = [];
  for (const e of entries) {
    const key = bytesHex(e.key);
    if (e.values) {
      out.push({ key, values: [...e.values].sort((a, b) => a.cpu - b.cpu).map((v) => bytesHex(v.value)) });
    } else if (Array.isArray(e.value)) {
      out.push({ key, value: bytesHex(e.value) });
    } else if (e.value && 'error' in e.value) {
      if (errnoFromMessage(e.value.error) !== 'ENOENT') throw new Error(`map ${mapName} key ${key}: lookup failed: ${e.value.error}`);
    } else {
      throw new Error(`map ${mapName} key ${key}: unexpected bpftool dump entry ${JSON.stringify(e).slice(0, 200)}`);
    }
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Run one packet of a scenario on a fresh load. */
async function runCase(s: Scenario, objectPath: string, loaded: LoadedObject, p: PacketCase): Promise<CaseResult> {
  const dir = workDir();
  try {
    const bpffs = join(dir, 'bpffs');
    const frame = Buffer.from(p.data, 'hex');
    writeFileSync(join(dir, 'in.bin'), frame);
    const maps = new Map(loaded.maps.map((m) => [m.specName, m]));
    const ignored = new Set(s.ignoreMaps ?? []);
    for (const name of ignored) if (!maps.has(name)) throw new Error(`ignoreMaps names ${name}, which the object does not have`);
    const dumped = loaded.maps.filter((m) => !UNDUMPABLE_MAP_TYPES.has(m.type) && !ignored.has(m.specName));

    const runArgs = [
      `data_in ${shq(`${dir}/in.bin`)}`,
      `data_out ${shq(`${dir}/out.bin`)}`,
      // Room for the largest output (a multi-buffer frame may be up to ~64 KiB plus growth): a
      // smaller buffer makes the kernel report ENOSPC.
      `data_size_out ${OUTPUT_BUFFER_BYTES}`,
    ];
    if (p.ctx) {
      writeFileSync(join(dir, 'ctx.bin'), encodeCtx(p, frame.length));
      runArgs.push(`ctx_in ${shq(`${dir}/ctx.bin`)}`, `ctx_out ${shq(`${dir}/ctxout.bin`)}`);
    }
    runArgs.push(`repeat ${p.repeat ?? 1}`);
    const script = [
      'set -e',
      ...netnsCommands(s.netns),
      `mkdir ${shq(bpffs)}`,
      `mount -t bpf bpf ${shq(bpffs)}`,
      `${BPFTOOL} prog loadall ${shq(objectPath)} ${shq(`${bpffs}/progs`)} pinmaps ${shq(`${bpffs}/maps`)}`,
      ...(s.setup ?? []).map((u) => updateCommand(u, maps, bpffs)),
      `taskset -c 0 ${BPFTOOL} -j prog run pinned ${shq(`${bpffs}/progs/${s.program}`)} ${runArgs.join(' ')} > ${shq(`${dir}/run.json`)} || true`,
      ...dumped.map((m) => `${BPFTOOL} -j map dump pinned ${shq(`${bpffs}/maps/${m.pinName}`)} > ${shq(`${dir}/dump-${m.pinName}.json`)}`),
      ...(s.recordConntrack ? [NEED_CONNTRACK_TOOL, `conntrack -L > ${shq(`${dir}/conntrack.txt`)} 2>/dev/null`] : []),
    ].join('\n');
    const r = await inPrivateNamespaces(script);
    if (r.code !== 0) throw new Error(`scenario ${s.name}, packet ${p.name}: kernel setup failed:\n${tail(r.stderr)}`);

    const runOut = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) as { retval?: number; error?: string };
    if (runOut.error !== undefined) {
      const errno = errnoFromMessage(runOut.error);
      if (!errno) throw new Error(`scenario ${s.name}, packet ${p.name}: bpftool prog run failed: ${runOut.error}`);
      return { error: errno };
    }
    if (typeof runOut.retval !== 'number') {
      throw new Error(`scenario ${s.name}, packet ${p.name}: bpftool prog run printed no retval: ${JSON.stringify(runOut)}`);
    }
    const dumps: Record<string, MapDump> = {};
    for (const m of dumped) {
      dumps[m.specName] = convertDump(m.specName, JSON.parse(readFileSync(join(dir, `dump-${m.pinName}.json`), 'utf8')) as DumpEntry[]);
    }
    const result: CaseResult = {
      retval: runOut.retval,
      dataOut: existsSync(join(dir, 'out.bin')) ? readFileSync(join(dir, 'out.bin')).toString('hex') : '',
      maps: dumps,
    };
    if (s.recordConntrack) result.conntrack = conntrackListing(readFileSync(join(dir, 'conntrack.txt'), 'utf8').split('\n'));
    if (p.ctx) {
      const c = readFileSync(join(dir, 'ctxout.bin'));
      result.ctxOut = { dataMeta: c.readUInt32LE(0), ingressIfindex: c.readUInt32LE(12), rxQueueIndex: c.readUInt32LE(16) };
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface KernelInfo {
  kernel: string;
  bpftool: string;
  possibleCpus: number;
}

export function possibleCpus(): number {
  const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  return text.split(',').reduce((n, part) => {
    const [a, b] = part.split('-').map(Number);
    return n + (b === undefined ? 1 : b - a + 1);
  }, 0);
}

export async function kernelInfo(): Promise<KernelInfo> {
  const v = await run(BPFTOOL, ['version']);
  const lines = v.stdout.split('\n');
  const tool = lines[0]?.replace(/^bpftool\s+/, '') ?? 'unknown';
  const lib = lines.find((l) => l.startsWith('using libbpf'))?.replace('using ', '');
  return { kernel: release(), bpftool: lib ? `${tool} (${lib})` : tool, possibleCpus: possibleCpus() };
}

/** Run every packet of a scenario on the kernel, one fresh load each. */
export async function runScenarioOnKernel(s: Scenario): Promise<{ packet: string; result: CaseResult }[]> {
  const objectPath = join(repoRoot(), s.object);
  const loaded = await probeObject(objectPath);
  if (!loaded.programs.includes(s.program)) {
    throw new Error(`scenario ${s.name}: ${s.object} has no program ${s.program} (it has ${loaded.programs.join(', ')})`);
  }
  const cases: { packet: string; result: CaseResult }[] = [];
  for (const p of s.packets) cases.push({ packet: p.name, result: await runCase(s, objectPath, loaded, p) });
  return cases;
}

/** Record a golden file for a scenario (the caller writes it). */
export async function recordGolden(s: Scenario, info?: KernelInfo): Promise<GoldenFile> {
  const k = info ?? (await kernelInfo());
  const cases = await runScenarioOnKernel(s);
  return {
    scenario: s.name,
    object: s.object,
    program: s.program,
    objectSha256: sha256File(join(repoRoot(), s.object)),
    kernel: k.kernel,
    bpftool: k.bpftool,
    possibleCpus: k.possibleCpus,
    recorded: new Date().toISOString(),
    cases,
  };
}

let availability: Promise<{ available: boolean; reason: string }> | undefined;

/**
 * Whether kernel runs can happen here: Linux, root, bpftool, unshare, and a real test-run of
 * xdp_pass in a private namespace. Computed once per process.
 */
export function kernelAvailability(): Promise<{ available: boolean; reason: string }> {
  availability ??= (async () => {
    if (process.platform !== 'linux') return { available: false, reason: `not Linux (${process.platform})` };
    if (process.getuid?.() !== 0) return { available: false, reason: 'not root: BPF_PROG_TEST_RUN and namespaces need root' };
    try {
      const v = await run(BPFTOOL, ['version']);
      if (v.code !== 0) return { available: false, reason: `${BPFTOOL} version failed: ${v.stderr.trim()}` };
    } catch (e) {
      return { available: false, reason: `${BPFTOOL} not runnable: ${(e as Error).message}` };
    }
    try {
      const probe: Scenario = {
        name: 'availability-probe',
        object: 'progs/build/xdp_pass.o',
        program: 'xdp_pass',
        packets: [{ name: 'probe', data: '02000000000202000000000108004500' }],
      };
      const [c] = await runScenarioOnKernel(probe);
      if ('error' in c.result || c.result.retval !== 2) {
        return { available: false, reason: `test-run of xdp_pass did not return XDP_PASS: ${JSON.stringify(c.result)}` };
      }
    } catch (e) {
      return { available: false, reason: `bpf() or namespaces unusable: ${(e as Error).message.split('\n')[0]}` };
    }
    return { available: true, reason: 'kernel test-run works' };
  })();
  return availability;
}
