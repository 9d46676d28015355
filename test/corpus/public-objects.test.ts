/**
 * Objects we did not write, built as their own project's build does, configured as their loaders
 * configure them; every program must load and give the kernel's retval, output frame and maps on
 * every packet, on both engines:
 * - test/corpus/debian: the XDP programs Debian's xdp-tools, xdp-tests and libxdp1 packages install
 *   (xdp-filter's ten filters, xdpdump, the AF_XDP default programs, libxdp's dispatcher, tests);
 *   golden files recorded here let it run without a kernel as long as the installed objects are
 *   the ones recorded.
 * - test/corpus/linux-6.1: the kernel's XDP selftests of Debian's linux-source-6.1, built by its
 *   build.sh against this machine's vmlinux.h, so there are no golden files: kernel only.
 * - test/corpus/knot: Knot DNS's XDP program, taken by its build.sh out of Debian's libknot13
 *   (where it is compiled in as bytes), configured as knotd configures each RX queue; golden files.
 *
 * With a kernel (CI) the answers are recorded live with the libbpf oracle. Without the objects or
 * the kernel, a corpus is skipped with the reason in its title; XDPCHAIN_REQUIRE_KERNEL=1 (CI,
 * which installs the packages and runs build.sh) turns those skips into failures.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../../src/vm/engine.js';
import { compareProgram } from '../../tools/corpus/compare.js';
import { readGolden, type ObjectGolden } from '../../tools/corpus/golden.js';
import { buildOracle, recordObject } from '../../tools/corpus/kernel.js';
import { readManifest } from '../../tools/corpus/resolve.js';
import { runOnXdpchain } from '../../tools/corpus/xdpchain.js';
import { kernelAvailability, repoRoot } from '../differential/kernel-oracle.js';
import { engines } from '../vm/engines.js';

const REQUIRE = process.env.XDPCHAIN_REQUIRE_KERNEL === '1';
const kernel = await kernelAvailability();

/** A corpus: its manifest, and whether recorded answers may stand in for the kernel. */
const CORPORA = [
  { title: 'public XDP objects as Debian builds them (xdp-tools 1.3.1)', manifest: 'test/corpus/debian/manifest.json', golden: true },
  { title: "the kernel's XDP selftests (Linux 6.1, Debian linux-source-6.1)", manifest: 'test/corpus/linux-6.1/manifest.json', golden: false },
  { title: "Knot DNS's XDP filter as Debian ships it (libknot13 3.2.6)", manifest: 'test/corpus/knot/manifest.json', golden: true },
];

type Objects = ReturnType<typeof readManifest>['objects'];

/** The kernel's answers per object: live when the kernel is there, else the golden files. */
function kernelAnswers(baseDir: string, objects: Objects): { source: string; goldens: (ObjectGolden | undefined)[]; stale: string[] } {
  if (kernel.available) {
    const oracle = buildOracle();
    return { source: 'the live kernel', goldens: objects.map((o) => recordObject(oracle, o, () => {})), stale: [] };
  }
  const stale: string[] = [];
  const goldens = objects.map((o) => {
    let changed = false;
    const g = readGolden(join(baseDir, 'golden'), o.id, o.path, () => (changed = true));
    if (changed) stale.push(o.id);
    return changed ? undefined : g;
  });
  return { source: 'golden files', goldens, stale };
}

describe.each(CORPORA)('$title', ({ manifest, golden }) => {
  const { baseDir, requires, objects } = readManifest(join(repoRoot(), manifest));
  const missing = objects.filter((o) => !existsSync(o.path)).map((o) => o.path);
  const skip = (reason: string) => {
    if (REQUIRE) it('needs its objects and the kernel (XDPCHAIN_REQUIRE_KERNEL=1)', () => expect.fail(reason));
    else it.skip(`skipped: ${reason}`, () => {});
  };
  if (missing.length > 0) return skip(`${missing.length} objects missing (${requires})`);
  if (!golden && !kernel.available) return skip(`kernel unavailable (${kernel.reason}); this corpus has no recorded answers`);
  const { source, goldens, stale } = kernelAnswers(baseDir, objects);
  if (stale.length > 0) {
    const reason = `the installed ${stale.join(', ')} differ from the recorded builds and no kernel is here to record them`;
    if (REQUIRE) it('needs the kernel or the recorded builds', () => expect.fail(reason));
    else it.skip(`skipped for some objects: ${reason}`, () => {});
  }

  const runs = objects.flatMap((o, i) => (goldens[i] ? o.runs.map((run) => ({ o, run, golden: goldens[i]! })) : []));
  it(`the kernel loads every program but the negative tests (answers from ${source})`, () => {
    expect(runs.length).toBe(objects.reduce((n, o, i) => n + (goldens[i] ? o.runs.length : 0), 0));
    const verdict = ({ run, golden }: (typeof runs)[number]) => {
      const load = golden.programs[run.program].load;
      return 'ok' in load ? 'loads' : `refuses: ${load.loadError}`;
    };
    const expected = (r: (typeof runs)[number]) => (r.o.kernelRefuses[r.run.program] ? `refuses: ${r.o.kernelRefuses[r.run.program]}` : 'loads');
    expect(runs.filter((r) => verdict(r) !== expected(r)).map((r) => `${r.o.id} ${r.run.program}: kernel ${verdict(r)}, manifest says ${expected(r)}`)).toEqual(
      [],
    );
  });

  const compared = runs.filter((r) => !r.o.kernelRefuses[r.run.program]);
  describe.each(engines.map((e) => e.name as EngineName))('%s engine gives the kernel’s answers', (engine) => {
    it.each(compared.map((r) => [`${r.o.id} ${r.run.program}`, r] as const))('%s', (_name, { o, run, golden }) => {
      const v = compareProgram(golden, o.project, o.id, run.program, () => runOnXdpchain(o, run, engine, golden.possibleCpus), {
        maps: new Set(o.ignoreMaps),
        keys: o.ignoreKeys,
        bytes: o.ignoreBytes,
      });
      expect(v.status, v.error).toBe('loaded');
      expect(v.packets.filter((p) => !p.match)).toEqual([]);
      expect(v.packets.length).toBe(run.packets.length);
    });
  });
});
