import { MAX_CALL_DEPTH, MAX_TAIL_CALLS } from '../../isa/opcodes.js';
import { COUNTER_BYTES } from '../batch.js';
import { decodeFunctionAddress } from '../engine.js';
import { ERRNO } from '../../errors/errno.js';
import { Scratch } from './abi.js';
import { i32, i64, none, type Expr } from './emit/expr.js';
import { A, DEPTH, PROGRAM_PARAMS, S, T, U, type Lowering } from './lowering.js';

const FRAME_HELPERS = ['bpf_xdp_adjust_head', 'bpf_xdp_adjust_meta', 'bpf_xdp_adjust_tail', 'bpf_xdp_get_buff_len'] as const;
/** bpf_perf_event_output: BPF_F_CURRENT_CPU, and the flags' high word may only hold BPF_F_CTXLEN_MASK. */
const BPF_F_CURRENT_CPU = 0xffffffff;
const CTXLEN_MASK_HI = 0xfffff;
/** bpf_loop's limit (kernel/bpf/bpf_iter.c). */
const MAX_LOOPS = 1 << 23;

/**
 * bpf_spin_lock / bpf_spin_unlock: one CPU runs at a time here, so a lock only records its
 * state in its word (src/helpers/control.ts); a word the program may not write goes to the host.
 */
export function inlineSpinLock(g: Lowering, pc: number): Expr[] | undefined {
  const { m } = g;
  const lock = g.calls(pc, 'bpf_spin_lock');
  if (!lock && !g.calls(pc, 'bpf_spin_unlock')) return undefined;
  return [
    m.if(
      g.readable(1, m.i32.const(4), true),
      m.block(null, [m.i32.store(0, 4, g.lo(1), m.i32.const(lock ? 1 : 0)), g.set(0, m.i64.const(0, 0)), ...g.clearArgs()], none),
      m.block(null, g.helperCallViaHost(pc), none),
    ),
  ];
}

/**
 * bpf_xdp_load_bytes / store_bytes on a linear frame: the helpers' range checks, then a
 * memmove between the packet and the program's buffer. Fragments, a buffer the program may not
 * use that way, or no XDP context in this run go through the host.
 */
export function inlinePacketBytes(g: Lowering, pc: number): Expr[] | undefined {
  const { m, code } = g;
  const x = code.spec.xdpContext;
  const load = g.calls(pc, 'bpf_xdp_load_bytes');
  if (!x || !(load || g.calls(pc, 'bpf_xdp_store_bytes'))) return undefined;
  const field = (off: number): Expr => g.ctxField(off);
  const offset = (): Expr => g.lo(2);
  const len = (): Expr => g.lo(4);
  const packet = (): Expr => m.i32.add(field(x.data), offset());
  const buffer = (): Expr => g.lo(3);
  const copy = m.if(
    g.readable(3, len(), load),
    m.block(null, [m.memory.copy(load ? buffer() : packet(), load ? packet() : buffer(), len()), g.set(0, m.i64.const(0, 0)), ...g.clearArgs()], none),
    m.block(null, g.helperCallViaHost(pc), none),
  );
  return [
    g.loadRunContext(),
    m.if(
      m.i32.or(m.i32.eqz(m.local.get(A, i32)), m.i32.ne(field(x.frags), m.i32.const(0))),
      m.block(null, g.helperCallViaHost(pc), none),
      m.if(
        m.i32.or(m.i32.gt_u(offset(), m.i32.const(0xffff)), m.i32.gt_u(len(), m.i32.const(0xffff))),
        m.block(null, [g.errno('EFAULT'), ...g.clearArgs()], none),
        m.if(
          m.i32.gt_u(m.i32.add(offset(), len()), m.i32.sub(field(x.dataEnd), field(x.data))),
          m.block(null, [g.errno('EINVAL'), ...g.clearArgs()], none),
          copy,
        ),
      ),
    ),
  ];
}

