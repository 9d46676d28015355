import {
  AluOp,
  AtomicOp,
  CALL,
  CALLX,
  classOf,
  EXIT,
  InsnClass,
  JA,
  JA32,
  JmpOp,
  LD_IMM64,
  MAX_CALL_DEPTH,
  Mode,
  MODE_MASK,
  OP_MASK,
  PseudoCall,
  SIZE_MASK,
  sizeBytes,
  Source,
  STACK_SIZE,
} from '../../isa/opcodes.js';
import { ROOM_MASK } from '../address-space.js';
import { accessGroups, type AccessGroup } from './access-groups.js';
import { FaultCode, Scratch } from './abi.js';
import { functionBlocks, isJump, jumpTargetOf, nextSlot } from './cfg.js';
import { i32, i64, none, type Expr } from './emit/expr.js';
import { structure, type FlowBlock } from './emit/structure.js';
import { helperCall } from './inline-xdp.js';
import { A, DEPTH, GROUP_FLAGS, LABEL, Lowering, PROGRAM_PARAMS, R10, S, T, U } from './lowering.js';

/**
 * Lowers one eBPF function to a wasm function body: its basic blocks, each charging its length
 * to the shared instruction budget, structured (src/vm/wasm/emit/structure.ts); memory accesses
 * check the shadow table inline and call the host only to report a fault.
 */
export class FunctionGen extends Lowering {
  /** The body of the wasm function for the eBPF function entered at `entry`. */
  function(entry: number): Expr {
    const { m, code } = this;
    const flow = new Map<number, FlowBlock>();
    for (const b of functionBlocks(code, entry).values()) {
      const last = b.slots[b.slots.length - 1];
      const op = code.op[last];
      const block: FlowBlock = { code: this.block(b.slots), branches: [] };
      flow.set(b.start, block);
      if (op === EXIT) continue;
      if (!isJump(op)) {
        block.branches.push({ cond: null, to: nextSlot(code, last) });
        continue;
      }
      const to = jumpTargetOf(code, last);
      // A conditional jump to the next instruction goes there either way.
      if (op !== JA && op !== JA32 && to !== last + 1) block.branches.push({ cond: this.condition(last), to }, { cond: null, to: last + 1 });
      else block.branches.push({ cond: null, to });
    }
    const body = structure(m, flow, entry, LABEL, '');
    // r10 = stackTop - (depth - 1)·512
    const r10 = m.local.set(
      R10,
      m.i64.extend_u(m.i32.sub(m.i32.const(this.layout.stackTop + STACK_SIZE), m.i32.mul(m.local.get(DEPTH, i32), m.i32.const(STACK_SIZE)))),
    );
    return m.block(null, [r10, body, m.unreachable()], none);
  }

  private block(slots: number[]): Expr[] {
    const { m } = this;
    const cell = (): Expr => m.i32.const(this.sc + Scratch.budget);
    const out: Expr[] = [
      m.local.set(S, m.i32.sub(m.i32.load(0, 4, cell()), m.i32.const(slots.length))),
      m.i32.store(0, 4, cell(), m.local.get(S, i32)),
      m.if(m.i32.lt_s(m.local.get(S, i32), m.i32.const(0)), this.fault(FaultCode.budget, slots[0], m.i32.const(0), m.i32.const(0), m.i32.const(0))),
    ];
    this.r1 = undefined;
    this.r2 = undefined;
    const checks = this.planGroups(slots);
    for (let i = 0; i < slots.length; i++) {
      const pc = slots[i];
      const check = checks.get(pc);
      if (check) out.push(this.groupCheck(check.group, check.flag));
      out.push(...this.instruction(pc));
      this.r1 = this.constantAfter(pc, 1, this.r1);
      this.r2 = this.constantAfter(pc, 2, this.r2);
    }
    return out;
  }

  /** Give the block's access groups a flag local each while they last (as many as there are locals); their checks by first slot. */
  private planGroups(slots: number[]): Map<number, { group: AccessGroup; flag: number }> {
    const checks = new Map<number, { group: AccessGroup; flag: number }>();
    this.groupFlag = new Map();
    const groups = accessGroups(this.code, slots);
    let active: { last: number; flag: number }[] = [];
    for (const pc of slots) {
      const group = groups.get(pc);
      if (!group || group.first !== pc) continue;
      active = active.filter((a) => a.last > pc);
      const flag = GROUP_FLAGS.find((f) => !active.some((a) => a.flag === f));
      if (flag === undefined) continue;
      active.push({ last: group.members[group.members.length - 1], flag });
      checks.set(pc, { group, flag });
      for (const member of group.members) this.groupFlag.set(member, flag);
    }
    return checks;
  }

