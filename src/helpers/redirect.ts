import { CpuMap } from '../maps/cpumap.js';
import { DevMap } from '../maps/devmap.js';
import { XskMap } from '../maps/xskmap.js';
import type { BpfMap } from '../maps/map.js';
import type { RedirectLayout } from '../vm/engine.js';
import type { HelperSpec } from '../vm/helper.js';
import { XdpAction } from '../xdp/constants.js';
import { mapArg } from './maps.js';
import type { HelperServices } from './services.js';
import { xdpBufferOf } from './xdp-context.js';
import { inlineRedirect } from '../vm/wasm/inline-xdp.js';

export const BPF_F_BROADCAST = 1 << 3;
export const BPF_F_EXCLUDE_INGRESS = 1 << 4;
/** The low bits of redirect_map's flags are the action to return when the lookup fails. */
const ACTION_MASK = 3;

type RedirectMap = DevMap | CpuMap | XskMap;
const isRedirectMap = (m: BpfMap): m is RedirectMap => m instanceof DevMap || m instanceof CpuMap || m instanceof XskMap;
/** The flags bpf_redirect_map takes with this map: broadcast only through a devmap. */
const allowedFlags = (m: RedirectMap): number => (m instanceof DevMap ? ACTION_MASK | BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS : ACTION_MASK);

/** What compiled code needs to do bpf_redirect_map on `map` without the host (indexed redirect maps). */
export function redirectLayout(map: BpfMap | undefined): RedirectLayout | undefined {
  const slots = map && isRedirectMap(map) ? map.slotLayout() : undefined;
  return slots && { ...slots, mapId: map!.id, allowedFlags: allowedFlags(map as RedirectMap), broadcastFlag: BPF_F_BROADCAST, actionMask: ACTION_MASK };
}

/** bpf_redirect and bpf_redirect_map for XDP (the target is acted on only if the program returns XDP_REDIRECT). */
export function redirectHelpers(s: HelperServices): HelperSpec[] {
  return [
    {
      id: 23,
      name: 'bpf_redirect',
      wasm: inlineRedirect,
      fn: (c) => {
        const xdp = xdpBufferOf(c, 'bpf_redirect');
        if (c.lo(2) !== 0 || c.hi(2) !== 0) return XdpAction.ABORTED;
        xdp.redirect = { kind: 'ifindex', ifindex: c.lo(1), flags: 0 };
        return XdpAction.REDIRECT;
      },
    },
    {
      id: 51,
      name: 'bpf_redirect_map',
      wasm: inlineRedirect,
      fn: (c) => {
        const xdp = xdpBufferOf(c, 'bpf_redirect_map');
        const map = mapArg(s, c);
        if (!isRedirectMap(map)) return c.fault(`map ${map.spec.name} (${map.spec.type}) cannot be a redirect target`);
        const flags = c.lo(3);
        if (c.hi(3) !== 0 || flags & ~allowedFlags(map)) return XdpAction.ABORTED;
        const key = c.hi(2) !== 0 ? 0xffffffff : c.lo(2);
        if (map.get(key) === undefined && !(flags & BPF_F_BROADCAST)) {
          xdp.redirect = null;
          return flags & ACTION_MASK;
        }
        xdp.redirect = { kind: 'map', mapId: map.id, key, flags: flags & BPF_F_BROADCAST ? flags : 0 };
        return XdpAction.REDIRECT;
      },
    },
  ];
}
