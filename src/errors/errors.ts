import type { ErrnoName } from './errno.js';

/**
 * Every failure of a runtime operation: an errno name plus a message a person can act on.
 * `detail` carries structured context (program, map, instruction, offset) for --json output.
 */
export class XdpchainError extends Error {
  readonly errno: ErrnoName;
  readonly detail: Readonly<Record<string, unknown>>;

  constructor(errno: ErrnoName, message: string, detail: Record<string, unknown> = {}) {
    super(message);
    this.name = 'XdpchainError';
    this.errno = errno;
    this.detail = detail;
  }

  toJSON(): Record<string, unknown> {
    return { error: this.name, errno: this.errno, message: this.message, ...this.detail };
  }
}

/** Malformed input (ELF, BTF, pcap, assembler text): names the structure and byte offset. */
export class MalformedInputError extends XdpchainError {
  readonly structure: string;
  readonly offset: number | undefined;

  constructor(structure: string, message: string, offset?: number, detail: Record<string, unknown> = {}) {
    const at = offset === undefined ? '' : ` at offset ${offset} (0x${offset.toString(16)})`;
    super('EINVAL', `${structure}${at}: ${message}`, { structure, offset, ...detail });
    this.name = 'MalformedInputError';
    this.structure = structure;
    this.offset = offset;
  }
}

/** Where in a program something happened: instruction slot and, when BTF line info exists, the source line. */
export interface InstructionSite {
  program?: string;
  insn: number;
  source?: { file: string; line: number; column?: number; text?: string };
}

export function describeSite(site: InstructionSite): string {
  const prog = site.program ? `program ${site.program}, ` : '';
  const src = site.source ? ` (${site.source.file}:${site.source.line}${site.source.text ? `: ${site.source.text.trim()}` : ''})` : '';
  return `${prog}instruction ${site.insn}${src}`;
}

/**
 * A run that cannot continue: out-of-bounds access, budget exhausted, call depth, bad callx.
 * For XDP the run ends as XDP_ABORTED and this error is reported alongside.
 */
export class VmFault extends XdpchainError {
  readonly site: InstructionSite;
  readonly kind: VmFaultKind;

  constructor(kind: VmFaultKind, site: InstructionSite, message: string, errno: ErrnoName = 'EFAULT') {
    super(errno, `${describeSite(site)}: ${message}`, { fault: kind, ...site });
    this.name = 'VmFault';
    this.kind = kind;
    this.site = site;
  }
}

export type VmFaultKind = 'out-of-bounds' | 'read-only' | 'budget' | 'call-depth' | 'bad-call' | 'bad-instruction' | 'helper';

export function isXdpchainError(e: unknown): e is XdpchainError {
  return e instanceof XdpchainError;
}
