import { join } from 'node:path';
import { ByteSink, PcapWriter } from '../pcap/write.js';

/** A capture a command writes under its `--out` directory. */
export interface OutCapture {
  sink: ByteSink;
  writer: PcapWriter;
}

/** Create `<dir>/<name>` as a nanosecond pcap; errors name it as `--out DIR: name`. */
export function openOutCapture(dir: string, name: string): OutCapture {
  const sink = ByteSink.toFile(join(dir, name), false, `--out ${dir}: ${name}`);
  return { sink, writer: new PcapWriter(sink, { nanoseconds: true }) };
}
