import { XdpchainError, type ErrnoName } from '../errors/index.js';
import type { MapSpec } from '../object-spec/map-spec.js';
import type { AddressSpace } from '../vm/address-space.js';
import type { Executable } from '../vm/engine.js';

/** Update flags (BPF_ANY etc.). */
export const UpdateFlag = { ANY: 0, NOEXIST: 1, EXIST: 2, LOCK: 4 } as const;

/** Negative errno values the program-side API returns, as helpers do. */
export const Err = { ENOENT: -2, E2BIG: -7, EBUSY: -16, EEXIST: -17, EINVAL: -22, ENOSPC: -28, EOPNOTSUPP: -95 } as const;

/** A loaded program as maps that hold programs (prog_array, devmap/cpumap programs) see it. */
export interface ProgramRef {
  readonly id: number;
  readonly name: string;
  readonly type: string;
  readonly executable: Executable;
  /** Its node in the runtime's batch graph, where it has one (compiled tail calls go by it). */
  readonly node?: number;
  /** The device a device-bound program was loaded for: such programs stay out of program maps. */
  readonly boundIfindex?: number;
}

/** How maps find the objects user space names by id (the kernel's fds). */
export interface MapObjects {
  program(id: number): ProgramRef | undefined;
  map(id: number): BpfMap | undefined;
  ifindexExists(ifindex: number): boolean;
}

export interface MapDeps {
  readonly space: AddressSpace;
  /** Number of possible CPUs: per-CPU maps hold a value for each. */
  readonly possibleCpus: number;
  readonly objects?: MapObjects;
}

/** What `map show` prints: the spec's shape, and the live map's id, memory and state. */
export interface MapInfo extends Pick<MapSpec, 'name' | 'type' | 'keySize' | 'valueSize' | 'maxEntries' | 'flags'> {
  id: number;
  /** Bytes of the address space the map holds. */
  memlock: number;
  frozen: boolean;
}

/**
 * A live map. The user side works on bytes like the bpf() syscall (percpu values are one
 * 8-byte-aligned value per possible CPU, concatenated); the program side works on addresses in
 * the address space and returns what the helpers return (an address, 0, or a negative errno).
 */
export interface BpfMap {
  readonly id: number;
  /** The value a program's `ld_imm64 BPF_PSEUDO_MAP_FD` resolves to. */
  readonly handle: number;
  readonly spec: MapSpec;
  readonly frozen: boolean;

  lookup(key: Uint8Array): Uint8Array | undefined;
  /** The bpf() syscall's update: refused with EPERM once the map is frozen. */
  update(key: Uint8Array, value: Uint8Array, flags?: number): void;
  /** The bpf() syscall's delete: refused with EPERM once the map is frozen. */
  delete(key: Uint8Array): void;
  /**
   * The loader's write, allowed on a frozen map: libbpf fills `.rodata` before it freezes the
   * map, and the runtime restores saved contents or rewrites a dispatcher's table the same way.
   */
  loaderUpdate(key: Uint8Array, value: Uint8Array): void;
  /** The key after `key` (the first key when `key` is undefined or absent); undefined at the end. */
  nextKey(key?: Uint8Array): Uint8Array | undefined;
  /**
   * Freeze the map as libbpf freezes `.rodata` (BPF_F_RDONLY_PROG, then BPF_MAP_FREEZE): programs
   * and user space may read it, neither may write it.
   */
  freeze(): void;

  lookupElem(keyAddr: number, cpu: number): number;
  updateElem(keyAddr: number, valueAddr: number, flags: number, cpu: number): number;
  deleteElem(keyAddr: number): number;

  info(): MapInfo;
  /** Release the map's memory. */
  free(): void;
}

export function mapError(spec: MapSpec, errno: ErrnoName, what: string): XdpchainError {
  return new XdpchainError(errno, `map ${spec.name} (${spec.type}): ${what}`, { map: spec.name });
}

export const roundUp8 = (n: number): number => (n + 7) & ~7;

/** Key bytes as a Map key: latin1 strings are compact and compare by content. */
export const keyString = (key: Uint8Array): string => Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
export const keyBytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

/** One reusable char-code array per key size (resizing one array costs more than the lookup). */
const charCodes: number[][] = [];
/** keyString of `size` bytes at `addr` of `u8`, without a copy or a Buffer (a program's lookup path). */
export function keyStringAt(u8: Uint8Array, addr: number, size: number): string {
  if (size === 4) return String.fromCharCode(u8[addr], u8[addr + 1], u8[addr + 2], u8[addr + 3]);
  if (size > 64) return keyString(u8.subarray(addr, addr + size));
  const codes = (charCodes[size] ??= new Array<number>(size).fill(0));
  for (let i = 0; i < size; i++) codes[i] = u8[addr + i];
  return String.fromCharCode.apply(null, codes);
}

