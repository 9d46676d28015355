import { describe, expect, it } from 'vitest';
import { TraceLog } from '../../src/runtime/trace-log.js';

const line = (n: number, length = 8) => ({ program: `p${n % 3}`, insn: n, cpu: n % 2, text: String(n).padStart(length, '.').slice(-length) });

describe('TraceLog', () => {
  it('keeps the last `capacity` lines, oldest first', () => {
    const log = new TraceLog(5);
    for (let n = 0; n < 13; n++) log.push(line(n));
    expect(log.lines()).toEqual([8, 9, 10, 11, 12].map((n) => line(n)));
  });

  it('drops the oldest lines whose text the ring overwrites, across many wraps', () => {
    const log = new TraceLog(100_000);
    // 300 KiB lines: three fit in the 1 MiB of text, at least two survive a wrap.
    const big = (n: number) => ({ program: 'p', insn: n, cpu: 0, text: String.fromCharCode(65 + (n % 26)).repeat(300 * 1024 + n) });
    for (let n = 0; n < 20; n++) {
      log.push(big(n));
      const kept = log.lines();
      expect(kept.at(-1)).toEqual(big(n));
      expect(kept.length).toBeGreaterThanOrEqual(Math.min(n + 1, 2));
      expect(kept.map((l) => l.insn)).toEqual(kept.map((_, i) => n - kept.length + 1 + i));
      for (const l of kept) expect(l).toEqual(big(l.insn));
    }
  });

  it('keeps empty and mixed-size lines intact when the text wraps', () => {
    const log = new TraceLog(50);
    const all: ReturnType<typeof line>[] = [];
    for (let n = 0; n < 5000; n++) {
      const l = { ...line(n), text: n % 7 === 0 ? '' : String.fromCharCode(33 + (n % 90)).repeat(n % 5 === 0 ? 40_000 : 100 + (n % 13)) };
      log.push(l);
      all.push(l);
    }
    const kept = log.lines();
    expect(kept).toEqual(all.slice(-kept.length));
    expect(kept.length).toBeGreaterThan(20);
  });
});
