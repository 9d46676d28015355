import { LD_IMM64 } from '../../isa/opcodes.js';
import { i32, i64, none, type Expr } from './emit/expr.js';
import { A, S, T, type Lowering } from './lowering.js';

/** Map update flags (UAPI BPF_NOEXIST, BPF_F_LOCK). */
const BPF_NOEXIST = 1;
const BPF_F_LOCK = 4;
/** Ring buffer records: an 8-byte header (length with the BUSY bit, page offset), data rounded up to 8 (src/maps/ringbuf.ts). */
const RINGBUF_HEADER = 8;
const RINGBUF_BUSY = 0x80000000;
const PAGE_SHIFT = 12;
/** Most maps a lookup of an unknown map compares r1 with (each adds a copy of the inline lookup). */
const MAX_CANDIDATE_MAPS = 8;

/** `bpf_map_lookup_elem` on an array named by a constant: bounds check and address arithmetic. */
export function inlineArrayLookup(g: Lowering, pc: number): Expr[] | undefined {
  const { m, code } = g;
  if (!g.calls(pc, 'bpf_map_lookup_elem') || g.r1 === undefined) return undefined;
  const layout = code.spec.arrayLayout?.(g.r1);
  if (!layout) return undefined;
  const key = (): Expr => m.local.get(S, i32);
  const slot = g.perCpuIndex(key(), layout);
  return [
    ...g.address(pc, 2, 4, false),
    m.local.set(S, m.i32.load(0, 1, m.local.get(A, i32))),
    g.set(
      0,
      m.select(
        m.i32.lt_u(key(), m.i32.const(layout.maxEntries)),
        m.i64.extend_u(m.i32.add(m.i32.const(layout.base), m.i32.mul(slot, m.i32.const(layout.stride)))),
        m.i64.const(0, 0),
      ),
    ),
    ...g.clearArgs(),
  ];
}

/**
 * `bpf_map_lookup_elem` on a plain hash map named by a constant: its memory index is probed
 * here (compileHashFind) and the value's address computed as HashMap.lookupElem does. An
 * unreadable key goes to the helper.
 */
export function inlineHashLookup(g: Lowering, pc: number): Expr[] | undefined {
  const { m, code } = g;
  if (!g.calls(pc, 'bpf_map_lookup_elem') || g.r1 === undefined) return undefined;
  const layout = code.spec.hashLayout?.(g.r1);
  if (!layout) return undefined;
  g.hashFindUsed = true;
  const tag = (): Expr => m.local.get(S, i32);
  const element = g.perCpuIndex(m.i32.sub(tag(), m.i32.const(1)), layout);
  return [
    m.if(
      g.readable(2, m.i32.const(layout.keySize)),
      m.block(
        null,
        [
          m.local.set(
            S,
            m.call('hash_find', [m.i32.const(layout.table), m.i32.const(layout.mask), m.i32.const(layout.keys), m.i32.const(layout.keySize), g.lo(2)], i32),
          ),
          g.set(0, m.select(tag(), m.i64.extend_u(m.i32.add(m.i32.const(layout.values), m.i32.mul(element, m.i32.const(layout.stride)))), m.i64.const(0, 0))),
          ...g.clearArgs(),
        ],
        none,
      ),
      m.block(null, g.helperCallViaHost(pc), none),
    ),
  ];
}

/**
 * `bpf_map_lookup_elem` on an LPM trie named by a constant, while it has few enough prefixes
 * for its scan table (LpmLayout): the longest covering prefix's value. An unreadable key, or a
 * larger trie, goes to the helper.
 */
export function inlineLpmLookup(g: Lowering, pc: number): Expr[] | undefined {
  const { m, code } = g;
  if (!g.calls(pc, 'bpf_map_lookup_elem') || g.r1 === undefined) return undefined;
  const layout = code.spec.lpmLayout?.(g.r1);
  if (!layout) return undefined;
  g.lpmStrides.add(layout.entryStride);
  const slot = (): Expr => m.local.get(S, i32);
  return [
    m.if(
      m.i32.and(g.readable(2, m.i32.const(layout.keySize)), m.i32.le_u(m.i32.load(0, 4, m.i32.const(layout.table)), m.i32.const(layout.maxScan))),
      m.block(
        null,
        [
          m.local.set(S, m.call(`lpm_find${layout.entryStride}`, [m.i32.const(layout.table), g.lo(2), m.i32.const((layout.keySize - 4) * 8)], i32)),
          g.set(
            0,
            m.select(
              slot(),
              m.i64.extend_u(m.i32.add(m.i32.const(layout.values), m.i32.mul(m.i32.sub(slot(), m.i32.const(1)), m.i32.const(layout.stride)))),
              m.i64.const(0, 0),
            ),
          ),
          ...g.clearArgs(),
        ],
        none,
      ),
      m.block(null, g.helperCallViaHost(pc), none),
    ),
  ];
}

/**
 * A map lookup whose map is not known in its block (blocks that join after each loaded a
 * different map, as clang emits for `f(cond ? lookup(&a, k) : lookup(&b, k))`): r1 is compared
 * with each map the program loads, and the lookup is inline for the one it holds.
 */
