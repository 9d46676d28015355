import type { HookCount, HookEvent, InjectResult } from '../xdp/inject-result.js';
import { groupDigits } from './output.js';

/** Hook runs an inject's JSON report lists one by one (`hookRuns` counts them all). */
export const REPORT_EVENTS = 100;

/**
 * What `xdpchain inject` prints. Its size does not depend on the capture's: counts, plus the
 * first REPORT_EVENTS hook runs and first faults as examples. Fields are only ever added, so
 * scripts reading it keep working.
 */
export interface InjectReport {
  device: string;
  /** Frames read from the capture, runts included. */
  frames: number;
  runts: number;
  actions: Record<string, number>;
  /** Frames each device handed to its stack and its wire (devices that handed none are left out). */
  delivered: { device: string; stack: number; wire: number }[];
  loops: number;
  /** The first hook runs in order, at most REPORT_EVENTS of them. */
  events: HookEvent[];
  /** Hook runs in all: more than `events.length` when the list was cut. */
  hookRuns: number;
  /** Verdicts per device and action. */
  hooks: HookCount[];
  /** Hook runs that faulted (counted as XDP_ABORTED), and the first few with their message. */
  faults: number;
  firstFaults: HookEvent[];
  /** Processing time from the first frame read to the last output written, without start-up. */
  seconds: number;
  framesPerSecond: number;
  /** The `--out` directory, when given (as `run` reports it), and the files written there with their frames. */
  out?: string;
  written?: { file: string; frames: number }[];
}

/** The report of an inject of `result` on `device` that took `seconds`. */
export function injectReport(
  device: string,
  result: InjectResult,
  seconds: number,
  out?: { dir: string; written: { file: string; frames: number }[] },
): InjectReport {
  return {
    device,
    frames: result.frames,
    runts: result.runts,
    actions: result.actions,
    delivered: result.delivered.map((d) => ({ device: d.device, stack: d.stack, wire: d.wire })),
    loops: result.loops,
    events: result.events,
    hookRuns: result.hookRuns,
    hooks: result.hooks,
    faults: result.faults,
    firstFaults: result.firstFaults,
    seconds: Number(seconds.toFixed(3)),
    framesPerSecond: Math.round(result.frames / Math.max(seconds, 1e-9)),
    ...(out ? { out: out.dir, written: out.written } : {}),
  };
}

/** The report for people: the same figures, one line each. */
export function injectReportText(r: InjectReport): string {
  return [
    `${r.frames} frames received on ${r.device}`,
    ...(r.runts ? [`  ${r.runts} frames shorter than 14 bytes dropped by ${r.device} before XDP (a NIC drops runts)`] : []),
    ...Object.entries(r.actions).map(([a, n]) => `  ${a.padEnd(13)} ${n}`),
    ...(r.hooks.some((h) => h.device !== r.device) ? r.hooks.map((h) => `  on ${h.device}: ${h.action} ${h.count}`) : []),
    ...r.delivered.map((d) => `  delivered on ${d.device}: ${d.stack} to the stack, ${d.wire} to the wire`),
    ...(r.written ?? []).map((f) => `  ${f.frames} frames written to ${r.out}/${f.file}`),
    ...(r.loops ? [`  ${r.loops} frames dropped after bouncing between devices too often`] : []),
    ...r.firstFaults.map((e) => `  fault on ${e.device}: ${e.error}`),
    ...(r.faults > r.firstFaults.length ? [`  ... ${r.faults - r.firstFaults.length} more faults (${r.faults} in all)`] : []),
    `  in ${r.seconds}s (${groupDigits(r.framesPerSecond)} frames/s)`,
  ].join('\n');
}