  /** flag = whether [base + minOff, base + maxEnd) lies in one region (writable if the group writes). */
  private groupCheck(g: AccessGroup, flag: number): Expr {
    const { m } = this;
    const end = m.i32.add(this.blockOffset(m.local.get(A, i32)), m.i32.const(g.maxEnd - g.minOff));
    return m.local.set(
      flag,
      m.if(
        m.i64.lt_u(m.local.tee(T, m.i64.add(this.get(g.base), m.i64.const(g.minOff, g.minOff >> 31)), i64), this.limit()),
        m.block(
          null,
          [
            m.local.set(A, m.i32.wrap(m.local.get(T, i64))),
            m.local.set(S, this.shadowEntry(m.local.get(A, i32))),
            g.write ? m.i32.le_s(end, m.local.get(S, i32)) : m.i32.le_u(end, m.i32.and(m.local.get(S, i32), m.i32.const(ROOM_MASK))),
          ],
          i32,
        ),
        m.i32.const(0),
      ),
    );
  }

  private instruction(pc: number): Expr[] {
    const { m, code } = this;
    const op = code.op[pc];
    const d = code.dst[pc];
    const s = code.src[pc];
    const cls = classOf(op);
    const a = (): Expr => m.local.get(A, i32);
    switch (cls) {
      case InsnClass.ALU64:
        return [this.set(d, this.alu64(pc))];
      case InsnClass.ALU:
        return [this.set(d, this.alu32(pc))];
      case InsnClass.LDX: {
        const size = sizeBytes(op & SIZE_MASK);
        const sx = (op & MODE_MASK) === Mode.MEMSX;
        const load =
          size === 8
            ? m.i64.load(0, 1, a())
            : size === 4
              ? sx
                ? m.i64.load32_s(0, 1, a())
                : m.i64.load32_u(0, 1, a())
              : size === 2
                ? sx
                  ? m.i64.load16_s(0, 1, a())
                  : m.i64.load16_u(0, 1, a())
                : sx
                  ? m.i64.load8_s(0, 1, a())
                  : m.i64.load8_u(0, 1, a());
        return [...this.address(pc, s, size, false), this.set(d, load)];
      }
      case InsnClass.ST:
      case InsnClass.STX: {
        const size = sizeBytes(op & SIZE_MASK);
        if ((op & MODE_MASK) === Mode.ATOMIC) return [...this.address(pc, d, size, true), ...this.atomic(pc, size)];
        const v = cls === InsnClass.ST ? this.imm64(pc) : this.get(s);
        const store =
          size === 8
            ? m.i64.store(0, 1, a(), v)
            : size === 4
              ? m.i64.store32(0, 1, a(), v)
              : size === 2
                ? m.i64.store16(0, 1, a(), v)
                : m.i64.store8(0, 1, a(), v);
        return [...this.address(pc, d, size, true), store];
      }
      case InsnClass.LD: {
        // ld_imm64, else the legacy packet loads below
        if (op === LD_IMM64) return [this.set(d, m.i64.const(code.imm[pc], code.immHi[pc]))];
        break;
      }
      case InsnClass.JMP:
      case InsnClass.JMP32: {
        if (op === EXIT) return [m.return(this.get(0))];
        if (op === CALL) return code.src[pc] === PseudoCall.LOCAL ? this.localCall(pc) : helperCall(this, pc);
        if (op === CALLX) return this.callx(pc);
        return []; // jumps become branches between blocks (FunctionGen.function)
      }
    }
    // BPF_LD ABS/IND (out of bounds, the host ends the whole program with r0 = 0)
    return [
      m.drop(m.call(this.ns + 'ldabs', [m.i32.const(pc), (op & MODE_MASK) === Mode.IND ? this.lo(s) : m.i32.const(0)], i32)),
      this.set(0, m.i64.load(0, 8, m.i32.const(this.sc + Scratch.r0))),
      ...this.clearArgs(),
    ];
  }

