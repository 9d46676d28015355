import { XdpchainError } from '../../errors/index.js';
import { helperName } from '../../isa/helper-names.js';
import { LD_IMM64, PseudoCall, PseudoLd } from '../../isa/opcodes.js';
import type { ExecutableSpec } from '../engine.js';
import { functionAddress } from '../engine.js';
import type { HelperSpec } from '../helper.js';

/**
 * A program pre-decoded into flat arrays for the run loop: one entry per slot. Validation
 * already happened in `decodeProgram`; here only what the loop needs is precomputed.
 */
export interface Code {
  readonly uid: number;
  readonly spec: ExecutableSpec;
  readonly length: number;
  readonly op: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int32Array;
  readonly imm: Int32Array;
  /** Upper half of a ld_imm64 constant (resolved function addresses included). */
  readonly immHi: Int32Array;
  /** Helper per call slot. */
  readonly helpers: (HelperSpec | undefined)[];
  readonly isFunctionEntry: Uint8Array;
}

export function decodeCode(uid: number, spec: ExecutableSpec): Code {
  const raw = spec.program.raw;
  const n = raw.length;
  const code: Code = {
    uid,
    spec,
    length: n,
    op: new Uint8Array(n),
    dst: new Uint8Array(n),
    src: new Uint8Array(n),
    off: new Int32Array(n),
    imm: new Int32Array(n),
    immHi: new Int32Array(n),
    helpers: new Array(n),
    isFunctionEntry: new Uint8Array(n),
  };
  for (const e of spec.program.functionEntries) code.isFunctionEntry[e] = 1;
  const where = (i: number): string => `program ${spec.name}, instruction ${i}`;
  spec.program.slots.forEach((insn, i) => {
    const r = raw[i];
    code.op[i] = r.opcode;
    code.dst[i] = r.dst;
    code.src[i] = r.src;
    code.off[i] = r.off;
    code.imm[i] = r.imm;
    if (!insn) return;
    if (insn.kind === 'callx') code.dst[i] = insn.reg;
    if (r.opcode === LD_IMM64) {
      code.immHi[i] = raw[i + 1].imm;
      if (r.src === PseudoLd.FUNC) {
        const target = i + 1 + r.imm;
        const addr = functionAddress(uid, target);
        code.imm[i] = (addr % 2 ** 32) | 0;
        code.immHi[i] = Math.floor(addr / 2 ** 32) | 0;
      } else if (r.src !== PseudoLd.IMM) {
        throw new XdpchainError('EINVAL', `${where(i)}: ld_imm64 with pseudo source ${r.src} was not resolved by the loader`, { program: spec.name, insn: i });
      }
    }
    if (insn.kind === 'call') {
      if (insn.target === 'kfunc') {
        const k = spec.kfuncs?.get(insn.imm);
        if (!k)
          throw new XdpchainError('EINVAL', `${where(i)}: calls kernel function (kfunc) with id ${insn.imm}, which xdpchain does not provide`, {
            program: spec.name,
            insn: i,
          });
        code.helpers[i] = k;
      }
      if (r.src === PseudoCall.HELPER) {
        const h = spec.helpers.get(insn.imm);
        if (!h)
          throw new XdpchainError('EINVAL', `${where(i)}: calls helper ${insn.imm} (${helperName(insn.imm)}), which is not available to this program`, {
            program: spec.name,
            insn: i,
            helper: insn.imm,
          });
        code.helpers[i] = h;
      }
    }
  });
  return code;
}
