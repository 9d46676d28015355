import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCollectionSpec } from '../../src/elf/index.js';
import { fromHex, toHex } from '../../src/packet/bytes.js';
import { ipv4UdpFrame } from '../../src/packet/index.js';
import { Runtime } from '../../src/runtime/runtime.js';
import type { Program } from '../../src/runtime/program.js';
import { XdpAction } from '../../src/xdp/constants.js';
import { readGolden } from '../differential/golden.js';
import { chainPackets } from '../differential/scenarios/chain.js';
import { engines } from '../vm/engines.js';

const object = (name: string) =>
  readCollectionSpec(new Uint8Array(readFileSync(new URL(`../../progs/build/${name}.o`, import.meta.url))), { source: `${name}.o` });
const frame = ipv4UdpFrame();
const errnoOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as { errno?: string }).errno;
  }
  return 'no error';
};

describe.each(engines)('multi-program runtime on $name', ({ name: engine }) => {
  const runtime = () => new Runtime({ engine: engine as 'interp', possibleCpus: 2 });
  const load = (rt: Runtime, obj: string, prog?: string): Program => {
    const coll = rt.loadCollection(object(obj));
    return prog ? coll.program(prog) : [...coll.programs.values()][0];
  };

  describe('chain calls (DESIGN §5.1)', () => {
    it('follows the slot of the return code, falls back to the wildcard, and returns the last verdict', () => {
      const rt = runtime();
      const pass = load(rt, 'xdp_pass');
      const drop = load(rt, 'xdp_drop');
      const tx = load(rt, 'xdp_tx');
      expect(rt.testRun(pass, { data: frame }).retval).toBe(XdpAction.PASS);
      rt.chains.add(pass, -1, drop);
      expect(rt.testRun(pass, { data: frame }).retval).toBe(XdpAction.DROP);
      rt.chains.add(pass, XdpAction.PASS, tx);
      expect(rt.testRun(pass, { data: frame }).retval).toBe(XdpAction.TX);
      expect(rt.chains.get(pass, -1)).toBe(drop);
      expect(rt.chains.get(pass, 0xffffffff)).toBe(drop);
      rt.chains.delete(pass, XdpAction.PASS);
      expect(rt.testRun(pass, { data: frame }).retval).toBe(XdpAction.DROP);
    });

    it('refuses return code 7 with E2BIG and empty slots with ENOENT', () => {
      const rt = runtime();
      const pass = load(rt, 'xdp_pass');
      const drop = load(rt, 'xdp_drop');
      expect(errnoOf(() => rt.chains.add(pass, 7, drop))).toBe('E2BIG');
      rt.chains.add(pass, 6, drop);
      expect(errnoOf(() => rt.chains.get(pass, 5))).toBe('ENOENT');
      expect(errnoOf(() => rt.chains.delete(pass, -1))).toBe('ENOENT');
      expect(rt.chains.delete(pass, 6)).toBe(drop);
    });

    it('refuses an insert that would close a cycle with ELOOP', () => {
      const rt = runtime();
      const [a, b, c] = [load(rt, 'xdp_pass'), load(rt, 'xdp_pass'), load(rt, 'xdp_pass')];
      rt.chains.add(a, -1, b);
      rt.chains.add(b, XdpAction.PASS, c);
      expect(errnoOf(() => rt.chains.add(c, XdpAction.DROP, a))).toBe('ELOOP');
      expect(errnoOf(() => rt.chains.add(a, 0, a))).toBe('ELOOP');
    });

    it('runs at most 32 programs: the 33rd of a chain never runs', () => {
      const rt = runtime();
      const progs = Array.from({ length: 33 }, () => load(rt, 'xdp_pass'));
      for (let i = 0; i < 32; i++) rt.chains.add(progs[i], -1, progs[i + 1]);
      expect(rt.testRun(progs[0], { data: frame }).retval).toBe(XdpAction.PASS);
      expect(progs[31].stats.runCount).toBe(1);
      expect(progs[32].stats.runCount).toBe(0);
    });

    it("keeps each program's own run count and time after 1000 packets through a 3-program chain", () => {
      const rt = runtime();
      const ttl = load(rt, 'ttl_guard');
      const acl = load(rt, 'port_acl');
      const pass = load(rt, 'xdp_pass');
      rt.chains.add(ttl, XdpAction.PASS, acl);
      rt.chains.add(acl, -1, pass);
      for (let i = 0; i < 1000; i++) rt.testRun(ttl, { data: frame });
      expect([ttl, acl, pass].map((p) => p.stats.runCount)).toEqual([1000, 1000, 1000]);
      for (const p of [ttl, acl, pass]) expect(p.stats.runTimeNs).toBeGreaterThan(0);
      expect(rt.programs().map((p) => p.info().runCount)).toEqual([1000, 1000, 1000]);
    });

    it('a chain of two C programs gives, packet for packet, what the kernel gives running one program that calls both', () => {
      const golden = readGolden('ttl-then-acl');
      expect(golden).toBeDefined();
      const mismatches: string[] = [];
      chainPackets.forEach((p, i) => {
        const rt = runtime();
        const ttl = load(rt, 'ttl_guard');
        rt.chains.add(ttl, XdpAction.PASS, load(rt, 'port_acl'));
        const want = golden!.cases[i].result;
        let got: string;
        try {
          const out = rt.testRun(ttl, { data: fromHex(p.data) });
          got = `${out.retval} ${toHex(out.dataOut)}`;
        } catch (e) {
          got = `error ${(e as { errno: string }).errno}`;
        }
        const expected = 'error' in want ? `error ${want.error}` : `${want.retval} ${want.dataOut}`;
        if (got !== expected) mismatches.push(`${p.name}: got ${got.slice(0, 60)}, kernel ${expected.slice(0, 60)}`);
      });
      expect(mismatches).toEqual([]);
      expect(chainPackets.length).toBeGreaterThanOrEqual(28);
    });
  });

  describe('freplace (DESIGN §5.3)', () => {
    const setup = () => {
      const rt = runtime();
      const target = load(rt, 'freplace_target');
      const ext = object('freplace_ext');
      const withTarget = (prog: string, fn?: string) => rt.loadProgram(ext.programs.get(prog)!, new Map(), { target, function: fn });
      return { rt, target, withTarget };
    };
    const short = new Uint8Array(40).fill(1);

    it('runs the replacement while the link lives and restores the original when it is closed', () => {
      const { rt, target, withTarget } = setup();
      expect(rt.testRun(target, { data: frame }).retval).toBe(XdpAction.PASS);
      expect(rt.testRun(target, { data: short }).retval).toBe(XdpAction.DROP);
      const ext = withTarget('classify_tx');
      const link = rt.attachExtension(ext);
      expect(rt.testRun(target, { data: short }).retval).toBe(XdpAction.TX);
      expect(ext.stats.runCount).toBe(1);
      rt.links.detach(link.id);
      expect(rt.testRun(target, { data: short }).retval).toBe(XdpAction.DROP);
    });

    it('allows one replacement per target function at a time (EBUSY)', () => {
      const { rt, withTarget } = setup();
      rt.attachExtension(withTarget('classify_tx'));
      expect(errnoOf(() => rt.attachExtension(withTarget('classify_tx')))).toBe('EBUSY');
    });

    it('refuses static targets (EINVAL), mismatched prototypes (EINVAL) and unknown functions (ENOENT)', () => {
      const { withTarget } = setup();
      expect(errnoOf(() => withTarget('replace_static'))).toBe('EINVAL');
      expect(errnoOf(() => withTarget('classify_two_args'))).toBe('EINVAL');
      expect(errnoOf(() => withTarget('classify_tx', 'no_such_function'))).toBe('ENOENT');
    });

    it('the replacement holds its target: the target cannot be unloaded while the replacement exists', () => {
      const { rt, target, withTarget } = setup();
      const ext = withTarget('classify_tx');
      expect(errnoOf(() => rt.unload(target))).toBe('EBUSY');
      rt.unload(ext);
      rt.unload(target);
      expect(rt.programs()).toEqual([]);
    });
  });

  describe('netdev attachment (DESIGN §5.4)', () => {
    it('attaches only if empty (EBUSY), replaces atomically against an expected program (EEXIST)', () => {
      const rt = runtime();
      const dev = rt.fabric.add('veth0', { peer: 'veth1' });
      const pass = load(rt, 'xdp_pass');
      const drop = load(rt, 'xdp_drop');
      rt.xdp.attach(dev, pass, { onlyIfEmpty: true });
      expect(errnoOf(() => rt.xdp.attach(dev, drop, { onlyIfEmpty: true }))).toBe('EBUSY');
      expect(errnoOf(() => rt.xdp.attach(dev, drop, { expected: drop }))).toBe('EEXIST');
      rt.xdp.attach(dev, drop, { expected: pass });
      expect(rt.xdp.programOf(dev)).toBe(drop);
      expect(errnoOf(() => rt.unload(drop))).toBe('EBUSY');
    });

    it('a link holds the hook: netlink-style changes are EBUSY, a wrong expected program on update is EPERM', () => {
      const rt = runtime();
      const dev = rt.fabric.add('eth0');
      const pass = load(rt, 'xdp_pass');
      const drop = load(rt, 'xdp_drop');
      const link = rt.xdp.link(dev, pass);
      expect(errnoOf(() => rt.xdp.attach(dev, drop))).toBe('EBUSY');
      expect(errnoOf(() => rt.xdp.detach(dev))).toBe('EBUSY');
      expect(errnoOf(() => rt.xdp.updateLink(link, drop, drop))).toBe('EPERM');
      rt.xdp.updateLink(link, drop, pass);
      const r = rt.fabric.inject(dev, [frame]);
      expect(r.actions).toEqual({ XDP_DROP: 1 });
      rt.links.detach(link.id);
      expect(dev.hook).toBeNull();
    });

    it('refuses programs built for devmap/cpumap on a device hook', () => {
      const rt = runtime();
      const dev = rt.fabric.add('eth0');
      const spec = object('xdp_pass');
      const p = spec.programs.get('xdp_pass')!;
      const devmapProg = rt.loadProgram({ ...p, attachType: 'xdp_devmap' }, new Map());
      expect(errnoOf(() => rt.xdp.attach(dev, devmapProg))).toBe('EINVAL');
    });
  });
});
