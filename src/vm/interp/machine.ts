import { VmFault, type InstructionSite, type VmFaultKind } from '../../errors/index.js';
import { MAX_CALL_DEPTH, MAX_TAIL_CALLS, STACK_SIZE } from '../../isa/opcodes.js';
import { GRANULE_SHIFT, OFFSET_MASK, READ_ONLY_BIT, ROOM_MASK, type AddressSpace, type Region } from '../address-space.js';
import { instructionSite, type CodeRegistry, type Executable } from '../engine.js';
import { runHelperFn, type ArgIndex, type HelperCall, type HelperResult } from '../helper.js';
import { legacyPacketLoad, NO_LEGACY_PACKET } from '../legacy-load.js';
import type { RunState } from '../run-state.js';
import type { Code } from './code.js';
import { add64, arsh64, bswap16, bswap32, lsh64, mul64, rsh64, scmp64, sdiv64, smod64, sub64, toU64, ucmp64, udiv64, umod64 } from './int64.js';

/** What the machine needs to find code for an executable (its own, or a replacement's). */
export interface CodeSource {
  codeOf(exe: Executable): Code;
  /** freplace: the executable whose slot 0 runs instead of function `slot` of `code`. */
  replacementOf(code: Code, slot: number): Executable | undefined;
}

const TWO32 = 4294967296;

/**
 * The register machine shared by every executable of one interpreter engine: one stack region
 * of 8 frames, register files per nesting level (helper callbacks nest), and the run loop.
 */
export class Machine {
  readonly stack: Region;
  private readonly stackTop: number;
  private readonly tmp = new Int32Array(2);
  /**
   * Per nesting level (a helper callback runs one level deeper): registers, the call stack of
   * that execution, and one reusable HelperCall whose position is updated before each helper,
   * so a run allocates nothing.
   */
  private readonly levels: Level[] = [];
  private level = 0;
  private u8!: Uint8Array;
  private u32!: Uint32Array;
  private dv!: DataView;
  private readonly limit: number;

  constructor(
    readonly space: AddressSpace,
    readonly registry: CodeRegistry,
    readonly source: CodeSource,
  ) {
    this.stack = space.alloc(MAX_CALL_DEPTH * STACK_SIZE, 'stack');
    this.stackTop = this.stack.addr + this.stack.size;
    this.limit = space.limit;
    for (let i = 0; i <= MAX_CALL_DEPTH; i++) {
      const level: Level = {
        lo: new Int32Array(11),
        hi: new Int32Array(11),
        retCode: [],
        retPc: [],
        saved: [],
        pos: { code: undefined!, pc: 0, depth: 0, state: undefined! },
        call: undefined!,
      };
      level.call = this.makeHelperCall(level);
      this.levels.push(level);
    }
  }

  private refreshViews(): void {
    this.u8 = this.space.u8;
    this.u32 = this.space.u32;
    this.dv = this.space.dv;
  }

  /** Run `exe` from slot 0 with r1/r2 set; the outermost entry point. */
  run(exe: Executable, state: RunState, r1: bigint | number, r2: bigint | number): bigint {
    this.refreshViews();
    this.level = 0;
    const regs = this.levels[0];
    regs.lo.fill(0);
    regs.hi.fill(0);
    setArg(regs, 1, r1);
    setArg(regs, 2, r2);
    return this.execute(this.source.codeOf(exe), 0, 1, state);
  }

  /** `run` for a 32-bit r1, returning r0's low 32 bits. */
  runU32(exe: Executable, state: RunState, r1: number): number {
    this.refreshViews();
    this.level = 0;
    const regs = this.levels[0];
    regs.lo.fill(0);
    regs.hi.fill(0);
    regs.lo[1] = r1 | 0;
    this.execute(this.source.codeOf(exe), 0, 1, state);
    return regs.lo[0] >>> 0;
  }