/**
 * `bpf_loop` with a callback of this program named by a constant: the loop runs here, calling
 * the callback directly (DESIGN: bpf_loop semantics as the kernel inlines them). Frames past the
 * limit still go through the helper, which reports them; programs with legacy packet loads too
 * (one ends only its callback there).
 */
export function inlineLoop(g: Lowering, pc: number): Expr[] | undefined {
  const { m, code } = g;
  if (!g.calls(pc, 'bpf_loop') || g.r2 === undefined || g.hasLegacyLoads()) return undefined;
  const fn = decodeFunctionAddress(g.r2);
  if (!fn || fn.uid !== code.uid || !code.spec.program.functionEntries.includes(fn.slot)) return undefined;
  const depth = (): Expr => m.local.get(DEPTH, i32);
  const i = (): Expr => m.local.get(S, i32);
  const n = (): Expr => g.lo(1);
  const zero = (): Expr => m.i64.const(0, 0);
  const loop = m.block(
    `loop_done${pc}`,
    [
      m.local.set(S, m.i32.const(0)),
      m.loop(
        `loop_next${pc}`,
        m.block(
          null,
          [
            m.if(m.i32.ge_u(i(), n()), m.block(null, [g.set(0, m.i64.extend_u(n())), m.br(`loop_done${pc}`)], none)),
            m.if(
              m.i64.ne(m.call(`${g.ns}f${fn.slot}`, [m.i64.extend_u(i()), g.get(3), zero(), zero(), zero(), m.i32.add(depth(), m.i32.const(1))], i64), zero()),
              m.block(null, [g.set(0, m.i64.extend_u(m.i32.add(i(), m.i32.const(1)))), m.br(`loop_done${pc}`)], none),
            ),
            m.local.set(S, m.i32.add(i(), m.i32.const(1))),
            m.br(`loop_next${pc}`),
          ],
          none,
        ),
      ),
    ],
    none,
  );
  const inline = m.if(
    m.i64.ne(g.get(4), zero()),
    g.errno('EINVAL'),
    // The kernel's inlined bpf_loop sets w0 = -E2BIG: zero-extended.
    m.if(m.i32.gt_u(n(), m.i32.const(MAX_LOOPS)), g.set(0, m.i64.const(-ERRNO.E2BIG, 0)), loop),
  );
  // The loop counter lives in S across calls: callbacks are other wasm functions with their own locals.
  return [m.if(m.i32.ge_s(depth(), m.i32.const(MAX_CALL_DEPTH)), m.block(null, g.helperCallViaHost(pc), none), inline), ...g.clearArgs()];
}

/**
 * `bpf_tail_call` through a program array named by a constant, in a direct run: the slot's node
 * comes from the array's memory, the count from the run's cells, and the target's f0 is called
 * from here, its result returned as this function's (the helper's semantics, without the host).
 */
export function inlineTailCall(g: Lowering, pc: number): Expr[] | undefined {
  const { m, code, layout } = g;
  if (!g.calls(pc, 'bpf_tail_call') || code.helpers[pc]!.tailCall === undefined || g.r2 === undefined || layout.counters === undefined) return undefined;
  const table = code.spec.tailCallLayout?.(g.r2);
  const counters = layout.counters;
  if (!table) return undefined;
  g.tailCallsByNode = true;
  const cell = (at: number): Expr => m.i32.const(g.sc + at);
  const index = (): Expr => m.local.get(A, i32);
  const node = (): Expr => m.local.get(S, i32);
  const counter = (): Expr => m.i32.add(m.i32.const(counters), m.i32.mul(node(), m.i32.const(COUNTER_BYTES)));
  const zero = (): Expr => m.i64.const(0, 0);
  const tail = m.block(
    `tail_fail${pc}`,
    [
      m.br(`tail_fail${pc}`, m.i32.or(g.hi(3), m.i32.ge_u(g.lo(3), m.i32.const(table.maxEntries)))),
      m.local.set(A, g.lo(3)),
      m.local.set(S, m.i32.load(0, 4, m.i32.add(m.i32.const(table.base), m.i32.shl(index(), m.i32.const(2))))),
      m.br(`tail_fail${pc}`, m.i32.eqz(node())),
      m.local.set(S, m.i32.sub(node(), m.i32.const(1))),
      m.br(`tail_fail${pc}`, m.i32.ge_u(m.i32.load(0, 4, cell(Scratch.tailCount)), m.i32.const(MAX_TAIL_CALLS))),
      m.i32.store(0, 4, cell(Scratch.tailCount), m.i32.add(m.i32.load(0, 4, cell(Scratch.tailCount)), m.i32.const(1))),
      m.f64.store(0, 8, counter(), m.f64.add(m.f64.load(0, 8, counter()), m.f64.const(1))),
      m.return(m.call_indirect('f0ByNode', node(), [g.get(1), zero(), zero(), zero(), zero(), m.local.get(DEPTH, i32)], PROGRAM_PARAMS, i64)),
    ],
    none,
  );
  return [
    m.if(m.i32.load(0, 4, cell(Scratch.direct)), m.block(null, [tail, g.set(0, zero()), ...g.clearArgs()], none), m.block(null, g.helperCallViaHost(pc), none)),
  ];
}