export function lookupByCandidateMap(g: Lowering, pc: number): Expr[] | undefined {
  const { m, code } = g;
  if (g.r1 !== undefined || !g.calls(pc, 'bpf_map_lookup_elem')) return undefined;
  // Every constant the program loads; the layouts tell which are maps (loads resolve to handles).
  g.mapHandles ??= [...new Set([...code.op].flatMap((op, at) => (op === LD_IMM64 ? [g.constantAfter(at, code.dst[at], undefined)] : [])))].filter(
    (h): h is number => h !== undefined,
  );
  const arms: [number, Expr[]][] = [];
  for (const handle of g.mapHandles) {
    g.r1 = handle;
    const body = inlineArrayLookup(g, pc) ?? inlineHashLookup(g, pc) ?? inlineLpmLookup(g, pc);
    g.r1 = undefined;
    if (body) arms.push([handle, body]);
    if (arms.length === MAX_CANDIDATE_MAPS) break;
  }
  if (arms.length === 0) return undefined;
  const host = m.block(null, g.helperCallViaHost(pc), none);
  return [
    arms.reduceRight<Expr>(
      (rest, [handle, body]) => m.if(m.i64.eq(g.get(1), m.i64.const(handle % 4294967296, Math.floor(handle / 4294967296))), m.block(null, body, none), rest),
      host,
    ),
  ];
}
/**
 * `bpf_map_update_elem` on a writable array named by a constant, without a spin lock in its values:
 * ArrayMap.updateElem's checks in its order, then a copy (memmove). Unreadable key or value
 * pointers go to the helper, which reports them as it does.
 */
export function inlineArrayUpdate(g: Lowering, pc: number): Expr[] | undefined {
  const { m, code } = g;
  if (!g.calls(pc, 'bpf_map_update_elem') || g.r1 === undefined) return undefined;
  const layout = code.spec.arrayLayout?.(g.r1);
  if (!layout || layout.lockOffset !== undefined || layout.readOnly) return undefined;
  const flags = (): Expr => g.get(4);
  const key = (): Expr => m.local.get(S, i32);
  const slot = g.perCpuIndex(key(), layout);
  const update = m.if(
    m.i32.or(m.i64.gt_u(flags(), m.i64.const(BPF_F_LOCK, 0)), m.i64.eq(m.i64.and(flags(), m.i64.const(3, 0)), m.i64.const(3, 0))),
    g.errno('EINVAL'),
    m.block(
      null,
      [
        m.local.set(S, m.i32.load(0, 1, m.i32.wrap(g.get(2)))),
        m.if(
          m.i32.ge_u(key(), m.i32.const(layout.maxEntries)),
          g.errno('E2BIG'),
          m.if(
            m.i32.wrap(m.i64.and(flags(), m.i64.const(BPF_NOEXIST, 0))),
            g.errno('EEXIST'),
            m.block(
              null,
              [
                m.memory.copy(
                  m.i32.add(m.i32.const(layout.base), m.i32.mul(slot, m.i32.const(layout.stride))),
                  m.i32.wrap(g.get(3)),
                  m.i32.const(layout.valueSize),
                ),
                g.set(0, m.i64.const(0, 0)),
              ],
              none,
            ),
          ),
        ),
      ],
      none,
    ),
  );
  return [
    m.if(
      m.i32.and(g.readable(2, m.i32.const(4)), g.readable(3, m.i32.const(layout.valueSize))),
      m.block(null, [update, ...g.clearArgs()], none),
      m.block(null, g.helperCallViaHost(pc), none),
    ),
  ];
}

/**
 * `bpf_csum_diff` on readable arguments: src/helpers/checksum.ts's csumDiff, with the x86
 * csum_partial in wasm (compileCsumPartial). Unreadable ranges go to the helper.
 */