  /** A helper's callback into program code (bpf_loop): a callee frame at `depth + 1`. */
  callFunction(code: Code, slot: number, depth: number, state: RunState, args: readonly (bigint | number)[], site: InstructionSite): bigint {
    if (depth + 1 > MAX_CALL_DEPTH) this.fault('call-depth', site, `callback would be frame ${depth + 1}; at most ${MAX_CALL_DEPTH} frames`);
    const saved = this.level;
    this.level++;
    const regs = this.levels[this.level];
    regs.lo.fill(0);
    regs.hi.fill(0);
    args.forEach((a, i) => setArg(regs, (i + 1) as ArgIndex, a));
    try {
      return this.execute(code, slot, depth + 1, state);
    } finally {
      this.level = saved;
    }
  }

  private fault(kind: VmFaultKind, site: InstructionSite, message: string): never {
    throw new VmFault(kind, site, message);
  }

  private site(code: Code, pc: number): InstructionSite {
    return instructionSite(code.spec, pc);
  }

  /**
   * The run loop: executes from `startPc` in `code` at call depth `depth` until the function
   * it started in returns; returns r0.
   */
  private execute(entry: Code, startPc: number, entryDepth: number, state: RunState): bigint {
    const regs = this.levels[this.level];
    const rl = regs.lo;
    const rh = regs.hi;
    const pos = regs.pos;
    pos.state = state;
    const tmp = this.tmp;
    const u8 = this.u8;
    const u32 = this.u32;
    const dv = this.dv;
    const limit = this.limit;
    // Call frames of this execution: return code/pc and r6-r9 of the caller.
    const retCode = regs.retCode;
    const retPc = regs.retPc;
    const saved = regs.saved;
    retCode.length = 0;
    retPc.length = 0;
    saved.length = 0;
    let code = entry;
    let op = code.op;
    let dst = code.dst;
    let src = code.src;
    let off = code.off;
    let imm = code.imm;
    let pc = startPc;
    let depth = entryDepth;
    let budget = state.budget;
    rl[10] = this.stackTop - (depth - 1) * STACK_SIZE;
    rh[10] = 0;

    const switchTo = (c: Code): void => {
      code = c;
      op = c.op;
      dst = c.dst;
      src = c.src;
      off = c.off;
      imm = c.imm;
    };
    const fail = (kind: VmFaultKind, message: string): never => {
      state.budget = budget;
      throw new VmFault(kind, this.site(code, pc), message);
    };
    /** Effective address of base register + offset, checked for `size` bytes; returns the address. */
    const address = (base: number, offset: number, size: number, write: boolean): number => {
      const sum = (rl[base] >>> 0) + offset;
      const hi = (rh[base] + (sum >= TWO32 ? 1 : sum < 0 ? -1 : 0)) | 0;
      const a = sum >>> 0;
      if (hi !== 0 || a >= limit) {
        return fail('out-of-bounds', `${write ? 'write' : 'read'} of ${size} bytes at 0x${toU64(a, hi).toString(16)}: not an address of any region`);
      }
      const s = u32[a >>> GRANULE_SHIFT];
      if ((a & OFFSET_MASK) + size > (s & ROOM_MASK)) {
        // A large region's first access to a chunk finds no entry yet: mark it and check again.
        if (this.space.materialize(a)) return address(base, offset, size, write);
        return fail('out-of-bounds', `${write ? 'write' : 'read'} of ${size} bytes: ${this.space.describe(a, size)}`);
      }
      if (write && s & READ_ONLY_BIT) return fail('read-only', `write of ${size} bytes: ${this.space.describe(a, size)}, which is read-only`);
      return a;
    };
    const enterCall = (target: Code, targetPc: number): void => {
      if (depth + 1 > MAX_CALL_DEPTH) fail('call-depth', `call would be frame ${depth + 1}; at most ${MAX_CALL_DEPTH} frames (the kernel's limit)`);
      retCode.push(code);
      retPc.push(pc + 1);
      for (let r = 6; r <= 9; r++) saved.push(rl[r], rh[r]);
      depth++;
      rl[10] = this.stackTop - (depth - 1) * STACK_SIZE;
      if (target.uid !== code.uid && state.onEnter) state.onEnter(this.exeOf(target), 'call');
      switchTo(target);
      pc = targetPc;
    };
    /** Resolve a call to function entry `slot` of `c`, honouring freplace. */
    const callLocal = (c: Code, slot: number): void => {
      const replacement = this.source.replacementOf(c, slot);
      if (replacement) enterCall(this.source.codeOf(replacement), 0);
      else enterCall(c, slot);
    };
    const helperCall = regs.call;

    for (;;) {
      if (--budget < 0) {
        fail('budget', `instruction budget of ${state.initialBudget} exhausted (a loop that never ends?); raise it with --budget`);
      }
      const o = op[pc];
      const d = dst[pc];
      // One line per opcode, as the spec's tables read: kept as written, not formatted.
      // prettier-ignore
      switch (o) {
        // ---- ALU64 ----
        case 0x07: add64(tmp, rl[d], rh[d], imm[pc], imm[pc] >> 31); rl[d] = tmp[0]; rh[d] = tmp[1]; break;
        case 0x0f: { const s = src[pc]; add64(tmp, rl[d], rh[d], rl[s], rh[s]); rl[d] = tmp[0]; rh[d] = tmp[1]; break; }
        case 0x17: sub64(tmp, rl[d], rh[d], imm[pc], imm[pc] >> 31); rl[d] = tmp[0]; rh[d] = tmp[1]; break;
        case 0x1f: { const s = src[pc]; sub64(tmp, rl[d], rh[d], rl[s], rh[s]); rl[d] = tmp[0]; rh[d] = tmp[1]; break; }
        case 0x27: mul64(tmp, rl[d], rh[d], imm[pc], imm[pc] >> 31); rl[d] = tmp[0]; rh[d] = tmp[1]; break;
        case 0x2f: { const s = src[pc]; mul64(tmp, rl[d], rh[d], rl[s], rh[s]); rl[d] = tmp[0]; rh[d] = tmp[1]; break; }
        case 0x37: case 0x3f: {
          const x = o === 0x3f;
          const bl = x ? rl[src[pc]] : imm[pc];
          const bh = x ? rh[src[pc]] : imm[pc] >> 31;
          if (off[pc] === 1) sdiv64(tmp, rl[d], rh[d], bl, bh);
          else udiv64(tmp, rl[d], rh[d], bl, bh);
          rl[d] = tmp[0]; rh[d] = tmp[1];
          break;
        }
        case 0x97: case 0x9f: {
          const x = o === 0x9f;
          const bl = x ? rl[src[pc]] : imm[pc];
          const bh = x ? rh[src[pc]] : imm[pc] >> 31;
          if (off[pc] === 1) smod64(tmp, rl[d], rh[d], bl, bh);
          else umod64(tmp, rl[d], rh[d], bl, bh);
          rl[d] = tmp[0]; rh[d] = tmp[1];
          break;
        }
        case 0x47: rl[d] |= imm[pc]; rh[d] |= imm[pc] >> 31; break;
        case 0x4f: rl[d] |= rl[src[pc]]; rh[d] |= rh[src[pc]]; break;
        case 0x57: rl[d] &= imm[pc]; rh[d] &= imm[pc] >> 31; break;
        case 0x5f: rl[d] &= rl[src[pc]]; rh[d] &= rh[src[pc]]; break;
        case 0xa7: rl[d] ^= imm[pc]; rh[d] ^= imm[pc] >> 31; break;
        case 0xaf: rl[d] ^= rl[src[pc]]; rh[d] ^= rh[src[pc]]; break;
        case 0x67: lsh64(tmp, rl[d], rh[d], imm[pc]); rl[d] = tmp[0]; rh[d] = tmp[1]; break;
        case 0x6f: lsh64(tmp, rl[d], rh[d], rl[src[pc]]); rl[d] = tmp[0]; rh[d] = tmp[1]; break;
        case 0x77: rsh64(tmp, rl[d], rh[d], imm[pc]); rl[d] = tmp[0]; rh[d] = tmp[1]; break;
        case 0x7f: rsh64(tmp, rl[d], rh[d], rl[src[pc]]); rl[d] = tmp[0]; rh[d] = tmp[1]; break;
        case 0xc7: arsh64(tmp, rl[d], rh[d], imm[pc]); rl[d] = tmp[0]; rh[d] = tmp[1]; break;
        case 0xcf: arsh64(tmp, rl[d], rh[d], rl[src[pc]]); rl[d] = tmp[0]; rh[d] = tmp[1]; break;
        case 0x87: sub64(tmp, 0, 0, rl[d], rh[d]); rl[d] = tmp[0]; rh[d] = tmp[1]; break;
        case 0xb7: rl[d] = imm[pc]; rh[d] = imm[pc] >> 31; break;
        case 0xbf: {
          const s = src[pc];
          const w = off[pc];
          if (w === 0) { rl[d] = rl[s]; rh[d] = rh[s]; }
          else {
            const v = w === 8 ? (rl[s] << 24) >> 24 : w === 16 ? (rl[s] << 16) >> 16 : rl[s];
            rl[d] = v; rh[d] = v >> 31;
          }
          break;
        }
        case 0xd7: {
          const bits = imm[pc];
          if (bits === 16) { rl[d] = bswap16(rl[d]); rh[d] = 0; }
          else if (bits === 32) { rl[d] = bswap32(rl[d]); rh[d] = 0; }
          else { const l = rl[d]; rl[d] = bswap32(rh[d]); rh[d] = bswap32(l); }
          break;
        }
        // ---- ALU32: results zero-extended ----
        case 0x04: rl[d] = (rl[d] + imm[pc]) | 0; rh[d] = 0; break;
        case 0x0c: rl[d] = (rl[d] + rl[src[pc]]) | 0; rh[d] = 0; break;
        case 0x14: rl[d] = (rl[d] - imm[pc]) | 0; rh[d] = 0; break;
        case 0x1c: rl[d] = (rl[d] - rl[src[pc]]) | 0; rh[d] = 0; break;
        case 0x24: rl[d] = Math.imul(rl[d], imm[pc]); rh[d] = 0; break;
        case 0x2c: rl[d] = Math.imul(rl[d], rl[src[pc]]); rh[d] = 0; break;
        case 0x34: case 0x3c: {
          const b = o === 0x3c ? rl[src[pc]] : imm[pc];
          if (b === 0) rl[d] = 0;
          else if (off[pc] === 1) rl[d] = Math.trunc(rl[d] / b) | 0;
          else rl[d] = Math.floor((rl[d] >>> 0) / (b >>> 0)) | 0;
          rh[d] = 0;
          break;
        }
        case 0x94: case 0x9c: {
          const b = o === 0x9c ? rl[src[pc]] : imm[pc];
          if (b !== 0) rl[d] = off[pc] === 1 ? (rl[d] % b) | 0 : ((rl[d] >>> 0) % (b >>> 0)) | 0;
          rh[d] = 0;
          break;
        }
        case 0x44: rl[d] |= imm[pc]; rh[d] = 0; break;
        case 0x4c: rl[d] |= rl[src[pc]]; rh[d] = 0; break;
        case 0x54: rl[d] &= imm[pc]; rh[d] = 0; break;
        case 0x5c: rl[d] &= rl[src[pc]]; rh[d] = 0; break;
        case 0xa4: rl[d] ^= imm[pc]; rh[d] = 0; break;
        case 0xac: rl[d] ^= rl[src[pc]]; rh[d] = 0; break;
        case 0x64: rl[d] <<= imm[pc] & 31; rh[d] = 0; break;
        case 0x6c: rl[d] <<= rl[src[pc]] & 31; rh[d] = 0; break;
        case 0x74: rl[d] = rl[d] >>> (imm[pc] & 31); rh[d] = 0; break;
        case 0x7c: rl[d] = rl[d] >>> (rl[src[pc]] & 31); rh[d] = 0; break;
        case 0xc4: rl[d] >>= imm[pc] & 31; rh[d] = 0; break;
        case 0xcc: rl[d] >>= rl[src[pc]] & 31; rh[d] = 0; break;
        case 0x84: rl[d] = -rl[d] | 0; rh[d] = 0; break;
        case 0xb4: rl[d] = imm[pc]; rh[d] = 0; break;
        case 0xbc: {
          const s = src[pc];
          const w = off[pc];
          rl[d] = w === 8 ? (rl[s] << 24) >> 24 : w === 16 ? (rl[s] << 16) >> 16 : rl[s];
          rh[d] = 0;
          break;
        }
        case 0xd4: {
          const bits = imm[pc];
          if (bits === 16) rl[d] &= 0xffff;
          if (bits !== 64) rh[d] = 0;
          break;
        }
        case 0xdc: {
          const bits = imm[pc];
          if (bits === 16) { rl[d] = bswap16(rl[d]); rh[d] = 0; }
          else if (bits === 32) { rl[d] = bswap32(rl[d]); rh[d] = 0; }
          else { const l = rl[d]; rl[d] = bswap32(rh[d]); rh[d] = bswap32(l); }
          break;
        }
        // ---- loads ----
        case 0x61: { const a = address(src[pc], off[pc], 4, false); rl[d] = dv.getInt32(a, true); rh[d] = 0; break; }
        case 0x69: { const a = address(src[pc], off[pc], 2, false); rl[d] = dv.getUint16(a, true); rh[d] = 0; break; }
        case 0x71: { const a = address(src[pc], off[pc], 1, false); rl[d] = u8[a]; rh[d] = 0; break; }
        case 0x79: { const a = address(src[pc], off[pc], 8, false); rl[d] = dv.getInt32(a, true); rh[d] = dv.getInt32(a + 4, true); break; }
        case 0x81: { const a = address(src[pc], off[pc], 4, false); rl[d] = dv.getInt32(a, true); rh[d] = rl[d] >> 31; break; }
        case 0x89: { const a = address(src[pc], off[pc], 2, false); rl[d] = dv.getInt16(a, true); rh[d] = rl[d] >> 31; break; }
        case 0x91: { const a = address(src[pc], off[pc], 1, false); rl[d] = dv.getInt8(a); rh[d] = rl[d] >> 31; break; }
        // ---- stores ----
        case 0x62: dv.setInt32(address(d, off[pc], 4, true), imm[pc], true); break;
        case 0x6a: dv.setInt16(address(d, off[pc], 2, true), imm[pc], true); break;
        case 0x72: u8[address(d, off[pc], 1, true)] = imm[pc]; break;
        case 0x7a: { const a = address(d, off[pc], 8, true); dv.setInt32(a, imm[pc], true); dv.setInt32(a + 4, imm[pc] >> 31, true); break; }
        case 0x63: dv.setInt32(address(d, off[pc], 4, true), rl[src[pc]], true); break;
        case 0x6b: dv.setInt16(address(d, off[pc], 2, true), rl[src[pc]], true); break;
        case 0x73: u8[address(d, off[pc], 1, true)] = rl[src[pc]]; break;
        case 0x7b: { const a = address(d, off[pc], 8, true); const s = src[pc]; dv.setInt32(a, rl[s], true); dv.setInt32(a + 4, rh[s], true); break; }
        // ---- atomics (single-threaded: plain read-modify-write) ----
        case 0xc3: {
          const a = address(d, off[pc], 4, true);
          const s = src[pc];
          const old = dv.getInt32(a, true);
          const aop = imm[pc];
          switch (aop & ~1) {
            case 0x00: dv.setInt32(a, (old + rl[s]) | 0, true); break;
            case 0x40: dv.setInt32(a, old | rl[s], true); break;
            case 0x50: dv.setInt32(a, old & rl[s], true); break;
            case 0xa0: dv.setInt32(a, old ^ rl[s], true); break;
            case 0xe0: dv.setInt32(a, rl[s], true); break;
            case 0xf0: if (old === rl[0]) dv.setInt32(a, rl[s], true); break;
          }
          if (aop === 0xf1) { rl[0] = old; rh[0] = 0; }
          else if (aop & 1) { rl[s] = old; rh[s] = 0; }
          break;
        }
        case 0xdb: {
          const a = address(d, off[pc], 8, true);
          const s = src[pc];
          const ol = dv.getInt32(a, true);
          const oh = dv.getInt32(a + 4, true);
          const aop = imm[pc];
          let nl = ol;
          let nh = oh;
          switch (aop & ~1) {
            case 0x00: add64(tmp, ol, oh, rl[s], rh[s]); nl = tmp[0]; nh = tmp[1]; break;
            case 0x40: nl = ol | rl[s]; nh = oh | rh[s]; break;
            case 0x50: nl = ol & rl[s]; nh = oh & rh[s]; break;
            case 0xa0: nl = ol ^ rl[s]; nh = oh ^ rh[s]; break;
            case 0xe0: nl = rl[s]; nh = rh[s]; break;
            case 0xf0: if (ol === rl[0] && oh === rh[0]) { nl = rl[s]; nh = rh[s]; } break;
          }
          dv.setInt32(a, nl, true);
          dv.setInt32(a + 4, nh, true);
          if (aop === 0xf1) { rl[0] = ol; rh[0] = oh; }
          else if (aop & 1) { rl[s] = ol; rh[s] = oh; }
          break;
        }
        // ---- ld_imm64 and legacy packet loads ----
        case 0x18: rl[d] = imm[pc]; rh[d] = code.immHi[pc]; pc++; break;
        case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50: {
          const v = legacyPacketLoad(this.space, state, o, imm[pc], o >= 0x40 ? rl[src[pc]] : 0);
          if (v === null) fail('bad-instruction', NO_LEGACY_PACKET);
          if (v === undefined) { state.budget = budget; rl[0] = 0; rh[0] = 0; return 0n; }
          rl[0] = v!; rh[0] = 0;
          for (let r = 1; r <= 5; r++) { rl[r] = 0; rh[r] = 0; }
          break;
        }
        // ---- jumps (64-bit) ----
        case 0x05: pc += off[pc]; break;
        case 0x15: if (rl[d] === imm[pc] && rh[d] === imm[pc] >> 31) pc += off[pc]; break;
        case 0x1d: if (rl[d] === rl[src[pc]] && rh[d] === rh[src[pc]]) pc += off[pc]; break;
        case 0x55: if (rl[d] !== imm[pc] || rh[d] !== imm[pc] >> 31) pc += off[pc]; break;
        case 0x5d: if (rl[d] !== rl[src[pc]] || rh[d] !== rh[src[pc]]) pc += off[pc]; break;
        case 0x45: if ((rl[d] & imm[pc]) !== 0 || (rh[d] & (imm[pc] >> 31)) !== 0) pc += off[pc]; break;
        case 0x4d: if ((rl[d] & rl[src[pc]]) !== 0 || (rh[d] & rh[src[pc]]) !== 0) pc += off[pc]; break;
        case 0x25: if (ucmp64(rl[d], rh[d], imm[pc], imm[pc] >> 31) > 0) pc += off[pc]; break;
        case 0x2d: if (ucmp64(rl[d], rh[d], rl[src[pc]], rh[src[pc]]) > 0) pc += off[pc]; break;
        case 0x35: if (ucmp64(rl[d], rh[d], imm[pc], imm[pc] >> 31) >= 0) pc += off[pc]; break;
        case 0x3d: if (ucmp64(rl[d], rh[d], rl[src[pc]], rh[src[pc]]) >= 0) pc += off[pc]; break;
        case 0xa5: if (ucmp64(rl[d], rh[d], imm[pc], imm[pc] >> 31) < 0) pc += off[pc]; break;
        case 0xad: if (ucmp64(rl[d], rh[d], rl[src[pc]], rh[src[pc]]) < 0) pc += off[pc]; break;
        case 0xb5: if (ucmp64(rl[d], rh[d], imm[pc], imm[pc] >> 31) <= 0) pc += off[pc]; break;
        case 0xbd: if (ucmp64(rl[d], rh[d], rl[src[pc]], rh[src[pc]]) <= 0) pc += off[pc]; break;
        case 0x65: if (scmp64(rl[d], rh[d], imm[pc], imm[pc] >> 31) > 0) pc += off[pc]; break;
        case 0x6d: if (scmp64(rl[d], rh[d], rl[src[pc]], rh[src[pc]]) > 0) pc += off[pc]; break;
        case 0x75: if (scmp64(rl[d], rh[d], imm[pc], imm[pc] >> 31) >= 0) pc += off[pc]; break;
        case 0x7d: if (scmp64(rl[d], rh[d], rl[src[pc]], rh[src[pc]]) >= 0) pc += off[pc]; break;
        case 0xc5: if (scmp64(rl[d], rh[d], imm[pc], imm[pc] >> 31) < 0) pc += off[pc]; break;
        case 0xcd: if (scmp64(rl[d], rh[d], rl[src[pc]], rh[src[pc]]) < 0) pc += off[pc]; break;
        case 0xd5: if (scmp64(rl[d], rh[d], imm[pc], imm[pc] >> 31) <= 0) pc += off[pc]; break;
        case 0xdd: if (scmp64(rl[d], rh[d], rl[src[pc]], rh[src[pc]]) <= 0) pc += off[pc]; break;
        // ---- jumps (32-bit) ----
        case 0x06: pc += imm[pc]; break;
        case 0x16: if (rl[d] === imm[pc]) pc += off[pc]; break;
        case 0x1e: if (rl[d] === rl[src[pc]]) pc += off[pc]; break;
        case 0x56: if (rl[d] !== imm[pc]) pc += off[pc]; break;
        case 0x5e: if (rl[d] !== rl[src[pc]]) pc += off[pc]; break;
        case 0x46: if ((rl[d] & imm[pc]) !== 0) pc += off[pc]; break;
        case 0x4e: if ((rl[d] & rl[src[pc]]) !== 0) pc += off[pc]; break;
        case 0x26: if (rl[d] >>> 0 > imm[pc] >>> 0) pc += off[pc]; break;
        case 0x2e: if (rl[d] >>> 0 > rl[src[pc]] >>> 0) pc += off[pc]; break;
        case 0x36: if (rl[d] >>> 0 >= imm[pc] >>> 0) pc += off[pc]; break;
        case 0x3e: if (rl[d] >>> 0 >= rl[src[pc]] >>> 0) pc += off[pc]; break;
        case 0xa6: if (rl[d] >>> 0 < imm[pc] >>> 0) pc += off[pc]; break;
        case 0xae: if (rl[d] >>> 0 < rl[src[pc]] >>> 0) pc += off[pc]; break;
        case 0xb6: if (rl[d] >>> 0 <= imm[pc] >>> 0) pc += off[pc]; break;
        case 0xbe: if (rl[d] >>> 0 <= rl[src[pc]] >>> 0) pc += off[pc]; break;
        case 0x66: if (rl[d] > imm[pc]) pc += off[pc]; break;
        case 0x6e: if (rl[d] > rl[src[pc]]) pc += off[pc]; break;
        case 0x76: if (rl[d] >= imm[pc]) pc += off[pc]; break;
        case 0x7e: if (rl[d] >= rl[src[pc]]) pc += off[pc]; break;
        case 0xc6: if (rl[d] < imm[pc]) pc += off[pc]; break;
        case 0xce: if (rl[d] < rl[src[pc]]) pc += off[pc]; break;
        case 0xd6: if (rl[d] <= imm[pc]) pc += off[pc]; break;
        case 0xde: if (rl[d] <= rl[src[pc]]) pc += off[pc]; break;
        // ---- calls and exit ----
        case 0x85: {
          if (src[pc] === 1) {
            callLocal(code, pc + 1 + imm[pc]);
            continue;
          }
          const h = code.helpers[pc]!;
          state.budget = budget;
          pos.code = code;
          pos.pc = pc;
          pos.depth = depth;
          if (h.tailCall) {
            const target = h.tailCall(helperCall);
            if (target && state.tailCalls < MAX_TAIL_CALLS) {
              state.tailCalls++;
              state.onEnter?.(target, 'tail-call');
              budget = state.budget;
              switchTo(this.source.codeOf(target));
              const ctx0 = rl[1];
              const ctx1 = rh[1];
              rl.fill(0, 0, 10);
              rh.fill(0, 0, 10);
              rl[1] = ctx0;
              rh[1] = ctx1;
              pc = 0;
              continue;
            }
          }
          this.setResult(regs, runHelperFn(h, helperCall));
          budget = state.budget;
          for (let r = 1; r <= 5; r++) { rl[r] = 0; rh[r] = 0; }
          break;
        }
        case 0x8d: {
          const r = d;
          const target = this.registry.resolve(toU64(rl[r], rh[r]));
          if (target) {
            callLocal(this.source.codeOf(target.exe), target.slot);
            continue;
          }
          const h = code.spec.callxHelperIds && rh[r] === 0 ? code.spec.helpers.get(rl[r]) : undefined;
          if (!h) fail('bad-call', `callx through r${r} = 0x${toU64(rl[r], rh[r]).toString(16)}, which is not the address of a function`);
          state.budget = budget;
          pos.code = code;
          pos.pc = pc;
          pos.depth = depth;
          this.setResult(regs, runHelperFn(h!, helperCall));
          budget = state.budget;
          for (let k = 1; k <= 5; k++) { rl[k] = 0; rh[k] = 0; }
          break;
        }
        case 0x95: {
          if (retCode.length === 0) {
            state.budget = budget;
            return toU64(rl[0], rh[0]);
          }
          const back = retCode.pop()!;
          pc = retPc.pop()!;
          for (let k = 9; k >= 6; k--) { rh[k] = saved.pop()!; rl[k] = saved.pop()!; }
          depth--;
          rl[10] = this.stackTop - (depth - 1) * STACK_SIZE;
          rh[10] = 0;
          if (back.uid !== code.uid && state.onReturn) state.onReturn(this.exeOf(back), this.exeOf(code), toU64(rl[0], rh[0]));
          switchTo(back);
          continue;
        }
        default:
          fail('bad-instruction', `opcode 0x${o.toString(16)} is not executable`);
      }
      pc++;
    }
  }

