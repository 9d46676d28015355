import { describe, expect, it } from 'vitest';
import { snapshotSchema } from '../../src/state/schema.js';
import { emptySnapshot } from '../../src/state/snapshot.js';
import { arrayOf, byKind, count, object, str, validate } from '../../src/state/validate.js';

describe('the state validator', () => {
  it('names each wrong field by path, with what it expected and what it got', () => {
    const check = object({ devices: arrayOf(object({ name: str, peer: str })) }, { mtu: count });
    expect(validate(check, { devices: [{ name: 'a', peer: 'b' }, { name: 'c' }, { name: 3, peer: 7 }], mtu: -1 })).toEqual([
      { path: 'devices[1].peer', message: 'missing' },
      { path: 'devices[2].name', message: 'expected a string, got 3' },
      { path: 'devices[2].peer', message: 'expected a string, got 7' },
      { path: 'mtu', message: 'expected a whole number ≥ 0, got -1' },
    ]);
  });

  it('cuts long values short and says what a kind field may be', () => {
    const check = byKind('kind', { xdp: object({ id: count }), freplace: object({ id: count }) });
    expect(validate(check, { kind: 'tc' }, 'links[0]')).toEqual([{ path: 'links[0].kind', message: 'expected "xdp" or "freplace", got "tc"' }]);
    expect(validate(str, 'x'.repeat(100).split(''))[0].message).toMatch(/^expected a string, got \["x","x",.*…$/);
  });

  it('accepts the empty state and finds a wrong version', () => {
    expect(validate(snapshotSchema, emptySnapshot(2))).toEqual([]);
    expect(validate(snapshotSchema, { ...emptySnapshot(2), version: 2 })).toEqual([{ path: 'version', message: 'expected 1, got 2' }]);
  });
});
