/**
 * Objects we did not write, built as their own project's build does: the XDP programs Debian's
 * xdp-tools, xdp-tests and libxdp1 packages install (xdp-filter's ten filters, xdpdump, the
 * AF_XDP default programs, libxdp's dispatcher, the test programs), configured as their loaders
 * configure them (test/corpus/debian/manifest.json). Every program must load and give the
 * kernel's retval, output frame and maps on every packet, on both engines.
 *
 * With a kernel (CI) the answers are recorded live with the libbpf oracle; without one, from the
 * golden files recorded here (test/corpus/debian/golden), as long as the installed objects are the
 * ones recorded. Without the packages the comparison is skipped with the reason in its title;
 * XDPCHAIN_REQUIRE_KERNEL=1 (CI, which installs them) turns both skips into failures.
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
const MANIFEST = join(repoRoot(), 'test/corpus/debian/manifest.json');
const { baseDir, requires, objects } = readManifest(MANIFEST);
const missing = objects.filter((o) => !existsSync(o.path)).map((o) => o.path);
const kernel = await kernelAvailability();

/** The kernel's answers per object: live when the kernel is there, else the golden files. */
function kernelAnswers(): { source: string; goldens: (ObjectGolden | undefined)[]; stale: string[] } {
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

describe('public XDP objects as Debian builds them (xdp-tools 1.3.1)', () => {
  if (missing.length > 0) {
    const reason = `${missing.length} objects not installed (${requires})`;
    if (REQUIRE) it('needs the packages (XDPCHAIN_REQUIRE_KERNEL=1)', () => expect.fail(reason));
    else it.skip(`skipped: ${reason}`, () => {});
    return;
  }
  const { source, goldens, stale } = kernelAnswers();
  if (stale.length > 0) {
    const reason = `the installed ${stale.join(', ')} differ from the recorded builds and no kernel is here to record them`;
    if (REQUIRE) it('needs the kernel or the recorded builds', () => expect.fail(reason));
    else it.skip(`skipped for some objects: ${reason}`, () => {});
  }

  const runs = objects.flatMap((o, i) => (goldens[i] ? o.runs.map((run) => ({ o, run, golden: goldens[i]! })) : []));
  it(`the kernel loads every program (answers from ${source})`, () => {
    expect(runs.length).toBe(objects.reduce((n, o, i) => n + (goldens[i] ? o.runs.length : 0), 0));
    expect(runs.filter(({ run, golden }) => !('ok' in golden.programs[run.program].load)).map(({ o, run }) => `${o.id} ${run.program}`)).toEqual([]);
  });

  describe.each(engines.map((e) => e.name as EngineName))('%s engine gives the kernel’s answers', (engine) => {
    it.each(runs.map((r) => [`${r.o.id} ${r.run.program}`, r] as const))('%s', (_name, { o, run, golden }) => {
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
