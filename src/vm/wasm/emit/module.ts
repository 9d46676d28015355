import { ByteWriter } from './bytes.js';
import { encodeFunction, VALTYPE, type EncodeContext } from './encode.js';
import { ExprBuilder, type Expr, type ValType } from './expr.js';

/** A function defined in a WasmModule. */
export interface WasmFunction {
  name: string;
  params: readonly ValType[];
  result: ValType | 'none';
  /** Locals after the parameters. */
  vars: ValType[];
  body: Expr;
}

interface FunctionImport {
  name: string;
  module: string;
  base: string;
  params: readonly ValType[];
  result: ValType | 'none';
}

/** Size limits of a memory or table (pages or elements); no maximum when undefined. */
export interface Limits {
  min: number;
  max?: number;
}

const SECTION = { type: 1, import: 2, function: 3, export: 7, code: 10 } as const;
const REFTYPE = { funcref: 0x70, externref: 0x6f } as const;

/**
 * A wasm module built in memory and encoded by `emit`: imported functions, globals, memory and
 * tables, defined functions (named; indices are given at emit time, imports first) and function
 * exports. Function types are deduplicated. Nothing here validates: the engine compiling the bytes does.
 */
export class WasmModule extends ExprBuilder {
  private readonly functionImports: FunctionImport[] = [];
  private readonly globalImports: { name: string; module: string; base: string; type: ValType; mutable: boolean }[] = [];
  private memoryImport: { module: string; base: string; limits: Limits } | undefined;
  private readonly tableImports: { name: string; module: string; base: string; element: keyof typeof REFTYPE; limits: Limits }[] = [];
  /** Defined functions by name, in the order added. */
  readonly functions = new Map<string, WasmFunction>();
  private readonly exports: { name: string; external: string }[] = [];

  addFunctionImport(name: string, module: string, base: string, params: readonly ValType[], result: ValType | 'none'): void {
    this.functionImports.push({ name, module, base, params, result });
  }
  addGlobalImport(name: string, module: string, base: string, type: ValType, mutable: boolean): void {
    this.globalImports.push({ name, module, base, type, mutable });
  }
  addMemoryImport(module: string, base: string, limits: Limits): void {
    this.memoryImport = { module, base, limits };
  }
  addTableImport(name: string, module: string, base: string, limits: Limits, element: keyof typeof REFTYPE = 'funcref'): void {
    this.tableImports.push({ name, module, base, element, limits });
  }
  removeTable(name: string): void {
    const at = this.tableImports.findIndex((t) => t.name === name);
    if (at >= 0) this.tableImports.splice(at, 1);
  }
  addFunction(name: string, params: readonly ValType[], result: ValType | 'none', vars: ValType[], body: Expr): void {
    if (this.functions.has(name) || this.functionImports.some((f) => f.name === name)) throw new Error(`wasm emitter: function ${name} defined twice`);
    this.functions.set(name, { name, params, result, vars, body });
  }
  hasFunction(name: string): boolean {
    return this.functions.has(name);
  }
  addFunctionExport(name: string, external: string): void {
    this.exports.push({ name, external });
  }
  /** Whether function `name` is exported (so it must stay a function of its own). */
  isExported(name: string): boolean {
    return this.exports.some((e) => e.name === name);
  }

  /** The module's binary encoding. */
  emit(): Uint8Array<ArrayBuffer> {
    const types: string[] = [];
    const typeBytes: number[][] = [];
    const typeIndex = (params: readonly ValType[], result: ValType | 'none'): number => {
      const key = `${params.join(',')}>${result}`;
      let at = types.indexOf(key);
      if (at < 0) {
        at = types.push(key) - 1;
        typeBytes.push([0x60, params.length, ...params.map((p) => VALTYPE[p]), ...(result === 'none' ? [0] : [1, VALTYPE[result]])]);
      }
      return at;
    };
    const indexBy = <T extends { name: string }>(what: string, list: Iterable<T>, start = 0): ((name: string) => number) => {
      const map = new Map<string, number>();
      let i = start;
      for (const x of list) map.set(x.name, i++);
      return (name) => {
        const at = map.get(name);
        if (at === undefined) throw new Error(`wasm emitter: no ${what} named ${name}`);
        return at;
      };
    };
    const functionIndex = indexBy('function', [...this.functionImports, ...this.functions.values()]);
    const ctx: EncodeContext = {
      functionIndex,
      globalIndex: indexBy('global', this.globalImports),
      tableIndex: indexBy('table', this.tableImports),
      typeIndex,
    };
    const importTypes = this.functionImports.map((f) => typeIndex(f.params, f.result));
    const fnTypes = [...this.functions.values()].map((f) => typeIndex(f.params, f.result));

    const code = new ByteWriter();
    const body = new ByteWriter();
    code.u32(this.functions.size);
    for (const f of this.functions.values()) {
      body.length = 0;
      encodeFunction(body, f.vars, f.body, ctx);
      code.sized(body);
    }

    const out = new ByteWriter();
    out.bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
    const section = (id: number, fill: (w: ByteWriter) => void): void => {
      const w = new ByteWriter();
      fill(w);
      out.byte(id);
      out.sized(w);
    };
    const limits = (w: ByteWriter, l: Limits): void => {
      w.byte(l.max === undefined ? 0 : 1);
      w.u32(l.min);
      if (l.max !== undefined) w.u32(l.max);
    };
    section(SECTION.type, (w) => {
      w.u32(typeBytes.length);
      for (const t of typeBytes) w.bytes(t);
    });
    section(SECTION.import, (w) => {
      w.u32(this.functionImports.length + this.tableImports.length + (this.memoryImport ? 1 : 0) + this.globalImports.length);
      this.functionImports.forEach((f, i) => {
        w.name(f.module);
        w.name(f.base);
        w.byte(0x00);
        w.u32(importTypes[i]);
      });
      for (const t of this.tableImports) {
        w.name(t.module);
        w.name(t.base);
        w.byte(0x01);
        w.byte(REFTYPE[t.element]);
        limits(w, t.limits);
      }
      if (this.memoryImport) {
        w.name(this.memoryImport.module);
        w.name(this.memoryImport.base);
        w.byte(0x02);
        limits(w, this.memoryImport.limits);
      }
      for (const g of this.globalImports) {
        w.name(g.module);
        w.name(g.base);
        w.byte(0x03);
        w.byte(VALTYPE[g.type]);
        w.byte(g.mutable ? 1 : 0);
      }
    });
    section(SECTION.function, (w) => {
      w.u32(fnTypes.length);
      for (const t of fnTypes) w.u32(t);
    });
    section(SECTION.export, (w) => {
      w.u32(this.exports.length);
      for (const e of this.exports) {
        w.name(e.external);
        w.byte(0x00);
        w.u32(functionIndex(e.name));
      }
    });
    out.byte(SECTION.code);
    out.sized(code);
    return out.take();
  }
}
