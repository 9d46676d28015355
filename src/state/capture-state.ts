import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { XdpchainError } from '../errors/index.js';
import { ByteSink, PcapngWriter } from '../pcap/write.js';
import { PacketCapture, type CaptureSpec } from '../trace/capture.js';
import { PflogWriter } from '../trace/pflog.js';
import { missingProgram } from './references.js';
import type { Session, StateExtension } from './session.js';
import { arrayOf, at, bool, count, object, oneOf, str } from './validate.js';

interface SavedCapture {
  file: string;
  spec: CaptureSpec;
  interfaces: string[];
  packets: number;
}

/** Captures started with `dump -w FILE` stay on across invocations, appending, until `dump --stop`. */
export class CaptureRegistry {
  readonly captures = new Map<string, { capture: PacketCapture; sink: ByteSink }>();
  /** Files of captures stopped as this invocation began because their output went away (`dump --stop` of one is done). */
  readonly stoppedOnRestore = new Set<string>();

  start(s: Session, file: string, spec: CaptureSpec, resumed?: SavedCapture): PacketCapture {
    const sink = ByteSink.toFile(file, resumed !== undefined);
    const writer =
      spec.format === 'pflog'
        ? new PflogWriter(sink, resumed !== undefined)
        : resumed
          ? PcapngWriter.resume(sink, resumed.interfaces.length)
          : new PcapngWriter(sink);
    const capture = new PacketCapture(spec, writer, resumed?.interfaces ?? []);
    if (resumed) capture.count = resumed.packets;
    s.rt.addCapture(capture);
    this.captures.set(file, { capture, sink });
    return capture;
  }
}

const registries = new WeakMap<Session, CaptureRegistry>();
export function captureRegistry(s: Session): CaptureRegistry {
  let r = registries.get(s);
  if (!r) {
    r = new CaptureRegistry();
    registries.set(s, r);
  }
  return r;
}

const describeCapture = (c: SavedCapture): string =>
  `capture on ${c.spec.device}${c.spec.program !== undefined ? ` (program ${c.spec.program})` : ''} into ${c.file}`;

/**
 * Why a saved capture cannot go on appending, if it cannot: its directory or file went away
 * (appending to a new file would make one without the header that names its interfaces).
 */
function vanished(c: SavedCapture): string | undefined {
  if (!existsSync(dirname(c.file))) return `its directory ${dirname(c.file)} no longer exists`;
  if (!existsSync(c.file)) return 'the file was removed';
  return undefined;
}

export const captureState: StateExtension = {
  key: 'captures',
  schema: arrayOf(
    object({
      file: str,
      spec: object({ device: str, entry: bool, exit: bool }, { program: count, format: oneOf('pcapng', 'pflog') }),
      interfaces: arrayOf(str),
      packets: count,
    }),
  ),
  references(saved, known, path, out): void {
    (saved as SavedCapture[]).forEach((c, i) => {
      if (!known.devices.has(c.spec.device)) out.push({ path: `${at(path, i)}.spec.device`, message: `no device is named ${c.spec.device}` });
      if (c.spec.program !== undefined) missingProgram(known, c.spec.program, `${at(path, i)}.spec.program`, out);
    });
  },
  capture(s: Session): SavedCapture[] {
    return [...captureRegistry(s).captures].map(([file, { capture, sink }]) => {
      sink.close();
      return { file, spec: capture.spec, interfaces: capture.interfaces, packets: capture.count };
    });
  },
  /** A capture that cannot go on is stopped with a warning: a lost output file must not block every command. */
  restore(s: Session, saved: unknown): SavedCapture[] {
    const kept: SavedCapture[] = [];
    for (const c of saved as SavedCapture[]) {
      let why = vanished(c);
      if (why === undefined && !s.isTrial) {
        try {
          captureRegistry(s).start(s, c.file, c.spec, c);
        } catch (e) {
          if (!(e instanceof XdpchainError)) throw e;
          why = e.message;
        }
      }
      if (why === undefined) kept.push(c);
      else {
        s.warn(`${describeCapture(c)} stopped after ${c.packets} frames: ${why}`);
        captureRegistry(s).stoppedOnRestore.add(c.file);
      }
    }
    return kept;
  },
};