  private localCall(pc: number): Expr[] {
    const { m } = this;
    const target = pc + 1 + this.code.imm[pc];
    const depth = (): Expr => m.local.get(DEPTH, i32);
    const args = (): Expr[] => [1, 2, 3, 4, 5].map((r) => this.get(r)).concat(m.i32.add(depth(), m.i32.const(1)));
    const counter = (): Expr => m.global.get(`${this.ns}ovc${target}`, i32);
    const index = (): Expr => m.global.get(`${this.ns}ovf${target}`, i32);
    const viaTable = this.set(0, m.call_indirect('fns', index(), args(), PROGRAM_PARAMS, i64));
    const known = this.known.get(target);
    // A replacement runs straight from here when the host needs no word of it, else through the
    // host; one compiled into this module is called by name while the wiring still points to it.
    const replaced = m.if(
      m.i32.load(0, 4, m.i32.const(this.sc + Scratch.direct)),
      m.block(
        null,
        [
          m.f64.store(0, 8, counter(), m.f64.add(m.f64.load(0, 8, counter()), m.f64.const(1))),
          known ? m.if(m.i32.eq(index(), m.i32.const(known.index)), this.set(0, m.call(known.fn, args(), i64)), viaTable) : viaTable,
        ],
        none,
      ),
      m.block(null, [...this.storeArgs(), m.call(this.ns + 'callReplaced', [m.i32.const(target), depth()], none), this.loadR0()], none),
    );
    return [
      m.if(
        m.i32.ge_s(depth(), m.i32.const(MAX_CALL_DEPTH)),
        this.fault(FaultCode.callDepth, pc, m.i32.add(depth(), m.i32.const(1)), m.i32.const(0), m.i32.const(0)),
      ),
      m.if(m.global.get(`${this.ns}ov${target}`, i32), replaced, this.set(0, m.call(`${this.ns}f${target}`, args(), i64))),
    ];
  }

  private callx(pc: number): Expr[] {
    const { m } = this;
    return [
      m.i64.store(0, 8, m.i32.const(this.sc + Scratch.target), this.get(this.code.dst[pc])),
      ...this.storeArgs(),
      m.local.set(S, m.call(this.ns + 'callx', [m.i32.const(pc), m.local.get(DEPTH, i32)], i32)),
      this.loadR0(),
      // A helper reached through callx clobbers r1..r5 as a direct helper call does.
      m.if(m.local.get(S, i32), m.block(null, this.clearArgs(), none)),
    ];
  }

  /** BPF_ATOMIC on 4 or 8 bytes at local A: read-modify-write (single-threaded), old value to src or r0. */
  private atomic(pc: number, size: number): Expr[] {
    const { m, code } = this;
    const aop = code.imm[pc];
    const s = code.src[pc];
    const a = (): Expr => m.local.get(A, i32);
    const narrow = size === 4;
    const w = narrow ? m.i32 : m.i64;
    // The old value: in S for 4 bytes (the shadow word is no longer needed), in U for 8.
    const oldLocal = narrow ? S : U;
    const old = (): Expr => m.local.get(oldLocal, narrow ? i32 : i64);
    const reg = (r: number): Expr => (narrow ? this.lo(r) : this.get(r));
    const widen = (v: Expr): Expr => (narrow ? m.i64.extend_u(v) : v);
    const src = reg(s);
    let next: Expr;
    switch (aop & ~AtomicOp.FETCH) {
      case AtomicOp.ADD:
        next = w.add(old(), src);
        break;
      case AtomicOp.OR:
        next = w.or(old(), src);
        break;
      case AtomicOp.AND:
        next = w.and(old(), src);
        break;
      case AtomicOp.XOR:
        next = w.xor(old(), src);
        break;
      case AtomicOp.XCHG & ~AtomicOp.FETCH:
        next = src;
        break;
      default:
        next = m.select(w.eq(old(), reg(0)), src, old());
    }
    const out: Expr[] = [m.local.set(oldLocal, w.load(0, 1, a())), w.store(0, 1, a(), next)];
    if (aop === AtomicOp.CMPXCHG) out.push(this.set(0, widen(old())));
    else if (aop & AtomicOp.FETCH) out.push(this.set(s, widen(old())));
    return out;
  }

