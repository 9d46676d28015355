import { createHash } from 'node:crypto';
import { LD_IMM64, PseudoLd } from '../isa/opcodes.js';
import { encodeRaw, type RawInstruction } from '../isa/raw.js';

/**
 * The program tag `bpftool prog show` prints: the first 8 bytes of a digest over the instructions
 * as submitted, with the immediates of map references (both slots of a `ld_imm64` with
 * BPF_PSEUDO_MAP_FD or BPF_PSEUDO_MAP_VALUE) zeroed, since fds differ from load to load.
 * Kernels since 6.18 use SHA-256 (checked against this machine's kernel); older ones SHA-1.
 * A kfunc call is hashed with the immediate the program carries: libbpf puts the kfunc's BTF id in
 * the running kernel's vmlinux there, which xdpchain does not know, so the tag of a program calling
 * kfuncs differs from the kernel's (test/elf/kernel-tags.test.ts substitutes that kernel's ids).
 */
export function programTag(insns: readonly RawInstruction[], digest: 'sha256' | 'sha1' = 'sha256'): string {
  const stable: RawInstruction[] = [];
  let afterMapLoad = false;
  for (const insn of insns) {
    if (!afterMapLoad && insn.opcode === LD_IMM64 && (insn.src === PseudoLd.MAP_FD || insn.src === PseudoLd.MAP_VALUE)) {
      stable.push({ ...insn, imm: 0 });
      afterMapLoad = true;
    } else if (afterMapLoad && insn.opcode === 0 && insn.dst === 0 && insn.src === 0 && insn.off === 0) {
      stable.push({ ...insn, imm: 0 });
      afterMapLoad = false;
    } else {
      stable.push(insn);
      afterMapLoad = false;
    }
  }
  return createHash(digest).update(encodeRaw(stable)).digest('hex').slice(0, 16);
}