/** Shared validation and byte plumbing for map families. */
export abstract class MapBase implements BpfMap {
  frozen = false;

  constructor(
    readonly spec: MapSpec,
    readonly id: number,
    readonly handle: number,
    protected readonly deps: MapDeps,
  ) {}

  protected get space(): AddressSpace {
    return this.deps.space;
  }

  protected fail(errno: ErrnoName, what: string): never {
    throw mapError(this.spec, errno, what);
  }

  protected checkKey(key: Uint8Array): void {
    if (key.length !== this.spec.keySize) this.fail('EINVAL', `key is ${key.length} bytes, the map's keys are ${this.spec.keySize}`);
  }

  protected checkValue(value: Uint8Array, perCpu = false): void {
    const want = perCpu ? roundUp8(this.spec.valueSize) * this.deps.possibleCpus : this.spec.valueSize;
    if (value.length !== want) {
      this.fail(
        'EINVAL',
        perCpu
          ? `value is ${value.length} bytes; a per-CPU map takes ${this.deps.possibleCpus} values of ${roundUp8(this.spec.valueSize)} bytes`
          : `value is ${value.length} bytes, the map's values are ${this.spec.valueSize}`,
      );
    }
  }

  protected checkFlags(flags: number, allowed: number): void {
    if (flags & ~allowed || (flags & 3) === 3) this.fail('EINVAL', `unsupported update flags 0x${flags.toString(16)}`);
  }

  /** Read a key a program passed by address (checked like any program access). */
  protected keyAt(addr: number): Uint8Array {
    return this.space.bytes(addr, this.spec.keySize);
  }

  /** The key a program passed by address, as a Map key (checked readable like `keyAt`). */
  protected keyStringAt(addr: number): string {
    const size = this.spec.keySize;
    return keyStringAt(this.space.u8, this.space.check(addr, size), size);
  }

  /** A u32 key a program passed by address. */
  protected indexAt(addr: number): number {
    return this.space.dv.getUint32(this.space.check(addr, 4), true);
  }

  freeze(): void {
    this.frozen = true;
  }

  update(key: Uint8Array, value: Uint8Array, flags = 0): void {
    this.refuseFrozen('update');
    this.writeEntry(key, value, flags);
  }

  delete(key: Uint8Array): void {
    this.refuseFrozen('delete');
    this.eraseEntry(key);
  }

  loaderUpdate(key: Uint8Array, value: Uint8Array): void {
    this.writeEntry(key, value, 0);
  }

  /** A frozen map is read-only from user space: bpf() answers EPERM before looking at the key. */
  private refuseFrozen(what: 'update' | 'delete'): void {
    if (this.frozen)
      this.fail(
        'EPERM',
        `frozen (read-only for programs and user space, like .rodata after libbpf loads it): cannot ${what}; set its values at load instead (--set NAME=VALUE, or LoadEdits.globals)`,
      );
  }

  info(): MapInfo {
    return {
      id: this.id,
      name: this.spec.name,
      type: this.spec.type,
      keySize: this.spec.keySize,
      valueSize: this.spec.valueSize,
      maxEntries: this.spec.maxEntries,
      flags: this.spec.flags,
      memlock: this.memoryBytes(),
      frozen: this.frozen,
    };
  }

  protected abstract memoryBytes(): number;
  abstract lookup(key: Uint8Array): Uint8Array | undefined;
  /** The family's update, after the frozen check (`update`) or without it (`loaderUpdate`). */
  protected abstract writeEntry(key: Uint8Array, value: Uint8Array, flags: number): void;
  /** The family's delete, after the frozen check. */
  protected abstract eraseEntry(key: Uint8Array): void;
  abstract nextKey(key?: Uint8Array): Uint8Array | undefined;
  abstract lookupElem(keyAddr: number, cpu: number): number;
  abstract updateElem(keyAddr: number, valueAddr: number, flags: number, cpu: number): number;
  abstract deleteElem(keyAddr: number): number;
  abstract free(): void;
}

/** Little-endian u32 key helpers for index-keyed maps. */
export const u32Key = (index: number): Uint8Array => {
  const k = new Uint8Array(4);
  new DataView(k.buffer).setUint32(0, index, true);
  return k;
};
export const readU32 = (b: Uint8Array): number => (b[0] | (b[1] << 8) | (b[2] << 16) | (b[3] << 24)) >>> 0;

/**
 * The kernel keeps device-bound programs out of program maps (prog arrays, devmap and cpumap
 * entries): a program in a map may run on any device, or outside a driver. Calls `fail` for one.
 */
export function refuseDeviceBound(p: ProgramRef, fail: (why: string) => void): void {
  if (p.boundIfindex !== undefined)
    fail(
      `program ${p.name} (id ${p.id}) is bound to the device with ifindex ${p.boundIfindex}: the kernel keeps device-bound programs out of program maps, where they could run on any device`,
    );
}