/**
 * The frame helpers on a linear frame, done on the context's fields in memory (the buffer's
 * own storage): adjust_head (without metadata), adjust_meta, adjust_tail and get_buff_len,
 * with src/xdp/buffer.ts's checks and errors. Anything else (fragments, metadata to move, no
 * XDP context in this run) goes through the host.
 */
export function inlineFrameHelper(g: Lowering, pc: number): Expr[] | undefined {
  const { m, code } = g;
  const x = code.spec.xdpContext;
  const helper = FRAME_HELPERS.find((name) => g.calls(pc, name));
  if (!x || !helper) return undefined;
  const field = (off: number): Expr => g.ctxField(off);
  const store = (off: number, v: Expr): Expr => m.i32.store(0, 4, m.i32.add(m.local.get(A, i32), m.i32.const(off)), v);
  const wide = (v: Expr): Expr => m.i64.extend_u(v);
  const delta = (): Expr => m.i64.extend_s(g.lo(2));
  const target = (): Expr => m.local.get(T, i64);
  const ok = (): Expr => g.set(0, m.i64.const(0, 0));
  const hardStart = (): Expr => wide(field(x.hardStart));
  const fragments = (): Expr => m.i32.ne(field(x.frags), m.i32.const(0));
  let fallback: Expr;
  let body: Expr[];
  switch (helper) {
    case 'bpf_xdp_adjust_head': // adjust_head: data moves within [hard start + descriptor, data_end - ETH_HLEN]
      fallback = m.i32.ne(field(x.data), field(x.dataMeta));
      body = [
        m.local.set(T, m.i64.add(wide(field(x.data)), delta())),
        m.if(
          m.i32.or(
            m.i64.lt_s(target(), m.i64.add(hardStart(), m.i64.const(x.frameDescriptor, 0))),
            m.i64.gt_s(target(), m.i64.sub(wide(field(x.dataEnd)), m.i64.const(x.ethHlen, 0))),
          ),
          g.errno('EINVAL'),
          m.block(null, [store(x.data, m.i32.wrap(target())), store(x.dataMeta, m.i32.wrap(target())), ok()], none),
        ),
      ];
      break;
    case 'bpf_xdp_adjust_meta': // adjust_meta: data_meta moves within [hard start + descriptor, data], 4-byte multiples up to the maximum
      fallback = m.i32.const(0);
      body = [
        m.local.set(T, m.i64.add(wide(field(x.dataMeta)), delta())),
        m.local.set(U, m.i64.sub(wide(field(x.data)), target())),
        m.if(
          m.i32.or(m.i64.lt_s(target(), m.i64.add(hardStart(), m.i64.const(x.frameDescriptor, 0))), m.i64.lt_s(m.local.get(U, i64), m.i64.const(0, 0))),
          g.errno('EINVAL'),
          m.if(
            m.i32.or(
              m.i64.gt_s(m.local.get(U, i64), m.i64.const(x.metadataMax, 0)),
              m.i64.ne(m.i64.and(m.local.get(U, i64), m.i64.const(3, 0)), m.i64.const(0, 0)),
            ),
            g.errno('EACCES'),
            m.block(null, [store(x.dataMeta, m.i32.wrap(target())), ok()], none),
          ),
        ),
      ];
      break;
    case 'bpf_xdp_adjust_tail': {
      // adjust_tail: data_end moves within [data + ETH_HLEN, frame end - tailroom]; grown bytes are zeroed
      fallback = fragments();
      const end = (): Expr => m.local.get(S, i32);
      body = [
        m.local.set(T, m.i64.add(wide(field(x.dataEnd)), delta())),
        m.if(
          m.i32.or(
            m.i64.gt_s(target(), m.i64.add(hardStart(), m.i64.const(x.frameSize - x.tailroom, 0))),
            m.i64.lt_s(target(), m.i64.add(wide(field(x.data)), m.i64.const(x.ethHlen, 0))),
          ),
          g.errno('EINVAL'),
          m.block(
            null,
            [
              m.local.set(S, field(x.dataEnd)),
              m.block(
                `grown${pc}`,
                [
                  m.loop(
                    `zero${pc}`,
                    m.block(
                      null,
                      [
                        m.br(`grown${pc}`, m.i64.ge_s(wide(end()), target())),
                        m.i32.store8(0, 1, end(), m.i32.const(0)),
                        m.local.set(S, m.i32.add(end(), m.i32.const(1))),
                        m.br(`zero${pc}`),
                      ],
                      none,
                    ),
                  ),
                ],
                none,
              ),
              store(x.dataEnd, m.i32.wrap(target())),
              // Bytes past data_end may now be the program's: the next receive clears the frame.
              store(x.loadedEnd, m.i32.const(0)),
              ok(),
            ],
            none,
          ),
        ),
      ];
      break;
    }
    default: // get_buff_len: the linear bytes
      fallback = fragments();
      body = [g.set(0, wide(m.i32.sub(field(x.dataEnd), field(x.data))))];
  }
  return [
    g.loadRunContext(),
    m.if(m.i32.or(m.i32.eqz(m.local.get(A, i32)), fallback), m.block(null, g.helperCallViaHost(pc), none), m.block(null, [...body, ...g.clearArgs()], none)),
  ];
}

