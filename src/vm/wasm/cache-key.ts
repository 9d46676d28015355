import { createHash } from 'node:crypto';
import { encodeRaw } from '../../isa/raw.js';
import type { Code } from '../interp/code.js';
import { answerText } from './answer-text.js';
import type { CodegenLayout } from './lowering.js';

/** Bumped when what the key covers changes shape, so old keys cannot name new entries. */
const KEY_FORMAT = 'xdpchain wasm module key 1';

/**
 * The name of a program's cached module: a SHA-256 over everything its bytes depend on but the
 * spec's answers (which codegen-inputs.ts records in the entry): the generator build, the program
 * as submitted and as decoded (map constants and function addresses resolved, its uid, which
 * function addresses carry), the helper at each call slot, and where the engine placed its
 * scratch cells, stack and limit. Undefined when the layout holds what cannot be compared.
 */
export function moduleKey(engineId: string, code: Code, layout: CodegenLayout): string | undefined {
  const layoutText = answerText(layout);
  if (layoutText === undefined) return undefined;
  const { program } = code.spec;
  const h = createHash('sha256');
  const text = (s: string): void => {
    h.update(`${s.length}:${s}\n`);
  };
  text(KEY_FORMAT);
  text(engineId);
  text(layoutText);
  text(`uid ${code.uid} length ${code.length} entries ${program.functionEntries.join(',')}`);
  const raw = encodeRaw(program.raw);
  text(`raw ${raw.length}`);
  h.update(raw);
  for (const a of [code.op, code.dst, code.src, code.off, code.imm, code.immHi, code.isFunctionEntry]) {
    text(`array ${a.byteLength}`);
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  code.helpers.forEach((helper, pc) => {
    if (helper) text(`helper ${pc} ${helper.id} ${helper.name} ${helper.tailCall ? 'tail' : '-'} ${helper.wasm ? 'wasm' : '-'}`);
  });
  return h.digest('hex');
}