export function inlineCsumDiff(g: Lowering, pc: number): Expr[] | undefined {
  const { m } = g;
  if (!g.calls(pc, 'bpf_csum_diff')) return undefined;
  g.csumPartialUsed = true;
  const fromSize = (): Expr => g.lo(2);
  const toSize = (): Expr => g.lo(4);
  const seed = (): Expr => g.lo(5);
  const partial = (r: number, size: Expr, init: Expr): Expr => m.call('csum_partial', [g.lo(r), size, init], i32);
  const ret = (): Expr => m.local.get(S, i32);
  const wide = (v: Expr): Expr => m.i64.extend_u(v);
  const argOk = (r: number, size: () => Expr): Expr => m.if(size(), g.readable(r, size()), m.i32.const(1));
  const compute = m.block(
    null,
    [
      m.local.set(S, seed()),
      m.if(
        m.i32.and(m.i32.ne(fromSize(), m.i32.const(0)), m.i32.ne(toSize(), m.i32.const(0))),
        // csum_add(partial(to, seed), ~partial(from, 0)) with the end-around carry
        m.block(
          null,
          [
            m.local.set(T, m.i64.add(wide(partial(3, toSize(), ret())), wide(m.i32.xor(partial(1, fromSize(), m.i32.const(0)), m.i32.const(-1))))),
            m.local.set(
              S,
              m.i32.wrap(
                m.select(m.i64.gt_u(m.local.get(T, i64), m.i64.const(-1, 0)), m.i64.sub(m.local.get(T, i64), m.i64.const(-1, 0)), m.local.get(T, i64)),
              ),
            ),
          ],
          none,
        ),
        m.if(
          toSize(),
          m.local.set(S, partial(3, toSize(), ret())),
          m.if(fromSize(), m.local.set(S, m.i32.xor(partial(1, fromSize(), m.i32.xor(ret(), m.i32.const(-1))), m.i32.const(-1)))),
        ),
      ),
      // csum_from32to16: (sum + rotl(sum, 16)) >> 16, not complemented
      g.set(0, wide(m.i32.and(m.i32.shr_u(m.i32.add(ret(), m.i32.rotl(ret(), m.i32.const(16))), m.i32.const(16)), m.i32.const(0xffff)))),
    ],
    none,
  );
  return [
    m.if(m.i32.and(argOk(1, fromSize), argOk(3, toSize)), m.block(null, [compute, ...g.clearArgs()], none), m.block(null, g.helperCallViaHost(pc), none)),
  ];
}

/**
 * bpf_ringbuf_reserve and bpf_ringbuf_query on a ring named by a constant, on the positions
 * the ring keeps in memory (RingLayout), as RingBufMap.reserve and query do them.
 */
export function inlineRing(g: Lowering, pc: number): Expr[] | undefined {
  const { m, code } = g;
  const reserve = g.calls(pc, 'bpf_ringbuf_reserve');
  if ((!reserve && !g.calls(pc, 'bpf_ringbuf_query')) || g.r1 === undefined) return undefined;
  const ring = code.spec.ringLayout?.(g.r1);
  if (!ring) return undefined;
  const producer = (): Expr => m.f64.load(0, 8, m.i32.const(ring.positions));
  const consumer = (): Expr => m.f64.load(0, 8, m.i32.const(ring.positions + 8));
  const result = (v: Expr): Expr => g.set(0, m.i64.trunc_u.f64(v));
  const zero = (): Expr => g.set(0, m.i64.const(0, 0));
  let body: Expr;
  if (reserve) {
    const size = (): Expr => m.local.get(S, i32);
    const header = (): Expr => m.local.get(A, i32);
    const len = (): Expr => m.f64.convert_u.i32(m.i32.and(m.i32.add(size(), m.i32.const(RINGBUF_HEADER + 7)), m.i32.const(~7)));
    body = m.block(
      null,
      [
        m.local.set(S, g.u32Arg(2)),
        m.if(
          m.i32.or(m.i64.ne(g.get(3), m.i64.const(0, 0)), m.i32.gt_u(size(), m.i32.const(ring.size - RINGBUF_HEADER))),
          zero(),
          m.block(
            null,
            [
              m.if(
                m.f64.gt(m.f64.sub(m.f64.add(producer(), len()), consumer()), m.f64.const(ring.size - 1)),
                zero(),
                m.block(
                  null,
                  [
                    m.local.set(A, m.i32.add(m.i32.const(ring.data), m.i32.and(m.i32.wrap(m.i64.trunc_u.f64(producer())), m.i32.const(ring.size - 1)))),
                    m.i32.store(0, 4, header(), m.i32.or(size(), m.i32.const(RINGBUF_BUSY | 0))),
                    m.i32.store(4, 4, header(), m.i32.add(m.i32.shr_u(m.i32.sub(header(), m.i32.const(ring.data)), m.i32.const(PAGE_SHIFT)), m.i32.const(1))),
                    m.f64.store(0, 8, m.i32.const(ring.positions), m.f64.add(producer(), len())),
                    g.set(0, m.i64.extend_u(m.i32.add(header(), m.i32.const(RINGBUF_HEADER)))),
                  ],
                  none,
                ),
              ),
            ],
            none,
          ),
        ),
      ],
      none,
    );
  } else {
    const which = (): Expr => g.lo(2);
    const answer = (n: number, v: Expr, rest: Expr): Expr => m.select(m.i32.eq(which(), m.i32.const(n)), v, rest);
    body = m.if(
      g.hi(2),
      zero(),
      result(answer(0, m.f64.sub(producer(), consumer()), answer(1, m.f64.const(ring.size), answer(2, consumer(), answer(3, producer(), m.f64.const(0)))))),
    );
  }
  return [body, ...g.clearArgs()];
}

/** bpf_map_lookup_elem: an array, plain-hash or LPM-trie lookup in compiled code, by the map r1 holds (or the maps it may hold). */
export const inlineMapLookup = (g: Lowering, pc: number): Expr[] | undefined =>
  inlineArrayLookup(g, pc) ?? inlineHashLookup(g, pc) ?? inlineLpmLookup(g, pc) ?? lookupByCandidateMap(g, pc);
