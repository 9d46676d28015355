/**
 * The kernel as oracle for CO-RE: libbpf (bpftool prog run) relocates the two-layout objects
 * against /sys/kernel/btf/vmlinux and the kernel runs them; xdpchain, relocating against the same
 * file, must give the same verdict and every answer (type ids included). Without a usable kernel
 * the comparison is skipped with the reason in its title; XDPCHAIN_REQUIRE_KERNEL=1 (CI) turns
 * that skip into a failure.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readBtfFile } from '../../src/elf/btf-file.js';
import { VMLINUX_BTF_PATH } from '../../src/btf/bundled.js';
import { parseElf } from '../../src/elf/elf-file.js';
import { readCollectionSpec } from '../../src/elf/collection.js';
import { kernelAvailability, repoRoot, runScenarioOnKernel } from '../differential/kernel-oracle.js';
import { answersOf, CORE_FIXTURES, CORE_PACKET, runCore } from './core-fixtures.js';

const kernel = await kernelAvailability();
const work = mkdtempSync(join(tmpdir(), 'xdpchain-core-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * The object with the TYPE_EXISTS relocations of the ethhdr flavours made TYPE_MATCHES (kind 8 →
 * 12) in its .BTF.ext bytes, since clang 14 cannot emit TYPE_MATCHES itself.
 */
function withTypeMatches(file: string): string {
  const bytes = new Uint8Array(readFileSync(join(CORE_FIXTURES, file)));
  const elf = parseElf(bytes, file);
  const btf = readCollectionSpec(bytes).btf!;
  const ext = elf.section('.BTF.ext')!;
  const dv = new DataView(bytes.buffer, ext.offset, ext.size);
  const hdrLen = dv.getUint32(4, true);
  const start = hdrLen + dv.getUint32(24, true);
  const end = start + dv.getUint32(28, true);
  const recSize = dv.getUint32(start, true);
  let patched = 0;
  for (let o = start + 4; o < end;) {
    const count = dv.getUint32(o + 4, true);
    for (let i = 0, r = o + 8; i < count; i++, r += recSize) {
      const name = btf.types[dv.getUint32(r + 4, true)]?.name ?? '';
      if (dv.getUint32(r + 12, true) === 8 && name.startsWith('ethhdr___')) {
        dv.setUint32(r + 12, 12, true);
        patched++;
      }
    }
    o += 8 + count * recSize;
  }
  expect(patched).toBe(2);
  const out = join(work, file.replace('.o', '_matches.o'));
  writeFileSync(out, bytes);
  return out;
}

describe.sequential('CO-RE against the running kernel', () => {
  if (!kernel.available) {
    if (process.env.XDPCHAIN_REQUIRE_KERNEL === '1') {
      it('needs the kernel (XDPCHAIN_REQUIRE_KERNEL=1)', () => {
        throw new Error(`kernel test-run unavailable: ${kernel.reason}`);
      });
    } else {
      it.skip(`kernel side skipped, kernel unavailable: ${kernel.reason}`, () => {});
    }
    return;
  }

  it.each(['core_layout_a.o', 'core_layout_b.o', 'matches:core_layout_b.o'])("%s: libbpf and the kernel give xdpchain's answers", async (name) => {
    const path = name.startsWith('matches:') ? withTypeMatches(name.slice('matches:'.length)) : join(CORE_FIXTURES, name);
    const [k] = await runScenarioOnKernel({
      name: `core-${name}`,
      object: relative(repoRoot(), path),
      program: 'core_layout',
      packets: [{ name: 'ipv4-udp', data: Buffer.from(CORE_PACKET).toString('hex') }],
    });
    expect('error' in k.result, JSON.stringify(k.result)).toBe(false);
    if ('error' in k.result) return;
    const value = k.result.maps.results?.[0]?.value;
    expect(value).toBeDefined();
    const mine = runCore(readCollectionSpec(new Uint8Array(readFileSync(path))), 'interp', readBtfFile(VMLINUX_BTF_PATH));
    expect(mine.retval).toBe(k.result.retval);
    expect(mine.answers).toEqual(answersOf(new Uint8Array(Buffer.from(value!, 'hex'))));
  });
});