  private alu64(pc: number): Expr {
    const { m, code } = this;
    const op = code.op[pc] & OP_MASK;
    const x = code.op[pc] & Source.X;
    const d = code.dst[pc];
    const a = this.get(d);
    const b = x ? this.get(code.src[pc]) : this.imm64(pc);
    const signed = code.off[pc] === 1;
    switch (op) {
      case AluOp.ADD:
        return m.i64.add(a, b);
      case AluOp.SUB:
        return m.i64.sub(a, b);
      case AluOp.MUL:
        return m.i64.mul(a, b);
      case AluOp.OR:
        return m.i64.or(a, b);
      case AluOp.AND:
        return m.i64.and(a, b);
      case AluOp.XOR:
        return m.i64.xor(a, b);
      case AluOp.LSH:
        return m.i64.shl(a, b);
      case AluOp.RSH:
        return m.i64.shr_u(a, b);
      case AluOp.ARSH:
        return m.i64.shr_s(a, b);
      case AluOp.NEG:
        return m.i64.sub(m.i64.const(0, 0), a);
      case AluOp.DIV:
      case AluOp.MOD:
        return this.divmod64(op === AluOp.MOD, signed, a, b, d);
      case AluOp.MOV: {
        if (!x) return b;
        const w = code.off[pc];
        return w === 8 ? m.i64.extend8_s(b) : w === 16 ? m.i64.extend16_s(b) : w === 32 ? m.i64.extend32_s(b) : b;
      }
      case AluOp.END:
        return this.swap(code.imm[pc], a);
    }
    throw new Error(`alu64 opcode 0x${code.op[pc].toString(16)} at ${pc}`);
  }

  private divmod64(mod: boolean, signed: boolean, a: Expr, b: Expr, d: number): Expr {
    const { m } = this;
    const div = (): Expr => m.local.get(T, i64);
    const setB = m.local.set(T, b);
    const zero = m.i64.eqz(div());
    const minus1 = m.i64.eq(div(), m.i64.const(-1, -1));
    let result: Expr;
    if (!signed) result = m.if(zero, mod ? this.get(d) : m.i64.const(0, 0), mod ? m.i64.rem_u(a, div()) : m.i64.div_u(a, div()));
    else if (mod) result = m.if(zero, this.get(d), m.if(minus1, m.i64.const(0, 0), m.i64.rem_s(a, div())));
    else result = m.if(zero, m.i64.const(0, 0), m.if(minus1, m.i64.sub(m.i64.const(0, 0), this.get(d)), m.i64.div_s(a, div())));
    return m.block(null, [setB, result], i64);
  }

  private alu32(pc: number): Expr {
    const { m, code } = this;
    const op = code.op[pc] & OP_MASK;
    const x = code.op[pc] & Source.X;
    const d = code.dst[pc];
    const a = this.lo(d);
    const b = x ? this.lo(code.src[pc]) : m.i32.const(code.imm[pc]);
    const signed = code.off[pc] === 1;
    const z = (v: Expr): Expr => m.i64.extend_u(v);
    switch (op) {
      case AluOp.ADD:
        return z(m.i32.add(a, b));
      case AluOp.SUB:
        return z(m.i32.sub(a, b));
      case AluOp.MUL:
        return z(m.i32.mul(a, b));
      case AluOp.OR:
        return z(m.i32.or(a, b));
      case AluOp.AND:
        return z(m.i32.and(a, b));
      case AluOp.XOR:
        return z(m.i32.xor(a, b));
      case AluOp.LSH:
        return z(m.i32.shl(a, b));
      case AluOp.RSH:
        return z(m.i32.shr_u(a, b));
      case AluOp.ARSH:
        return z(m.i32.shr_s(a, b));
      case AluOp.NEG:
        return z(m.i32.sub(m.i32.const(0), a));
      case AluOp.DIV:
      case AluOp.MOD: {
        const div = (): Expr => m.local.get(S, i32);
        const zero = m.i32.eqz(div());
        const minus1 = m.i32.eq(div(), m.i32.const(-1));
        const mod = op === AluOp.MOD;
        let r: Expr;
        if (!signed) r = m.if(zero, mod ? this.lo(d) : m.i32.const(0), mod ? m.i32.rem_u(a, div()) : m.i32.div_u(a, div()));
        else if (mod) r = m.if(zero, this.lo(d), m.if(minus1, m.i32.const(0), m.i32.rem_s(a, div())));
        else r = m.if(zero, m.i32.const(0), m.if(minus1, m.i32.sub(m.i32.const(0), this.lo(d)), m.i32.div_s(a, div())));
        return z(m.block(null, [m.local.set(S, b), r], i32));
      }
      case AluOp.MOV: {
        if (!x) return m.i64.const(code.imm[pc], 0);
        const w = code.off[pc];
        return z(w === 8 ? m.i32.extend8_s(b) : w === 16 ? m.i32.extend16_s(b) : b);
      }
      case AluOp.END: {
        const bits = code.imm[pc];
        if (x) return this.swap(bits, this.get(d)); // to big endian: a byte swap on this little-endian machine
        return bits === 16 ? m.i64.and(this.get(d), m.i64.const(0xffff, 0)) : bits === 32 ? z(a) : this.get(d);
      }
    }
    throw new Error(`alu32 opcode 0x${code.op[pc].toString(16)} at ${pc}`);
  }

