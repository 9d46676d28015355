import { ERRNO } from '../errors/errno.js';
import type { HelperCall } from '../vm/helper.js';
import type { RxMetadataOp, RxRecord } from '../xdp/rx-metadata.js';
import { kt, type KfuncSpec } from './kfunc.js';
import { xdpBufferOf } from './xdp-context.js';

const { EOPNOTSUPP, ENODATA } = ERRNO;

/**
 * The XDP RX metadata kfuncs. The kernel loads a program calling them only when it is bound to a
 * device (the loader checks `devBound`), and resolves each call to the device's implementation,
 * or to the default one answering -EOPNOTSUPP when the device has none. A bound program runs only
 * on its device's frames (attach, test-run, prog arrays and chains refuse it elsewhere), so the
 * frame's metadata (XdpBuffer.rxMetadata, src/xdp/rx-metadata.ts) names the device's kfuncs.
 * Outputs are written only on success, except the VLAN TCI, which veth zeroes when a recorded
 * frame carried no tag.
 */
export function rxMetadataKfuncs(): Omit<KfuncSpec, 'id'>[] {
  const ctx = { name: 'ctx', type: kt.ptr('xdp_md') };
  /** The record of the frame, or the errno: -EOPNOTSUPP without the op, -ENODATA without a record. */
  const recordFor = (c: HelperCall, op: RxMetadataOp, fn: string): RxRecord | number => {
    const xdp = xdpBufferOf(c, fn);
    if (c.u64(1) !== BigInt(xdp.ctx.addr)) c.fault(`${fn}: argument 1 is not the program's context (0x${c.u64(1).toString(16)})`);
    const m = xdp.rxMetadata;
    if (!m?.ops.has(op)) return -EOPNOTSUPP;
    return m.record ?? -ENODATA;
  };
  const out = (c: HelperCall, i: 2 | 3, size: number): DataView => {
    const addr = c.space.check(c.addr(i), size, true);
    return new DataView(c.space.u8.buffer, addr, size);
  };
  return [
    {
      name: 'bpf_xdp_metadata_rx_timestamp',
      devBound: true,
      prototype: { params: [ctx, { name: 'timestamp', type: kt.mem }], returns: kt.int },
      fn: (c) => {
        const r = recordFor(c, 'timestamp', 'bpf_xdp_metadata_rx_timestamp');
        if (typeof r === 'number') return r;
        out(c, 2, 8).setBigUint64(0, r.timestampNs, true);
        return 0;
      },
    },
    {
      name: 'bpf_xdp_metadata_rx_hash',
      devBound: true,
      prototype: { params: [ctx, { name: 'hash', type: kt.mem }, { name: 'rss_type', type: kt.mem }], returns: kt.int },
      fn: (c) => {
        const r = recordFor(c, 'hash', 'bpf_xdp_metadata_rx_hash');
        if (typeof r === 'number') return r;
        out(c, 2, 4).setUint32(0, r.hash, true);
        out(c, 3, 4).setUint32(0, r.rssType, true);
        return 0;
      },
    },
    {
      name: 'bpf_xdp_metadata_rx_vlan_tag',
      devBound: true,
      prototype: { params: [ctx, { name: 'vlan_proto', type: kt.mem }, { name: 'vlan_tci', type: kt.mem }], returns: kt.int },
      fn: (c) => {
        const r = recordFor(c, 'vlan', 'bpf_xdp_metadata_rx_vlan_tag');
        if (typeof r === 'number') return r;
        out(c, 3, 2).setUint16(0, r.vlan?.tci ?? 0, true);
        if (!r.vlan) return -ENODATA;
        out(c, 2, 2).setUint16(0, r.vlan.proto, false);
        return 0;
      },
    },
  ];
}
