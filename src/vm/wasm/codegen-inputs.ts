import type { ExecutableSpec } from '../engine.js';
import type { Code } from '../interp/code.js';
import { answerText } from './answer-text.js';

/**
 * One thing the code generator learnt from a program's spec beyond what the cache key hashes: a
 * property's value, or what a call with these arguments returned (as `answerText`). A cached
 * module is used only while every answer it was built from is still the same.
 */
export interface SpecAnswer {
  readonly name: string;
  readonly args?: readonly number[];
  readonly value: string;
}

/** Fields of `Code` the key hashes (src/vm/wasm/cache-key.ts); `spec` and `helpers` are watched. */
const KEYED_CODE_FIELDS = new Set(['uid', 'length', 'op', 'dst', 'src', 'off', 'imm', 'immHi', 'isFunctionEntry']);
/** The spec's program is a function of its raw instructions, which the key hashes. */
const KEYED_SPEC_FIELDS = new Set(['program']);
/** What a program's map layouts and context answer: recorded, and asked again before a cached module is used. */
const ANSWERED_SPEC_FIELDS = new Set([
  'arrayLayout',
  'hashLayout',
  'lpmLayout',
  'ringLayout',
  'tailCallLayout',
  'perfEventLayout',
  'redirectLayout',
  'cpuCell',
  'xdpContext',
  'runCounter',
  'callxHelperIds',
]);
/**
 * The key hashes each call slot's helper id, name, whether it tail-calls and whether it has its own
 * wasm lowering (that lowering's code is in the engine's build id, scripts/engine-id.mjs).
 */
const KEYED_HELPER_FIELDS = new Set(['id', 'name', 'tailCall', 'wasm']);

/**
 * A view of a program's `Code` for the code generator that notes what it reads: the spec's answers
 * (map layouts, the context layout, cells), and any read outside what the key and the answers
 * cover. `answers` is undefined after such a read: code generation grew an input the cache does
 * not know, and its module must not be cached (a wrong hit would run the wrong code).
 */
export class CodegenInputs {
  readonly code: Code;
  /** By name and arguments: the generator asks the same things many times. */
  private readonly recorded = new Map<string, SpecAnswer>();
  private readonly unkeyed: string[] = [];

  constructor(code: Code) {
    const spec = this.watchSpec(code.spec);
    const helpers = code.helpers.map((h) => h && this.watch(h, 'helper', KEYED_HELPER_FIELDS));
    this.code = new Proxy(code, {
      get: (t, p, r) => (p === 'spec' ? spec : p === 'helpers' ? helpers : this.keyedRead(t, p, r, 'code', KEYED_CODE_FIELDS)),
    });
  }

  /** What the generator learnt from the spec, or undefined when it read something neither keyed nor answered. */
  get answers(): readonly SpecAnswer[] | undefined {
    return this.unkeyed.length === 0 ? [...this.recorded.values()] : undefined;
  }

  /** Reads outside the key and the answers, as `what.field` (why a module was not cached). */
  get unkeyedReads(): readonly string[] {
    return this.unkeyed;
  }

  private watch<T extends object>(target: T, what: string, keyed: ReadonlySet<string>): T {
    return new Proxy(target, { get: (t, p, r) => this.keyedRead(t, p, r, what, keyed) });
  }

  private keyedRead(t: object, p: string | symbol, r: unknown, what: string, keyed: ReadonlySet<string>): unknown {
    if (typeof p !== 'string' || !keyed.has(p)) this.unkeyed.push(`${what}.${String(p)}`);
    return Reflect.get(t, p, r);
  }

  private watchSpec(spec: ExecutableSpec): ExecutableSpec {
    return new Proxy(spec, {
      get: (t, p, r) => {
        const v: unknown = Reflect.get(t, p, r);
        if (typeof p === 'string' && KEYED_SPEC_FIELDS.has(p)) return v;
        if (typeof p !== 'string' || !ANSWERED_SPEC_FIELDS.has(p)) {
          this.unkeyed.push(`spec.${String(p)}`);
          return v;
        }
        // A callback's presence alone can change the code (an engine tests `spec.arrayLayout?.(…)`).
        if (typeof v !== 'function') {
          this.note(p, undefined, v);
          return v;
        }
        this.recorded.set(p, { name: p, value: 'function' });
        return (...args: unknown[]): unknown => {
          const answer: unknown = Reflect.apply(v as (...a: unknown[]) => unknown, t, args);
          if (args.every((a): a is number => typeof a === 'number')) this.note(p, args, answer);
          else this.unkeyed.push(`spec.${p}(${args.map((a) => typeof a).join(', ')})`);
          return answer;
        };
      },
    });
  }

  private note(name: string, args: readonly number[] | undefined, answer: unknown): void {
    const value = answerText(answer);
    if (value === undefined) this.unkeyed.push(`spec.${name} (a value that cannot be compared)`);
    else this.recorded.set(args ? `${name}(${args.join(',')})` : name, args ? { name, args, value } : { name, value });
  }
}

/**
 * Whether `spec` still gives every answer a cached module was built from. The questions are asked
 * in the order the generator asked them, up to the first answer that differs: the generator, given
 * the same earlier answers, would have asked the same. A question that throws is a different
 * answer (generating afresh then meets the throw where the generator would).
 */
export function answersHold(spec: ExecutableSpec, answers: readonly SpecAnswer[]): boolean {
  const fields = spec as unknown as Record<string, unknown>;
  try {
    for (const a of answers) {
      if (!ANSWERED_SPEC_FIELDS.has(a.name)) return false;
      const v = fields[a.name];
      if (a.args === undefined) {
        if ((typeof v === 'function' ? 'function' : answerText(v)) !== a.value) return false;
      } else if (typeof v !== 'function' || answerText(Reflect.apply(v, spec, a.args)) !== a.value) {
        return false;
      }
    }
  } catch {
    return false;
  }
  return true;
}