  private bswap32(v: Expr, tmp: number): Expr {
    const { m } = this;
    const t = (): Expr => m.local.get(tmp, i32);
    const swapped = m.i32.or(
      m.i32.shr_u(m.i32.and(t(), m.i32.const(0xff00ff00 | 0)), m.i32.const(8)),
      m.i32.shl(m.i32.and(t(), m.i32.const(0x00ff00ff)), m.i32.const(8)),
    );
    return m.block(null, [m.local.set(tmp, v), m.i32.rotl(swapped, m.i32.const(16))], i32);
  }

  private swap(bits: number, v: Expr): Expr {
    const { m } = this;
    if (bits === 16) {
      return m.block(
        null,
        [
          m.local.set(T, v),
          m.i64.or(
            m.i64.shl(m.i64.and(m.local.get(T, i64), m.i64.const(0xff, 0)), m.i64.const(8, 0)),
            m.i64.and(m.i64.shr_u(m.local.get(T, i64), m.i64.const(8, 0)), m.i64.const(0xff, 0)),
          ),
        ],
        i64,
      );
    }
    if (bits === 32) return m.i64.extend_u(this.bswap32(m.i32.wrap(v), S));
    return m.block(
      null,
      [
        m.local.set(T, v),
        m.i64.or(
          m.i64.shl(m.i64.extend_u(this.bswap32(m.i32.wrap(m.local.get(T, i64)), S)), m.i64.const(32, 0)),
          m.i64.extend_u(this.bswap32(m.i32.wrap(m.i64.shr_u(m.local.get(T, i64), m.i64.const(32, 0))), A)),
        ),
      ],
      i64,
    );
  }

  private condition(pc: number): Expr {
    const { m, code } = this;
    const op = code.op[pc];
    const x = op & Source.X;
    const cond = op & OP_MASK;
    const d = code.dst[pc];
    if (classOf(op) === InsnClass.JMP) {
      const a = this.get(d);
      const b = x ? this.get(code.src[pc]) : this.imm64(pc);
      switch (cond) {
        case JmpOp.JEQ:
          return m.i64.eq(a, b);
        case JmpOp.JNE:
          return m.i64.ne(a, b);
        case JmpOp.JSET:
          return m.i64.ne(m.i64.and(a, b), m.i64.const(0, 0));
        case JmpOp.JGT:
          return m.i64.gt_u(a, b);
        case JmpOp.JGE:
          return m.i64.ge_u(a, b);
        case JmpOp.JLT:
          return m.i64.lt_u(a, b);
        case JmpOp.JLE:
          return m.i64.le_u(a, b);
        case JmpOp.JSGT:
          return m.i64.gt_s(a, b);
        case JmpOp.JSGE:
          return m.i64.ge_s(a, b);
        case JmpOp.JSLT:
          return m.i64.lt_s(a, b);
        case JmpOp.JSLE:
          return m.i64.le_s(a, b);
      }
    } else {
      const a = this.lo(d);
      const b = x ? this.lo(code.src[pc]) : m.i32.const(code.imm[pc]);
      switch (cond) {
        case JmpOp.JEQ:
          return m.i32.eq(a, b);
        case JmpOp.JNE:
          return m.i32.ne(a, b);
        case JmpOp.JSET:
          return m.i32.ne(m.i32.and(a, b), m.i32.const(0));
        case JmpOp.JGT:
          return m.i32.gt_u(a, b);
        case JmpOp.JGE:
          return m.i32.ge_u(a, b);
        case JmpOp.JLT:
          return m.i32.lt_u(a, b);
        case JmpOp.JLE:
          return m.i32.le_u(a, b);
        case JmpOp.JSGT:
          return m.i32.gt_s(a, b);
        case JmpOp.JSGE:
          return m.i32.ge_s(a, b);
        case JmpOp.JSLT:
          return m.i32.lt_s(a, b);
        case JmpOp.JSLE:
          return m.i32.le_s(a, b);
      }
    }
    throw new Error(`jump opcode 0x${op.toString(16)} at ${pc}`);
  }
}
