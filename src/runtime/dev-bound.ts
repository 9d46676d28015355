import { BPF_F_XDP_DEV_BOUND_ONLY } from '../elf/programs.js';
import { XdpchainError } from '../errors/index.js';
import type { ProgramSpec } from '../object-spec/program-spec.js';
import { LOOPBACK_IFINDEX } from '../xdp/constants.js';
import type { Netdev } from '../xdp/netdev.js';

/**
 * Device-bound programs (prog_ifindex + BPF_F_XDP_DEV_BOUND_ONLY), with the kernel's rules
 * (kernel/bpf/offload.c, net/core/dev.c): a program is bound at load to an existing device with
 * native XDP, may then call the XDP RX metadata kfuncs, and runs only on that device.
 */

/**
 * The ifindex `spec` is bound to, or undefined when it is not bound; refuses what the kernel's
 * bpf_prog_dev_bound_init refuses (found on Linux 6.18: offload to veth → EINVAL, unknown
 * ifindex → EINVAL, lo → EOPNOTSUPP). The flag without an ifindex binds nothing, as there.
 */
export function deviceBinding(spec: ProgramSpec, devices: { find(ifindex: number): Netdev | undefined }): number | undefined {
  if (!spec.ifindex) return undefined;
  const where = `program ${spec.name}`;
  if (spec.type !== 'xdp')
    throw new XdpchainError('EINVAL', `${where} is a ${spec.type} program: only XDP programs can be bound to a device`, { program: spec.name });
  if (!(spec.flags & BPF_F_XDP_DEV_BOUND_ONLY)) {
    throw new XdpchainError(
      'EINVAL',
      `${where}: ifindex ${spec.ifindex} without BPF_F_XDP_DEV_BOUND_ONLY asks to offload it to the device's hardware, which no xdpchain device offers (nor veth); set the flag to bind it to the device instead`,
      { program: spec.name },
    );
  }
  const dev = devices.find(spec.ifindex);
  if (!dev) throw new XdpchainError('EINVAL', `${where}: no device with ifindex ${spec.ifindex} to bind it to (see netdev list)`, { program: spec.name });
  if (dev.ifindex === LOOPBACK_IFINDEX) {
    throw new XdpchainError('EOPNOTSUPP', `${where}: ${dev.name} runs XDP only in generic mode, so no program can be bound to it`, { program: spec.name });
  }
  return dev.ifindex;
}

/** Refuse to run a device-bound program on another device, with the kernel's extack message first. */
export function checkBoundTo(prog: { name: string; id: number; boundIfindex?: number }, dev: Netdev): void {
  if (prog.boundIfindex !== undefined && prog.boundIfindex !== dev.ifindex) {
    throw new XdpchainError(
      'EINVAL',
      `Program bound to different device: ${prog.name} (id ${prog.id}) is bound to the device with ifindex ${prog.boundIfindex}, not ${dev.name} (ifindex ${dev.ifindex})`,
    );
  }
}

/** Refuse a device-bound program where it could run on frames of any device (chain calls, dispatchers). */
export function refuseBoundIn(prog: { name: string; id: number; boundIfindex?: number }, where: string, why: string): void {
  if (prog.boundIfindex !== undefined) {
    throw new XdpchainError('EINVAL', `${prog.name} (id ${prog.id}) is bound to the device with ifindex ${prog.boundIfindex} and cannot be ${where}: ${why}`);
  }
}