  private setResult(regs: Level, r: HelperResult): void {
    if (typeof r === 'number' && Number.isInteger(r) && r >= -(2 ** 53) && r <= 2 ** 53) {
      regs.lo[0] = (r % TWO32) | 0;
      regs.hi[0] = Math.floor(r / TWO32) | 0;
    } else {
      const v = BigInt.asUintN(64, typeof r === 'bigint' ? r : BigInt(r));
      regs.lo[0] = Number(v & 0xffffffffn) | 0;
      regs.hi[0] = Number(v >> 32n) | 0;
    }
  }

  private exeOf(code: Code): Executable {
    return this.registry.get(code.uid)!;
  }

  private makeHelperCall(level: Level): HelperCall {
    // The returned object's getters and methods have their own `this`: they reach the machine through this name.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const machine = this;
    const { lo, hi, pos } = level;
    return {
      space: this.space,
      get state(): RunState {
        return pos.state;
      },
      get exe(): Executable {
        return machine.exeOf(pos.code);
      },
      get insn(): number {
        return pos.pc;
      },
      lo: (i: ArgIndex) => lo[i] >>> 0,
      hi: (i: ArgIndex) => hi[i] >>> 0,
      u64: (i: ArgIndex) => toU64(lo[i], hi[i]),
      addr(i: ArgIndex): number {
        if (hi[i] !== 0) this.fault(`argument ${i} (0x${toU64(lo[i], hi[i]).toString(16)}) is not an address`);
        return lo[i] >>> 0;
      },
      callFunction(addr: bigint | number, args: readonly (bigint | number)[]): bigint {
        const target = machine.registry.resolve(addr);
        if (!target) this.fault(`callback 0x${BigInt(addr).toString(16)} is not the address of a function`);
        const saveLevel = machine.level;
        const { code, pc, depth, state } = pos;
        try {
          return machine.callFunction(machine.source.codeOf(target!.exe), target!.slot, depth, state, args, machine.site(code, pc));
        } finally {
          machine.level = saveLevel;
          Object.assign(pos, { code, pc, depth, state });
          machine.refreshViews();
        }
      },
      fault(message: string): never {
        const name = pos.code.helpers[pos.pc]?.name ?? 'helper';
        throw new VmFault('helper', machine.site(pos.code, pos.pc), `${name}: ${message}`);
      },
    };
  }
}

/** Reusable state of one nesting level of the machine. */
interface Level {
  lo: Int32Array;
  hi: Int32Array;
  retCode: Code[];
  retPc: number[];
  saved: number[];
  /** Where the level is, kept current before each helper call. */
  pos: { code: Code; pc: number; depth: number; state: RunState };
  call: HelperCall;
}

function setArg(regs: { lo: Int32Array; hi: Int32Array }, i: ArgIndex, v: bigint | number): void {
  if (typeof v === 'number' && v >= 0 && v < TWO32) {
    regs.lo[i] = v | 0;
    regs.hi[i] = 0;
    return;
  }
  const u = BigInt.asUintN(64, BigInt(v));
  regs.lo[i] = Number(u & 0xffffffffn) | 0;
  regs.hi[i] = Number(u >> 32n) | 0;
}
