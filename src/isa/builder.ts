import { XdpchainError } from '../errors/index.js';
import { encodeInstruction, type Instruction, type JumpCond } from './instruction.js';
import type { RawInstruction } from './raw.js';

/**
 * Builds instruction streams with symbolic labels for jumps and local calls, so generated
 * programs (the dispatcher, the linker's rootlets) never compute offsets by hand.
 */
export class ProgramBuilder {
  private readonly slots: RawInstruction[] = [];
  private readonly labels = new Map<string, number>();
  private readonly fixups: { slot: number; label: string; kind: 'jump' | 'call' | 'func' }[] = [];

  get length(): number {
    return this.slots.length;
  }

  label(name: string): this {
    if (this.labels.has(name)) throw new XdpchainError('EINVAL', `label ${name} defined twice`);
    this.labels.set(name, this.slots.length);
    return this;
  }

  emit(insn: Instruction): this {
    this.slots.push(...encodeInstruction(insn));
    return this;
  }

  /** A conditional or unconditional jump to a label. */
  jump(cond: JumpCond, bits: 32 | 64, dst: number, src: { reg: number } | { imm: number }, target: string): this {
    this.fixups.push({ slot: this.slots.length, label: target, kind: 'jump' });
    return this.emit({ kind: 'jump', bits, cond, dst, src, offset: 0 });
  }

  /** A bpf-to-bpf call to the function at a label. */
  call(target: string): this {
    this.fixups.push({ slot: this.slots.length, label: target, kind: 'call' });
    return this.emit({ kind: 'call', target: 'local', imm: 0 });
  }

  /** The slot a label names (after `build`, or once defined). */
  slotOf(label: string): number {
    const at = this.labels.get(label);
    if (at === undefined) throw new XdpchainError('EINVAL', `undefined label ${label}`);
    return at;
  }

  build(): RawInstruction[] {
    const out = this.slots.map((s) => ({ ...s }));
    for (const f of this.fixups) {
      const rel = this.slotOf(f.label) - (f.slot + 1);
      if (f.kind === 'call') out[f.slot].imm = rel;
      else if (rel < -32768 || rel > 32767) throw new XdpchainError('E2BIG', `jump from ${f.slot} to ${f.label} is out of 16-bit range`);
      else out[f.slot].off = rel;
    }
    return out;
  }
}
