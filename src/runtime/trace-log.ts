import type { TraceLine } from '../helpers/services.js';

/** Bytes of text the log keeps at most, as the kernel's trace buffer is bounded in bytes. */
const TEXT_BYTES = 1 << 20;
/** Per line: where its text starts, its length, its instruction, its CPU and the pass over the text ring that wrote it. */
const META = 5;

/**
 * The last `capacity` trace lines (and at most 1 MiB of their text), oldest first. Text is kept
 * as bytes in a ring, not as strings: a program printing on every packet would otherwise keep
 * thousands of strings alive long enough for the garbage collector to move each one.
 */
export class TraceLog {
  private text: Uint8Array | undefined;
  private readonly meta: Int32Array;
  private readonly programs: string[];
  /** Slot of the oldest line, and how many lines there are. */
  private first = 0;
  private count = 0;
  /** Where the next line's text goes, in which pass over the ring. */
  private at = 0;
  private pass = 0;

  constructor(readonly capacity = 10_000) {
    this.meta = new Int32Array(capacity * META);
    this.programs = new Array<string>(capacity);
  }

  push(line: TraceLine): void {
    this.text ??= new Uint8Array(TEXT_BYTES);
    const length = Math.min(line.text.length, TEXT_BYTES);
    if (this.at + length > TEXT_BYTES) {
      // Wrap: what is left of the previous pass is the oldest text, and goes first.
      while (this.count > 0 && this.meta[this.first * META + 4] !== this.pass) this.dropOldest();
      this.at = 0;
      this.pass = (this.pass + 1) | 0;
    }
    // Lines of the previous pass whose text this one overwrites (in order of their place in the ring).
    while (this.count > 0 && this.meta[this.first * META + 4] !== this.pass && this.meta[this.first * META] < this.at + length) this.dropOldest();
    if (this.count === this.capacity) this.dropOldest();
    const slot = (this.first + this.count) % this.capacity;
    for (let i = 0; i < length; i++) this.text[this.at + i] = line.text.charCodeAt(i);
    const m = slot * META;
    this.meta[m] = this.at;
    this.meta[m + 1] = length;
    this.meta[m + 2] = line.insn;
    this.meta[m + 3] = line.cpu;
    this.meta[m + 4] = this.pass;
    this.programs[slot] = line.program;
    this.count++;
    this.at += length;
  }

  lines(): TraceLine[] {
    const out: TraceLine[] = [];
    for (let k = 0; k < this.count; k++) {
      const slot = (this.first + k) % this.capacity;
      const [start, length, insn, cpu] = this.meta.subarray(slot * META, slot * META + META);
      let text = '';
      for (let i = 0; i < length; i += 8192) text += String.fromCharCode(...this.text!.subarray(start + i, start + Math.min(length, i + 8192)));
      out.push({ program: this.programs[slot], insn, cpu, text });
    }
    return out;
  }

  private dropOldest(): void {
    this.first = (this.first + 1) % this.capacity;
    this.count--;
  }
}
