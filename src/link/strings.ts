/**
 * A NUL-separated string table as ELF (`.strtab`, `.shstrtab`) and BTF use it: offset 0 is the
 * empty string, each distinct string is stored once.
 */
export class StringTable {
  private readonly offsets = new Map<string, number>([['', 0]]);
  private readonly parts: Buffer[] = [Buffer.from([0])];
  private size = 1;

  add(text: string): number {
    const known = this.offsets.get(text);
    if (known !== undefined) return known;
    const bytes = Buffer.from(`${text}\0`, 'utf8');
    const offset = this.size;
    this.offsets.set(text, offset);
    this.parts.push(bytes);
    this.size += bytes.length;
    return offset;
  }

  get length(): number {
    return this.size;
  }

  bytes(): Uint8Array {
    return new Uint8Array(Buffer.concat(this.parts));
  }
}
