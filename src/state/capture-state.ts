import { ByteSink, PcapngWriter } from '../pcap/write.js';
import { PacketCapture, type CaptureSpec } from '../trace/capture.js';
import { PflogWriter } from '../trace/pflog.js';
import type { Session, StateExtension } from './session.js';

interface SavedCapture {
  file: string;
  spec: CaptureSpec;
  interfaces: string[];
  packets: number;
}

/** Captures started with `dump -w FILE` stay on across invocations, appending, until `dump --stop`. */
export class CaptureRegistry {
  readonly captures = new Map<string, { capture: PacketCapture; sink: ByteSink }>();

  start(s: Session, file: string, spec: CaptureSpec, resumed?: SavedCapture): PacketCapture {
    const sink = ByteSink.toFile(file, resumed !== undefined);
    const writer = spec.format === 'pflog' ? new PflogWriter(sink, resumed !== undefined) : resumed ? PcapngWriter.resume(sink, resumed.interfaces.length) : new PcapngWriter(sink);
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

export const captureState: StateExtension = {
  key: 'captures',
  capture(s: Session): SavedCapture[] {
    return [...captureRegistry(s).captures].map(([file, { capture, sink }]) => {
      sink.close();
      return { file, spec: capture.spec, interfaces: capture.interfaces, packets: capture.count };
    });
  },
  restore(s: Session, saved: unknown): void {
    for (const c of saved as SavedCapture[]) captureRegistry(s).start(s, c.file, c.spec, c);
  },
};
