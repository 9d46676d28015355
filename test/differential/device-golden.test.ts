/**
 * Device scenarios (devices/scenario.ts): a device-bound program on a veth pair, recorded from the
 * kernel in test/golden/devices/<scenario>.json; xdpchain's devices must give the same answers on
 * every engine. With a kernel the golden files are re-checked live; XDPCHAIN_RECORD_GOLDEN=1
 * records them; XDPCHAIN_REQUIRE_KERNEL=1 makes a missing kernel (or clang/libbpf) a failure.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engines } from '../vm/engines.js';
import { repoRoot, sha256File } from './kernel-oracle.js';
import { deviceOracleAvailability, recordDeviceGolden, runDeviceScenarioOnKernel } from './devices/oracle.js';
import { deviceScenarios, diffDeviceResults, runDeviceCaseOnXdpchain, type DeviceGoldenFile, type DeviceScenario } from './devices/scenario.js';

const RECORD = process.env.XDPCHAIN_RECORD_GOLDEN === '1';
const REQUIRE = process.env.XDPCHAIN_REQUIRE_KERNEL === '1';
const dir = join(repoRoot(), 'test/golden/devices');
const goldenPath = (name: string) => join(dir, `${name}.json`);
const readDeviceGolden = (name: string): DeviceGoldenFile | undefined =>
  existsSync(goldenPath(name)) ? (JSON.parse(readFileSync(goldenPath(name), 'utf8')) as DeviceGoldenFile) : undefined;

function problems(s: DeviceScenario, g: DeviceGoldenFile | undefined): string[] {
  if (!g)
    return [`${s.name}: no golden file ${goldenPath(s.name)}; record it with XDPCHAIN_RECORD_GOLDEN=1 npx vitest run test/differential/device-golden.test.ts`];
  const out: string[] = [];
  if (g.objectSha256 !== sha256File(join(repoRoot(), s.object))) out.push(`${s.name}: ${s.object} changed since the golden file was recorded: re-record it`);
  if (g.cases.map((c) => c.name).join() !== s.cases.map((c) => c.name).join()) out.push(`${s.name}: the golden cases differ from the scenario's: re-record`);
  return out;
}

const kernel = await deviceOracleAvailability();

describe.sequential(RECORD ? 'recording device golden files from the kernel' : 'a live kernel still gives the device golden answers', () => {
  if (!kernel.available) {
    if (REQUIRE || RECORD) {
      it('needs the kernel, veth, clang and libbpf', () => {
        throw new Error(`device oracle unavailable: ${kernel.reason}`);
      });
    } else {
      it.skip(`skipped, device oracle unavailable: ${kernel.reason}`, () => {});
    }
    return;
  }
  for (const s of deviceScenarios) {
    it(
      s.name,
      async () => {
        if (RECORD) {
          mkdirSync(dir, { recursive: true });
          writeFileSync(goldenPath(s.name), `${JSON.stringify(await recordDeviceGolden(s), null, 1)}\n`);
          return;
        }
        const golden = readDeviceGolden(s.name);
        expect(problems(s, golden)).toEqual([]);
        const live = await runDeviceScenarioOnKernel(s);
        expect(live.flatMap((c, i) => diffDeviceResults(golden!.cases[i].result, c.result, s.cases[i]).map((d) => `${c.name}: ${d}`))).toEqual([]);
      },
      60_000,
    );
  }
});

describe.skipIf(RECORD).each(engines)("xdpchain's devices give veth's answers ($name)", ({ name }) => {
  it.each(deviceScenarios.map((s) => [s.name, s] as const))('%s', (_label, s) => {
    const golden = readDeviceGolden(s.name);
    expect(problems(s, golden)).toEqual([]);
    const mismatches = s.cases.flatMap((dc, i) => {
      expect(golden!.cases[i].result.runs, `${dc.name}: the kernel ran the program once`).toBe(1);
      return diffDeviceResults(golden!.cases[i].result, runDeviceCaseOnXdpchain(s, dc, name as 'interp'), dc).map((d) => `${dc.name}: ${d}`);
    });
    expect(mismatches).toEqual([]);
  });
});
