import { ERRNO } from '../errors/errno.js';
import { kt, type KfuncSpec } from './kfunc.js';

/**
 * The XDP RX metadata kfuncs. A device without metadata support (and every test-run: its program
 * is not bound to a device) answers with the kernel's default implementation: -EOPNOTSUPP, output
 * untouched.
 */
export function rxMetadataKfuncs(): Omit<KfuncSpec, 'id'>[] {
  const unsupported = (): number => -ERRNO.EOPNOTSUPP;
  const ctx = { name: 'ctx', type: kt.ptr('xdp_md') };
  return [
    { name: 'bpf_xdp_metadata_rx_timestamp', prototype: { params: [ctx, { name: 'timestamp', type: kt.mem }], returns: kt.int }, fn: unsupported },
    { name: 'bpf_xdp_metadata_rx_hash', prototype: { params: [ctx, { name: 'hash', type: kt.mem }, { name: 'rss_type', type: kt.mem }], returns: kt.int }, fn: unsupported },
    { name: 'bpf_xdp_metadata_rx_vlan_tag', prototype: { params: [ctx, { name: 'vlan_proto', type: kt.mem }, { name: 'vlan_tci', type: kt.mem }], returns: kt.int }, fn: unsupported },
  ];
}