/**
 * bpf_redirect, and bpf_redirect_map on an indexed redirect map named by a constant: the
 * helpers' checks (src/helpers/redirect.ts), with the target written to the context's private
 * tail where XdpBuffer.redirect reads it. A run without an XDP context goes through the host.
 */
export function inlineRedirect(g: Lowering, pc: number): Expr[] | undefined {
  const { m, code } = g;
  const x = code.spec.xdpContext?.redirect;
  if (!x) return undefined;
  const store = (off: number, v: Expr): Expr => m.i32.store(0, 4, m.i32.add(m.local.get(A, i32), m.i32.const(off)), v);
  const result = (v: Expr): Expr => g.set(0, m.i64.extend_u(v));
  const aborted = (): Expr => result(m.i32.const(x.abortedAction));
  let body: Expr;
  if (g.calls(pc, 'bpf_redirect')) {
    body = m.if(
      m.i64.ne(g.get(2), m.i64.const(0, 0)),
      aborted(),
      m.block(
        null,
        [
          store(x.kind, m.i32.const(x.ifindexKind)),
          store(x.target, g.lo(1)),
          store(x.key, m.i32.const(0)),
          store(x.flags, m.i32.const(0)),
          result(m.i32.const(x.redirectAction)),
        ],
        none,
      ),
    );
  } else if (g.calls(pc, 'bpf_redirect_map') && g.r1 !== undefined) {
    const map = code.spec.redirectLayout?.(g.r1);
    if (!map) return undefined;
    const flags = (): Expr => g.lo(3);
    const key = (): Expr => m.local.get(S, i32);
    const broadcast = (): Expr => m.i32.and(flags(), m.i32.const(map.broadcastFlag));
    const empty = m.if(
      m.i32.ge_u(key(), m.i32.const(map.maxEntries)),
      m.i32.const(1),
      m.i32.eqz(m.i32.load(0, 4, m.i32.add(m.i32.const(map.base), m.i32.shl(key(), m.i32.const(2))))),
    );
    body = m.if(
      m.i32.or(g.hi(3), m.i32.and(flags(), m.i32.const(~map.allowedFlags))),
      aborted(),
      m.block(
        null,
        [
          m.local.set(S, g.u32Arg(2)),
          m.if(
            m.i32.and(m.i32.eqz(broadcast()), empty),
            m.block(null, [store(x.kind, m.i32.const(0)), result(m.i32.and(flags(), m.i32.const(map.actionMask)))], none),
            m.block(
              null,
              [
                store(x.kind, m.i32.const(x.mapKind)),
                store(x.target, m.i32.const(map.mapId)),
                store(x.key, key()),
                store(x.flags, m.select(broadcast(), flags(), m.i32.const(0))),
                result(m.i32.const(x.redirectAction)),
              ],
              none,
            ),
          ),
        ],
        none,
      ),
    );
  } else {
    return undefined;
  }
  return [
    g.loadRunContext(),
    m.if(m.i32.eqz(m.local.get(A, i32)), m.block(null, g.helperCallViaHost(pc), none), m.block(null, [body, ...g.clearArgs()], none)),
  ];
}

