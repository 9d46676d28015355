import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/collection.js';
import { errorOf } from '../error-of.js';
import { Runtime } from '../../src/runtime/runtime.js';

const fixture = (name: string) =>
  readCollectionSpec(new Uint8Array(readFileSync(new URL(`../fixtures/load/build/${name}.o`, import.meta.url))), { source: `${name}.o` });

const loadError = (name: string) => errorOf(() => new Runtime().loadCollection(fixture(name)));

describe('kfunc resolution at load', () => {
  it('an unknown kfunc is refused, naming it', () => {
    const e = loadError('kfunc_unknown');
    expect(e.errno).toBe('EINVAL');
    expect(e.message).toMatch(
      /^program xdp_unknown_kfunc, instruction \d+: calls kernel function bpf_no_such_kfunc \(kfunc\), which xdpchain does not provide$/,
    );
  });

  it('a kfunc declared with the wrong prototype is refused, showing both prototypes', () => {
    const e = loadError('kfunc_mismatch');
    expect(e.errno).toBe('EINVAL');
    expect(e.message).toMatch(/kfunc bpf_xdp_metadata_rx_hash does not match the kernel's prototype: it takes 3 arguments, not 2/);
    expect(e.message).toMatch(/the kernel has int bpf_xdp_metadata_rx_hash\(struct xdp_md \*ctx, void \*hash, void \*rss_type\)/);
  });

  it('an extern BPF function no object defines is named as such, not as a kfunc', () => {
    expect(loadError('extern_function').message).toMatch(/calls function classify, which the object declares but does not define/);
  });
});