/**
 * bpf_perf_event_output's refusals in wasm, as the kernel gives them before it copies anything:
 * bad flags, more frame bytes than the frame has, an index past the end, no buffer in the slot.
 * An output (or a fragmented frame, or no XDP context) goes through the host.
 */
export function inlinePerfOutput(g: Lowering, pc: number): Expr[] | undefined {
  const { m, code } = g;
  const x = code.spec.xdpContext;
  const cpuCell = code.spec.cpuCell;
  if (!x || cpuCell === undefined || !g.calls(pc, 'bpf_perf_event_output') || g.r2 === undefined) return undefined;
  const slots = code.spec.perfEventLayout?.(g.r2);
  if (!slots) return undefined;
  const field = (off: number): Expr => g.ctxField(off);
  const ctxLen = (): Expr => g.hi(3);
  const index = (): Expr => m.local.get(S, i32);
  const host = (): Expr => m.block(null, g.helperCallViaHost(pc), none);
  const refused = (name: 'EINVAL' | 'EFAULT' | 'E2BIG' | 'ENOENT'): Expr => m.block(null, [g.errno(name), ...g.clearArgs()], none);
  return [
    g.loadRunContext(),
    m.if(
      m.i32.or(m.i32.eqz(m.local.get(A, i32)), m.i32.ne(field(x.frags), m.i32.const(0))),
      host(),
      m.if(
        m.i32.and(ctxLen(), m.i32.const(~CTXLEN_MASK_HI)),
        refused('EINVAL'),
        m.if(
          m.i32.gt_u(ctxLen(), m.i32.sub(field(x.dataEnd), field(x.data))),
          refused('EFAULT'),
          m.block(
            null,
            [
              m.local.set(S, m.select(m.i32.eq(g.lo(3), m.i32.const(BPF_F_CURRENT_CPU)), m.i32.load(0, 4, m.i32.const(cpuCell)), g.lo(3))),
              m.if(
                m.i32.ge_u(index(), m.i32.const(slots.maxEntries)),
                refused('E2BIG'),
                m.if(m.i32.load(0, 4, m.i32.add(m.i32.const(slots.base), m.i32.shl(index(), m.i32.const(2)))), host(), refused('ENOENT')),
              ),
            ],
            none,
          ),
        ),
      ),
    ),
  ];
}

/**
 * A helper call: compiled by the helper's own wasm lowering (HelperSpec.wasm, kept with the
 * helper in src/helpers/) when it has one and it applies here, else a call into the host.
 */
export function helperCall(g: Lowering, pc: number): Expr[] {
  return g.code.helpers[pc]?.wasm?.(g, pc) ?? g.helperCallViaHost(pc);
}
